"""Tiled inference, RAW zoom and image writers."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from zoomstudio.core.events import CancelToken, Result
from zoomstudio.core.infer import TilePlan, ZoomOptions, centre_roi, plan_tiles, read_image, write_image, zoom_raw, zoom_tensor
from zoomstudio.core.nets import NetConfig, ZoomNet, build_net, save_weights
from zoomstudio.core.raw import ExifInfo, RawReadError


def _net(arch="zoomnet", **kw):
    torch.manual_seed(0)
    net = build_net(NetConfig(arch=arch, width=12, blocks=2, up_width=12, **kw)).eval()
    for m in net.modules():  # non-zero PReLU slopes so every path carries signal
        if isinstance(m, torch.nn.PReLU):
            torch.nn.init.constant_(m.weight, 0.2)
    return net


def _run(net, x, plan):
    return [e for e in zoom_tensor(net, x, plan) if torch.is_tensor(e)][0]


@pytest.mark.parametrize("shape,skip,arch", [((37, 53), "none", "zoomnet"), ((64, 64), "none", "zoomnet"),
                                             ((20, 90), "isp", "zoomnet"), ((37, 53), "isp", "lite"),
                                             ((50, 31), "none", "lite")])
def test_tiled_equals_untiled(shape, skip, arch):
    net = _net(arch, skip=skip)
    x = torch.rand(1, 4, *shape)
    with torch.no_grad():
        ref = net(x)
    plan = TilePlan(encode_tile=24, encode_overlap=net.encode_radius, decode_tile=12,
                    decode_overlap=net.decode_radius)
    out = _run(net, x, plan)
    assert out.shape == ref.shape
    assert float((out - ref).abs().max()) < 1e-3


def test_small_overlap_is_feathered_not_seamed():
    net = _net()
    x = torch.rand(1, 4, 40, 40)
    with torch.no_grad():
        ref = net(x)
    out = _run(net, x, TilePlan(20, 2, 10, 1))
    assert float((out - ref).abs().mean()) < 0.05


def test_plan_respects_memory_budget():
    net = ZoomNet(NetConfig())  # paper size
    small, big = plan_tiles(net, 128), plan_tiles(net, 4096)
    assert small.decode_tile < big.decode_tile
    # the budget bounds the largest maps of a tile; above the sizes that run fastest it grows no more
    from zoomstudio.core.infer.tiled import DECODE_FAST_MB, ENCODE_TILE_MAX, decode_bytes_per_pixel

    assert small.decode_tile ** 2 * decode_bytes_per_pixel(net) <= 128 * 2**20
    assert plan_tiles(net, 100_000) == plan_tiles(net, DECODE_FAST_MB) == plan_tiles(net, 2 * DECODE_FAST_MB)
    assert big.encode_tile <= max(ENCODE_TILE_MAX, 4 * net.encode_radius)
    assert small.decode_overlap == net.decode_radius and small.encode_overlap == net.encode_radius
    assert plan_tiles(net, tile=40).decode_tile == 40


def test_cancel_stops_tiling():
    net = _net()
    token = CancelToken()
    token.cancel()
    assert [e for e in zoom_tensor(net, torch.rand(1, 4, 40, 40), TilePlan(10, 2, 8, 2), token)
            if torch.is_tensor(e)] == []


def test_centre_roi_is_even_and_central():
    assert centre_roi(5184, 3464, 4) == (1944, 1298, 1296, 866)
    x, y, w, h = centre_roi(101, 77, 3)
    assert x % 2 == 0 and y % 2 == 0 and w % 2 == 0 and h % 2 == 0


def test_zoom_real_arw_crop(arw_path, tmp_path):
    net = _net()
    events = list(zoom_raw(arw_path, net, ZoomOptions(roi=(2593, 1701, 64, 48), tile=16)))
    res = [e for e in events if isinstance(e, Result)][0].values
    assert res["roi"] == (2592, 1700, 64, 48)  # snapped to even pixels (CFA phase)
    img = res["image"]
    assert img.shape == (48 * 4, 64 * 4, 3) and img.dtype == np.float32 and 0 <= img.min() and img.max() <= 1
    assert res["exif"].make == "SONY" and len(res["wb_gains"]) == 3


def test_zoom_malformed_file_raises_clean_error(malformed_paths):
    with pytest.raises(RawReadError):
        list(zoom_raw(malformed_paths[0], _net()))


@pytest.mark.parametrize("fmt,depth", [("tiff", 16), ("png", 16), ("png8", 8), ("jpeg", 8)])
def test_writers_keep_depth_and_exif(tmp_path, fmt, depth):
    from PIL import Image

    yy, xx = np.mgrid[0:20, 0:30]
    img = np.stack([xx / 29, yy / 19, (xx + yy) / 48], axis=-1).astype(np.float32)  # smooth: JPEG-friendly
    info = ExifInfo(make="SONY", model="ILCE-7RM3", orientation=3, datetime="2018:07:11 01:18:47", iso=3200,
                    exposure_time=1 / 640, focal_length=129.0)
    ext = {"tiff": ".tif", "png": ".png", "png8": ".png", "jpeg": ".jpg"}[fmt]
    path = write_image(tmp_path / f"out{ext}", img, fmt, exif=info, description="model m.safetensors")
    back = read_image(path)
    assert back.shape == img.shape
    tol = 1 / 65535 if depth == 16 else (1 / 255 if fmt == "png8" else 0.05)
    assert np.abs(back - img).max() <= tol + 1e-6
    with Image.open(path) as im:
        exif = im.getexif()
        sub = exif.get_ifd(0x8769)
    assert exif.get(271) == "SONY" and exif.get(272) == "ILCE-7RM3" and exif.get(274) == 3
    assert "m.safetensors" in str(exif.get(270))
    def num(v):  # Pillow gives IFDRational or (numerator, denominator)
        return v[0] / v[1] if isinstance(v, tuple) else float(v)

    assert num(sub[37386]) == 129.0 and sub[34855] == 3200 and num(sub[33434]) == pytest.approx(1 / 640)
    assert sub[36867] == "2018:07:11 01:18:47"
    # the colour space written is true: sRGB in EXIF and an sRGB ICC profile
    from PIL import ImageCms
    import io

    assert sub[40961] == 1
    with Image.open(path) as im:
        icc = im.info.get("icc_profile")
    assert icc and "sRGB" in ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc)))
    if fmt == "tiff":  # and our own reader (tifffile) agrees
        from zoomstudio.core.raw.exif import read_tiff_exif

        back_info = read_tiff_exif(path)
        assert (back_info.focal_length, back_info.iso, back_info.make) == (129.0, 3200, "SONY")
    assert not list(tmp_path.glob(".*partial*"))


def test_cli_zoom_batch_with_one_bad_file(arw_path, malformed_paths, tmp_path):
    weights = save_weights(tmp_path / "m.safetensors", _net())
    out = subprocess.run(
        [sys.executable, "-m", "zoomstudio", "zoom", str(arw_path), str(malformed_paths[0]), "--model", str(weights),
         "--roi", "2000,1200,64,64", "--format", "png", "-o", str(tmp_path / "z"), "--device", "cpu"],
        capture_output=True, text=True)
    assert out.returncode == 1
    assert f"{malformed_paths[0]}: error: " in out.stderr and "Traceback" not in out.stderr
    png = tmp_path / "z" / f"{arw_path.stem}_zoom4x.png"
    assert png.exists() and read_image(png).shape == (256, 256, 3)
    assert "camera colours" in out.stderr  # the default: the camera's own (its embedded JPEG's) colours


def test_cli_zoom_colour_choice(dng_path, tmp_path):
    """--colour model keeps the network's rendering; camera falls back to LibRaw's without a JPEG, and says so."""
    from PIL import Image

    outputs = {}
    dng = subprocess.run([sys.executable, "-m", "zoomstudio", "zoom", str(dng_path), "--roi", "600,400,96,64",
                          "--format", "dng", "-o", str(tmp_path / "dng"), "--device", "cpu", "-q"],
                         capture_output=True, text=True)
    assert dng.returncode == 0 and (tmp_path / "dng" / f"{dng_path.stem}_zoom4x.dng").exists(), dng.stderr
    for mode in ("model", "camera"):
        out = subprocess.run(
            [sys.executable, "-m", "zoomstudio", "zoom", str(dng_path), "--roi", "600,400,96,64", "--colour", mode,
             "-o", str(tmp_path / mode), "--device", "cpu", "-q"], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        tif = tmp_path / mode / f"{dng_path.stem}_zoom4x.tif"
        outputs[mode] = read_image(tif)
        with Image.open(tif) as im:
            assert f"{'model' if mode == 'model' else 'libraw'} colours" in im.getexif().get(270)
    assert "libraw colours, " in out.stderr and "; LibRaw's colours: no camera JPEG" in out.stderr
    from zoomstudio.core.metrics.colour_difference import mean_delta_e

    assert mean_delta_e(outputs["model"], outputs["camera"]) > 3.0
    bad = subprocess.run([sys.executable, "-m", "zoomstudio", "zoom", str(dng_path), "--colour", "vivid"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "invalid choice: 'vivid'" in bad.stderr and "Traceback" not in bad.stderr


def test_cli_zoom_refuses_wrong_scale(tmp_path, arw_path):
    weights = save_weights(tmp_path / "m.safetensors", _net())
    out = subprocess.run([sys.executable, "-m", "zoomstudio", "zoom", str(arw_path), "--scale", "8", "--model",
                          str(weights)], capture_output=True, text=True)
    assert out.returncode == 2 and "cannot zoom 8X" in out.stderr


def test_batch_zoom_reports_bad_files_goes_on_and_cancels_cleanly(tmp_path, dng_path, malformed_paths):
    """The one batch-zoom job both front ends drive: a bad file is a Problem and the rest still run; a
    model of another zoom factor is one line; cancel is a normal return."""
    from zoomstudio.core.events import CancelToken, Cancelled, Problem, Result
    from zoomstudio.core.infer import ZoomOptions
    from zoomstudio.core.infer.batch import load_zoom_model, zoom_files
    from zoomstudio.core.nets import NetConfig, ZoomNet, save_weights

    model = save_weights(tmp_path / "m2.safetensors", ZoomNet(NetConfig(width=8, blocks=1, up_width=8, zoom=2)))
    with pytest.raises(ValueError, match="a 2X model cannot zoom 4X"):
        load_zoom_model(model, 4)
    net, name = load_zoom_model(model, 2)
    opts = ZoomOptions(roi=(800, 500, 64, 48))
    events = list(zoom_files([malformed_paths[0], dng_path], net, opts, model_name=name))
    problems = [e for e in events if isinstance(e, Problem)]
    results = [e for e in events if isinstance(e, Result)]
    assert [p.item for p in problems] == [str(malformed_paths[0])] and [r.item for r in results] == [str(dng_path)]
    token = CancelToken()
    token.cancel()
    events = list(zoom_files([dng_path], net, opts, cancel=token))
    assert len(events) == 1 and isinstance(events[0], Cancelled)


def _count_libraw_opens(monkeypatch) -> list:
    """Instrument the one way into LibRaw (decode._imread) to count the opens of a file."""
    from zoomstudio.core.raw import decode

    opened, real = [], decode._imread
    monkeypatch.setattr(decode, "_imread", lambda path: opened.append(path) or real(path))
    return opened


def test_a_zoom_with_the_cameras_colours_opens_the_raw_once(monkeypatch, arw_path):
    """Mosaic, metadata, white balance and the embedded JPEG (the camera's colours) from one decode."""
    opened = _count_libraw_opens(monkeypatch)
    events = list(zoom_raw(arw_path, _net(), ZoomOptions(roi=(2592, 1700, 64, 48), colour="camera")))
    res = [e for e in events if isinstance(e, Result)][0].values
    assert res["colour"] == "camera" and len(opened) == 1


def test_the_apps_preview_and_zoom_share_one_decode_and_the_model_loads_once(monkeypatch, tmp_path, arw_path):
    import os
    import shutil

    from zoomstudio.core.infer.batch import ZoomModels, zoom_queue
    from zoomstudio.core.raw import DecodedRaws
    from zoomstudio.core.raw.preview import raw_preview_job

    raw = tmp_path / arw_path.name
    shutil.copy(arw_path, raw)
    model = save_weights(tmp_path / "m.safetensors", ZoomNet(NetConfig(width=8, blocks=1, up_width=8)))
    opened = _count_libraw_opens(monkeypatch)
    raws, models = DecodedRaws(capacity=1), ZoomModels()
    (preview,) = list(raw_preview_job(raw, read=raws.read))
    assert preview.values["sensor_hw"] == [3464, 5184]
    opts = ZoomOptions(roi=(2592, 1700, 32, 32))
    for _ in range(2):  # two queue runs of the same file
        results = [e for e in zoom_queue([raw], model, 4, opts, models=models, read=raws.read)
                   if isinstance(e, Result)]
        assert results[0].values["colour"] == "camera"
    assert len(opened) == 1 and raws.decodes == 1 and models.loads == 1
    os.utime(raw, ns=(1, 1))  # the file changed on disk: decoded again; so is a changed model file
    os.utime(model, ns=(1, 1))
    list(zoom_queue([raw], model, 4, opts, models=models, read=raws.read))
    assert len(opened) == 2 and models.loads == 2


def test_decoded_raws_keep_the_latest_and_never_keep_failures(tmp_path, dng_path, malformed_paths):
    from zoomstudio.core.raw import DecodedRaws

    raws = DecodedRaws(capacity=1)
    first = raws.read(dng_path)
    assert raws.read(dng_path) is first and first.preview_read
    with pytest.raises(RawReadError):
        raws.read(malformed_paths[0])
    with pytest.raises(RawReadError, match="no such file"):
        raws.read(tmp_path / "missing.dng")
    assert raws.read(dng_path) is first  # failures took no place
    other = tmp_path / "copy.dng"
    other.write_bytes(dng_path.read_bytes())
    raws.read(other)
    assert raws.read(dng_path) is not first and raws.decodes == 3  # capacity 1: the first was let go
    with pytest.raises(ValueError, match="capacity"):
        DecodedRaws(capacity=0)


def test_checking_dropped_inputs_names_each_bad_file_and_keeps_the_good(tmp_path, arw_path, malformed_paths):
    from zoomstudio.core.events import CancelToken, Cancelled, Problem
    from zoomstudio.core.infer.inputs import NO_RAWS, check_inputs

    empty = tmp_path / "empty"
    empty.mkdir()
    events = list(check_inputs([arw_path, malformed_paths[0], empty, tmp_path / "gone.ARW"]))
    problems = {e.item: e.reason for e in events if isinstance(e, Problem)}
    assert problems[str(empty)] == NO_RAWS and problems[str(tmp_path / "gone.ARW")] == "no such file"
    assert str(malformed_paths[0]) in problems
    assert events[-1].values == {"files": [str(arw_path)]}
    token = CancelToken()
    token.cancel()
    assert isinstance(list(check_inputs([arw_path], cancel=token))[-1], Cancelled)


@pytest.mark.parametrize("sample", ["arw_path", "dng_path"])
def test_dng_output_is_linear_raw_that_libraw_renders_in_our_colours(request, sample, tmp_path):
    """A 16-bit LinearRaw DNG with the camera's white balance, matrix and EXIF: LibRaw (rawpy) opens it
    and renders the colours of our TIFF (CIEDE2000 well under 2)."""
    import rawpy
    import tifffile

    from zoomstudio.core.infer import zoom_description
    from zoomstudio.core.metrics.colour_difference import delta_e_map
    from zoomstudio.core.raw import read_raw_metadata
    from zoomstudio.core.raw.header import read_raw_header

    path = request.getfixturevalue(sample)
    meta = read_raw_metadata(path)
    events = list(zoom_raw(path, _net(), ZoomOptions(roi=(meta.width // 2, meta.height // 2, 96, 64))))
    res = [e for e in events if isinstance(e, Result)][0].values
    kwargs = dict(exif=res["exif"], description=zoom_description(res, path.name), colour=res["camera_colour"],
                  xyz_to_cam=res["xyz_to_cam"])
    tiff = write_image(tmp_path / "z.tif", res["image"], "tiff", **kwargs)
    dng = write_image(tmp_path / "z.dng", res["image"], "dng", **kwargs)
    with tifffile.TiffFile(dng) as tif:
        page = tif.pages[0]
        assert page.photometric == 34892 and page.dtype == np.uint16 and page.shape == (256, 384, 3)
    with rawpy.imread(str(dng)) as raw:
        rendered = raw.postprocess(use_camera_wb=True, no_auto_bright=True, gamma=(2.4, 12.92), output_bps=16,
                                   user_flip=0, adjust_maximum_thr=0).astype(np.float32) / 65535
    de = delta_e_map(rendered, read_image(tiff))
    assert de.mean() < 0.5 and np.percentile(de, 99) < 2.0, (de.mean(), np.percentile(de, 99))
    header = read_raw_header(dng)  # the camera's white balance, names and EXIF travel with it
    np.testing.assert_allclose(header.wb_gains[:3], meta.wb_gains[:3], rtol=1e-3)
    assert (header.exif.make, header.exif.model) == (meta.exif.make, meta.exif.model)
    assert header.exif.focal_length == meta.exif.focal_length and header.exif.iso == meta.exif.iso
    assert header.cfa_pattern is None and "not a Bayer" in header.not_bayer


def test_tiles_are_even_cover_the_image_and_keep_their_context():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from zoomstudio.core.infer.tiled import tiled_pixels, tiling

    @settings(max_examples=400, deadline=None)
    @given(st.integers(1, 4000), st.integers(8, 700), st.integers(0, 24), st.integers(0, 3))
    def check(size, tile, overlap, blend):
        if tile - 2 * overlap - blend < 1:
            return
        length, starts = tiling(size, tile, overlap, blend)
        assert length <= tile and starts[0] == 0 and starts[-1] + length == size
        for a, b in zip(starts, starts[1:]):  # cores meet, each tile keeps its context
            assert b > a and a + length - b >= 2 * overlap + blend

    check()
    # a small map (the Canon DNG's packed features under the default plan) no longer computes twice its pixels
    assert tiled_pixels(144, 216, 128, 20) < 1.8 * 144 * 216


def test_tile_blend_weights_sum_to_one_everywhere():
    """A per-pixel function tiled in any geometry gives back its untiled result: the blend weights
    (normalised per axis, no full-size weight map) sum to one at every output pixel, and the pixels only
    one tile covers are copied as they are."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from zoomstudio.core.infer.tiled import run_tiled

    @settings(max_examples=60, deadline=None)
    @given(st.integers(1, 70), st.integers(1, 70), st.integers(6, 40), st.integers(0, 4), st.integers(0, 3),
           st.sampled_from([1, 2, 3]))
    def check(h, w, tile, overlap, blend, scale):
        if tile - 2 * overlap - blend < 1:
            return
        x = torch.rand(1, 2, h, w)
        upsample = lambda t: t.repeat_interleave(scale, 2).repeat_interleave(scale, 3) * 3 - 1  # noqa: E731
        out = run_tiled(upsample, x, scale, tile, overlap, 2, blend=blend)
        torch.testing.assert_close(out, upsample(x), rtol=0, atol=1e-6)

    check()


def test_tiff_output_is_lossless_with_the_horizontal_predictor(tmp_path):
    import cv2
    import tifffile

    rng = np.random.default_rng(3)
    img = rng.random((37, 53, 3)).astype(np.float32)
    path = write_image(tmp_path / "z.tif", img, "tiff", exif=ExifInfo(make="SONY", model="ILCE-7RM3"))
    with tifffile.TiffFile(path) as tif:
        assert tif.pages[0].predictor == 2 and tif.pages[0].compression == 8  # deflate
    expected = np.rint(img * 65535).astype(np.uint16)
    np.testing.assert_array_equal(np.rint(read_image(path) * 65535).astype(np.uint16), expected)
    other = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)  # another reader (libtiff, through OpenCV)
    np.testing.assert_array_equal(other[..., ::-1], expected)
