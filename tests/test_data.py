"""Synthetic SR-RAW, the dataset reader, pair selection / building, patches, torch Dataset."""

import hashlib
import json

import numpy as np
import pytest

from zoomstudio.core.data import (
    PatchSpec,
    build_pair,
    candidate_pairs,
    dataset_pairs,
    flip_pair,
    sample_patch,
    scan_root,
    scan_sequence,
    select_pair,
    split_sequences,
)
from zoomstudio.core.data.synth import SynthConfig, synthesize
from zoomstudio.core.events import CancelToken, Cancelled
from zoomstudio.core.raw import pack_bayer, read_jpeg_exif, read_raw, unpack_bayer


def _digest(root):
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def test_synth_is_deterministic_for_a_seed(tmp_path):
    cfg = SynthConfig(sequences=2, seed=11, size=(160, 128))
    list(synthesize(tmp_path / "a", cfg))
    list(synthesize(tmp_path / "b", cfg))
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    list(synthesize(tmp_path / "c", SynthConfig(sequences=2, seed=12, size=(160, 128))))
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_synth_layout_exif_and_truth(synth_root):
    seq = synth_root / "00001"
    truth = json.loads((seq / "truth.json").read_text())
    shots = truth["shots"]
    assert 5 <= len(shots) <= 7
    focals = [shots[k]["focal_length"] for k in sorted(shots)]
    assert focals == sorted(focals, reverse=True)  # 00001 is the longest
    assert 24 <= focals[-1] <= 35 and 150 <= focals[0] <= 240
    np.testing.assert_allclose(shots["00001"]["motion"], np.eye(3)[:2])
    for key in shots:
        raw = read_raw(seq / f"{key}.DNG")
        assert raw.mosaic.shape == (240, 320) and raw.meta.cfa == "RGGB"
        assert raw.mosaic.max() <= 16383  # 14-bit
        assert raw.meta.focal_length == shots[key]["focal_length"]
        assert raw.meta.iso == truth["iso"]
        np.testing.assert_allclose(raw.meta.wb_gains[[0, 2]], np.array(truth["wb_gains"])[[0, 2]], rtol=1e-3)
        exif = read_jpeg_exif(seq / f"{key}.JPG")
        assert exif.focal_length == shots[key]["focal_length"] and exif.make == "ZoomStudio"
        assert exif.iso == truth["iso"] and exif.exposure_time == pytest.approx(shots[key]["exposure_time"])


def test_synth_noise_grows_with_iso(tmp_path):
    """Poisson-Gaussian noise: a flat patch's variance rises with ISO."""
    lo = SynthConfig(sequences=1, seed=1, size=(160, 128), isos=(100,))
    hi = SynthConfig(sequences=1, seed=1, size=(160, 128), isos=(3200,))
    list(synthesize(tmp_path / "lo", lo))
    list(synthesize(tmp_path / "hi", hi))
    a = read_raw(tmp_path / "lo/00001/00001.DNG").mosaic.astype(float)
    b = read_raw(tmp_path / "hi/00001/00001.DNG").mosaic.astype(float)
    assert np.std(b - a) > 5


def test_synth_cancel_leaves_no_partial_sequence(tmp_path):
    token = CancelToken()
    events = []
    for e in synthesize(tmp_path, SynthConfig(sequences=3, size=(128, 96))):
        events.append(e)
        if type(e).__name__ == "Progress" and e.done == 1:
            token.cancel()
            events.extend(synthesize(tmp_path / "never", SynthConfig(sequences=1, size=(128, 96)), cancel=token))
            break
    assert isinstance(events[-1], Cancelled)
    assert not list(tmp_path.glob(".*partial"))


def test_synth_accepts_user_sources_and_reports_bad_ones(tmp_path, dng_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not a png")
    events = list(synthesize(tmp_path / "out", SynthConfig(sequences=1, size=(128, 96),
                                                           sources=(str(dng_path), str(bad)))))
    problems = [e for e in events if type(e).__name__ == "Problem"]
    assert len(problems) == 1 and "broken.png" in problems[0].item
    truth = json.loads((tmp_path / "out/00001/truth.json").read_text())
    assert truth["source"] == str(dng_path)  # user sources come first


def test_reader_complete_six_shot_and_broken_sequences(synth_copy):
    root = synth_copy
    # 00002: drop the widest shot entirely -> a 6-shot sequence (or fewer)
    seq2 = scan_sequence(root / "00002")
    n2 = len(seq2.shots)
    widest = seq2.shots[-1].key
    for p in (root / "00002").glob(f"{widest}.*"):
        p.unlink()
    # 00003: no JPG for one shot, no RAW for another, a corrupt DNG, a file without EXIF
    s3 = root / "00003"
    (s3 / "00002.JPG").unlink()
    (s3 / "00003.DNG").unlink()
    (s3 / "00004.DNG").write_bytes((s3 / "00004.DNG").read_bytes()[:1000])
    (s3 / "00004.JPG").write_bytes(b"garbage")
    (root / "notes").mkdir()
    (root / "00009").mkdir()  # empty sequence folder
    (root / "README.txt").write_text("not a sequence")
    index = scan_root(root)
    names = [s.name for s in index.sequences]
    assert names == ["00001", "00002", "00003", "00009"]
    s1 = index.sequence("00001")
    assert not s1.problems and s1.reference.key == "00001"
    focals = [s.focal_length for s in s1.shots]
    assert focals == sorted(focals, reverse=True)
    assert len(index.sequence("00002").shots) == n2 - 1
    s3i = index.sequence("00003")
    reasons = " | ".join(str(p) for p in s3i.problems)
    assert "00002: no camera JPG" in reasons
    assert "00003: no RAW file" in reasons
    assert "00004" in reasons  # corrupt DNG and garbage JPG: no focal length -> skipped
    assert "00004" not in [s.key for s in s3i.shots]
    assert not index.sequence("00009").usable
    assert all(p.reason for p in index.problems)
    assert not s1.has_tform and not s1.has_wb


def test_focal_order_not_index_order(synth_copy):
    """Files renamed out of focal order still sort by EXIF focal length."""
    seq = synth_copy / "00001"
    for ext in ("DNG", "JPG"):
        (seq / f"00001.{ext}").rename(seq / f"00099.{ext}")
    s = scan_sequence(seq)
    assert s.shots[0].key == "00099"
    assert s.reference.key == "00099"


def test_pair_selection_nearest_ratio(synth_root):
    seq = scan_sequence(synth_root / "00001")
    for zoom in (4, 8):
        p = select_pair(seq, zoom)
        best = min(
            abs(np.log(b.focal_length / a.focal_length / zoom))
            for a in seq.shots for b in seq.shots if b.focal_length > a.focal_length
        )
        assert abs(np.log(p.ratio / zoom)) == pytest.approx(best)
        assert p.input.focal_length < p.target.focal_length
    assert candidate_pairs(seq, 4) == sorted(candidate_pairs(seq, 4), key=lambda q: abs(np.log(q.scale_offset)))
    assert select_pair(seq, 100) is None


def test_split_is_seeded_80_10_10_by_sequence():
    names = [f"{i:05d}" for i in range(1, 501)]
    a = split_sequences(names, seed=0)
    assert [len(a[k]) for k in ("train", "val", "test")] == [400, 50, 50]
    assert split_sequences(list(reversed(names)), seed=0) == a
    assert split_sequences(names, seed=1) != a
    assert not set(a["train"]) & set(a["test"]) and not set(a["val"]) & set(a["test"])
    small = split_sequences(["a", "b", "c"], seed=0)
    assert [len(small[k]) for k in ("train", "val", "test")] == [1, 1, 1]


def _aligned_root(synth_copy):
    from zoomstudio.core.alignment.sequence_align import align_sequence

    for seq in scan_root(synth_copy).sequences:
        list(align_sequence(seq))
    return synth_copy


def test_build_pair_is_aligned_and_sized(synth_copy):
    import cv2

    root = _aligned_root(synth_copy)
    seq = scan_sequence(root / "00001")
    spec = select_pair(seq, 4)
    pair = build_pair(spec)
    _, h, w = pair.packed.shape
    assert pair.target.shape == (3, 8 * h, 8 * w)
    assert pair.packed.dtype == pair.target.dtype == np.float32
    assert 0 <= pair.packed.min() and pair.packed.max() <= 1 and 0 <= pair.target.min() and pair.target.max() <= 1
    # The packed input (upsampled) correlates best with the target at zero shift.
    g = pair.packed[[0, 1, 2]].mean(0) ** (1 / 2.2)
    up = cv2.resize(g, (8 * w, 8 * h), interpolation=cv2.INTER_CUBIC)
    t = pair.target.mean(0)

    def corr(dx, dy):
        a = up[16:-16, 16:-16]
        b = np.roll(np.roll(t, dx, 1), dy, 0)[16:-16, 16:-16]
        a, b = (a - a.mean()) / a.std(), (b - b.mean()) / b.std()
        return float((a * b).mean())

    c0 = corr(0, 0)
    assert c0 > 0.8
    assert all(corr(dx, dy) < c0 for dx, dy in [(6, 0), (-6, 0), (0, 6), (0, -6)])
    # white balance: target divided by the target's wb^(1/2.2)
    raw_pair = build_pair(spec, use_wb=False)
    ratio = raw_pair.target.mean(axis=(1, 2)) / pair.target.mean(axis=(1, 2))
    np.testing.assert_allclose(ratio, pair.target_wb ** (1 / 2.2), rtol=0.03)


@pytest.mark.parametrize("cfa", ["RGGB", "BGGR", "GRBG", "GBRG"])
def test_flip_keeps_cfa_phase(cfa):
    """Flipping a packed pair equals packing the mirrored, re-phased mosaic, for every CFA phase."""
    rng = np.random.default_rng(0)
    mosaic = rng.integers(0, 1000, (12, 16)).astype(np.float32)
    zoom = 2
    packed = pack_bayer(mosaic, cfa)
    # a target whose pixels record the sensor column / row they come from
    rows, cols = np.mgrid[0 : 12 * zoom, 0 : 16 * zoom]
    target = np.stack([rows, cols, np.zeros_like(rows)]).astype(np.float32)
    for horizontal in (True, False):
        p2, t2 = flip_pair(packed, target, zoom, horizontal=horizontal, cfa=cfa)
        flipped = mosaic[:, ::-1][:, 1:-1] if horizontal else mosaic[::-1, :][1:-1, :]
        np.testing.assert_array_equal(p2, pack_bayer(flipped, cfa))
        assert t2.shape[1:] == (2 * zoom * p2.shape[1], 2 * zoom * p2.shape[2])
        np.testing.assert_array_equal(unpack_bayer(p2, cfa), flipped)
    # both flips at once (what a patch with flip_h and flip_v gets)
    p2, _ = flip_pair(packed, target, zoom, horizontal=True, cfa=cfa)
    p2, _ = flip_pair(p2, target[:, :, : 2 * zoom * p2.shape[2]], zoom, horizontal=False, cfa=cfa)
    np.testing.assert_array_equal(p2, pack_bayer(mosaic[::-1, ::-1][1:-1, 1:-1], cfa))
    # target cut: sensor pixel x of the flipped mosaic maps to target columns [x*z, (x+1)*z)
    p2, t2 = flip_pair(packed, target, zoom, horizontal=True)
    src_col_of_target = t2[1, 0, :]  # target column index it came from (before flip)
    sensor_col = (16 - 2) - np.arange(t2.shape[2]) // zoom  # flipped mosaic col x came from col W-2-x
    np.testing.assert_array_equal(src_col_of_target // zoom, sensor_col)


def test_patches_random_central_and_bands(synth_copy):
    root = _aligned_root(synth_copy)
    pair = build_pair(select_pair(scan_sequence(root / "00001"), 4))
    spec = PatchSpec(patch=64, packed_band=2, target_band=16)
    p, t = sample_patch(pair, spec, central=True)
    assert p.shape == (4, 8 + 4, 8 + 4) and t.shape == (3, 64 + 32, 64 + 32)
    p2, _ = sample_patch(pair, spec, central=True)
    np.testing.assert_array_equal(p, p2)
    rng = np.random.default_rng(0)
    shapes = {sample_patch(pair, spec, rng)[0].shape for _ in range(10)}
    assert shapes == {(4, 12, 12)}
    with pytest.raises(ValueError, match="multiple of 2\\*zoom"):
        sample_patch(pair, PatchSpec(patch=60), central=True)
    with pytest.raises(ValueError, match="smaller than"):
        sample_patch(pair, PatchSpec(patch=8 * 400), central=True)


def test_torch_dataset(synth_copy):
    import torch

    from zoomstudio.core.data.dataset import SrRawPatchDataset

    root = _aligned_root(synth_copy)
    index = scan_root(root)
    pairs = dataset_pairs(index, 4)
    assert len(pairs) == 3
    ds = SrRawPatchDataset(pairs, PatchSpec(patch=64), samples_per_pair=2, seed=0)
    assert len(ds) == 6
    item = ds[0]
    assert item["input"].shape == (4, 12, 12) and item["target"].shape == (3, 96, 96)
    assert item["input"].dtype == torch.float32 and item["input_wb"].shape == (3,)
    again = ds[0]
    assert torch.equal(item["input"], again["input"])
    ds.set_epoch(1)
    loader = torch.utils.data.DataLoader(ds, batch_size=2)
    batch = next(iter(loader))
    assert batch["input"].shape == (2, 4, 12, 12)
    central = SrRawPatchDataset(pairs, PatchSpec(patch=64), central=True)
    assert torch.equal(central[1]["input"], central[1]["input"])
    train = dataset_pairs(index, 4, split="train")
    test = dataset_pairs(index, 4, split="test")
    assert len(train) == 1 and len(test) == 1 and train[0].sequence.name != test[0].sequence.name


def test_synth_many_cameras_are_seeded_recorded_and_read_back(tmp_path):
    """``camera=varied`` draws a camera per sequence (seeded, in truth.json) that LibRaw reads back exactly:
    its colour matrix, white balance, CFA phase and levels; pairs and flipped patches build on every phase."""
    from zoomstudio.core.colour import cam_to_srgb_from_xyz, colour_of
    from zoomstudio.core.data.cameras import CAMERA_MATRICES, TRAINING_CAMERAS, UNSEEN_CAMERAS
    from zoomstudio.core.alignment.sequence_align import align_sequence

    cfg = SynthConfig(sequences=4, seed=3, size=(256, 192), camera="varied")
    list(synthesize(tmp_path / "a", cfg))
    list(synthesize(tmp_path / "b", cfg))
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    cameras = [json.loads((tmp_path / "a" / f"{i:05d}" / "truth.json").read_text())["camera"] for i in (1, 2, 3, 4)]
    assert len({c["name"] for c in cameras}) > 1 and len({c["cfa"] for c in cameras}) > 1
    for i, cam in enumerate(cameras, start=1):
        used = [n for n in CAMERA_MATRICES if n in cam["name"]]
        assert used and set(used) <= set(TRAINING_CAMERAS) and not set(used) & set(UNSEEN_CAMERAS)
        raw = read_raw(tmp_path / "a" / f"{i:05d}" / "00002.DNG")
        assert raw.meta.cfa == cam["cfa"] and raw.meta.white_level == cam["white_level"]
        assert raw.meta.black_cell.max() == cam["black_level"]
        colour = colour_of(raw.meta)
        np.testing.assert_allclose(colour.cam_to_srgb,
                                   cam_to_srgb_from_xyz(np.reshape(cam["xyz_to_cam"], (3, 3))), atol=1e-6)
        np.testing.assert_allclose(colour.wb, cam["wb"], rtol=1e-4)
        seq = scan_sequence(tmp_path / "a" / f"{i:05d}")
        list(align_sequence(seq))
        pair = build_pair(select_pair(seq, 4))
        assert pair.cfa == cam["cfa"]
        p, t = sample_patch(pair, PatchSpec(patch=32, packed_band=2, target_band=16), np.random.default_rng(i))
        assert p.shape == (4, 8, 8) and t.shape == (3, 64, 64) and np.isfinite(p).all()


def test_unseen_cameras_are_disjoint_from_training():
    from zoomstudio.core.data.cameras import TRAINING_CAMERAS, UNSEEN_CAMERAS, draw_camera

    assert not set(TRAINING_CAMERAS) & set(UNSEEN_CAMERAS)
    assert "Canon EOS 550D" in UNSEEN_CAMERAS and "Sony ILCE-7RM3" in UNSEEN_CAMERAS  # the real samples' cameras
    rng = np.random.default_rng(0)
    train = [draw_camera(rng, "varied") for _ in range(200)]
    unseen = [draw_camera(rng, "unseen") for _ in range(200)]
    assert max(c.shot_noise for c in train) <= 0.012 < min(c.shot_noise for c in unseen)
    assert {c.tone for c in unseen} == {"filmic"} and "filmic" not in {c.tone for c in train}
    assert {c.blur_shape for c in unseen} == {"motion"} and "motion" not in {c.blur_shape for c in train}
    assert not any(u in c.name for c in train for u in UNSEEN_CAMERAS)
    wide = [draw_camera(rng, "varied-wide") for _ in range(200)]
    typical = [draw_camera(rng, "unseen-typical") for _ in range(200)]
    assert max(c.shot_noise for c in wide) > 0.012 and max(c.sharpen for c in wide) > 0.5
    assert not any(u in c.name for c in wide for u in UNSEEN_CAMERAS)
    assert all(any(u in c.name for u in UNSEEN_CAMERAS) for c in typical)
    assert max(c.shot_noise for c in typical) <= 0.012 and "motion" not in {c.blur_shape for c in typical}
    with pytest.raises(ValueError, match="camera"):
        SynthConfig(camera="vivid")
    from zoomstudio.cli.synth import CAMERA_PRESETS
    from zoomstudio.core.data.cameras import PRESETS

    assert CAMERA_PRESETS == PRESETS


def test_unseen_photographs_are_disjoint_from_training(tmp_path):
    """The unseen set's scenes come only from photographs no training set holds; a set that is not installed
    is refused with the packages to install, never silently shrunk."""
    from PIL import Image

    from zoomstudio.core.data.photos import DEBIAN_PHOTOS, PhotoSetError, debian_photos, photo_sources

    assert {p.licence for p in DEBIAN_PHOTOS} and all(p.copyright and p.licence for p in DEBIAN_PHOTOS)
    assert not any(p.package.startswith(("lomiri-wallpapers", "lxqt-themes")) for p in DEBIAN_PHOTOS)
    assert len(debian_photos("unseen")) >= 5 and len(debian_photos("training")) >= 12
    with pytest.raises(PhotoSetError, match="apt-get install mate-backgrounds plasma-workspace-wallpapers"):
        photo_sources("unseen", tmp_path)
    # A root holding the listed files (small real photographs in their place) gives both sets.
    import skimage.data

    for k, p in enumerate(DEBIAN_PHOTOS):
        path = tmp_path / "root" / p.path
        path.parent.mkdir(parents=True, exist_ok=True)
        photo = skimage.data.astronaut() if k % 2 else skimage.data.coffee()
        Image.fromarray(np.ascontiguousarray(np.roll(photo, 37 * k, axis=1))).save(path)
    training = photo_sources("training", tmp_path / "root")
    unseen = photo_sources("unseen", tmp_path / "root")
    assert not set(training) & set(unseen)
    assert all(not s.startswith("skimage:") for s in unseen)
    out = tmp_path / "unseen-data"
    events = list(synthesize(out, SynthConfig(sequences=3, seed=5, size=(128, 96), camera="unseen",
                                              photos="unseen", photo_root=str(tmp_path / "root"))))
    assert not [e for e in events if type(e).__name__ == "Problem"]
    used = {json.loads((out / f"{i:05d}" / "truth.json").read_text())["source"] for i in (1, 2, 3)}
    assert used and used <= set(unseen) and not used & set(training)
    with pytest.raises(ValueError, match="photos"):
        SynthConfig(photos="wallpapers")
