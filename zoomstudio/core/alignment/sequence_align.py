"""Aligning a whole SR-RAW sequence and writing its tform.txt / wb.txt.

This is the job behind ``zoomstudio align`` and the GUI's Re-align: a
generator of value events (``Progress``, ``Problem``, a final ``Result``)
with a cancel token. Frames are read in sensor orientation (EXIF orientation
ignored) because the RAW mosaic the matrices are later applied to is too.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from pathlib import Path
from typing import Iterator

import numpy as np

from ..data.srraw import Sequence, Shot
from ..events import CancelToken, Cancelled, Problem, Progress, Result
from ..fileio import atomic_write_text, refuse_existing
from ..geometry.ecc import EccConfig, FrameAlignment, align_pair, pyramid_sizes, reference_pyramid, valid_corner
from ..geometry.files import write_tform, write_wb
from ..geometry.fov import fov_match

#: the per-frame alignment report beside tform.txt (scores, shifts, rotations, matrices)
ALIGN_REPORT = "align.json"

log = logging.getLogger(__name__)


def image_size(shot: Shot) -> tuple[int, int]:
    """Full-resolution (h, w) of the image alignment uses (JPG, else RAW visible area)."""
    if shot.jpg_path is not None:
        from PIL import Image

        with Image.open(shot.jpg_path) as im:
            w, h = im.size
        return h, w
    from ..raw import read_raw_metadata

    meta = read_raw_metadata(shot.raw_path)
    return meta.height, meta.width


def load_gray(shot: Shot, reduction: int = 1) -> np.ndarray:
    """Gray float32 image in [0, 1], sensor orientation, downsampled by 1, 2, 4 or 8.

    The camera JPG is used when present (JPEG decoding at reduced size is
    nearly free); otherwise the colour module's rendering of the RAW.
    """
    import cv2

    if shot.jpg_path is not None:
        flag = {
            1: cv2.IMREAD_GRAYSCALE,
            2: cv2.IMREAD_REDUCED_GRAYSCALE_2,
            4: cv2.IMREAD_REDUCED_GRAYSCALE_4,
            8: cv2.IMREAD_REDUCED_GRAYSCALE_8,
        }[reduction]
        img = cv2.imread(str(shot.jpg_path), flag | cv2.IMREAD_IGNORE_ORIENTATION)
        if img is None:
            raise OSError(f"{shot.jpg_path}: cannot decode JPEG")
        return img.astype(np.float32) / 255.0
    from ..raw import read_raw
    from ..raw.preview import quick_render

    gray = cv2.cvtColor(quick_render(read_raw(shot.raw_path)), cv2.COLOR_RGB2GRAY)
    if reduction > 2:
        h, w = gray.shape
        gray = cv2.resize(gray, (max(1, w * 2 // reduction), max(1, h * 2 // reduction)), interpolation=cv2.INTER_AREA)
    return gray


def compute_wb(raw_path: str | Path) -> np.ndarray:
    """As-shot white balance relative to the daylight rendering, ``[R, G, G, B]``.

    The ratio of channel means of two linear renderings (camera WB vs
    daylight), as the SR-RAW authors computed with LibRaw; the colour module's
    half-size rendering gives LibRaw's numbers without demosaicing.
    """
    from ..colour import colour_of, white_balance_ratio
    from ..raw import read_raw

    raw = read_raw(raw_path)
    return white_balance_ratio(raw.packed(), colour_of(raw.meta), raw.meta.daylight_gains)


def _fov_gray(shot: Shot, f_ref: float, level_hw, full_hw) -> np.ndarray:
    """The shot FOV-matched to the reference at the ``level_hw`` grid."""
    frac = float(shot.focal_length) / f_ref
    src_per_level = frac * full_hw[1] / level_hw[1]
    reduction = max(r for r in (1, 2, 4, 8) if r <= max(1.0, src_per_level))
    gray = load_gray(shot, reduction)
    return fov_match(gray, float(shot.focal_length), f_ref, level_hw)


def _matched_reference(ref_finest: np.ndarray, sizes, magnification: float, full_hw) -> list[np.ndarray]:
    """Reference pyramid blurred to the detail a ``magnification``-times enlarged frame still has.

    A wide shot FOV-matched to the reference is an enlargement and lacks the
    reference's fine detail; comparing a sharp and a soft image biases ECC, so
    the reference is softened by the enlargement's blur first.
    """
    import cv2

    sigma_full = 0.5 * np.sqrt(max(magnification**2 - 1.0, 0.0))
    sigma = sigma_full * sizes[-1][1] / full_hw[1]
    if sigma > 0.3:
        ref_finest = cv2.GaussianBlur(ref_finest, (0, 0), sigma)
    return reference_pyramid(ref_finest, sizes)


def alignment_outputs(sequence: Sequence, with_wb: bool = True) -> list[Path]:
    """The files :func:`align_sequence` writes into a sequence folder."""
    return [sequence.tform_path] + ([sequence.wb_path] if with_wb else []) + [sequence.path / ALIGN_REPORT]


def align_sequence(
    sequence: Sequence,
    config: EccConfig = EccConfig(),
    *,
    write: bool = True,
    with_wb: bool = True,
    overwrite: bool = False,
    cancel: CancelToken | None = None,
) -> Iterator[Progress | Problem | Result | Cancelled]:
    """Align every shot of ``sequence`` to its reference and write tform.txt / wb.txt.

    Existing tform.txt / wb.txt / align.json (SR-RAW ships its own) raise
    :class:`~zoomstudio.core.fileio.OutputExistsError` before any work unless ``overwrite``.

    Yields ``Progress`` per frame, ``Problem`` for invalid frames or unreadable
    files, and finally a ``Result`` whose values hold ``frames`` (key, valid,
    score, reason, shift_px, rotation_deg, matrix), ``corner`` and the written
    paths. Frames that fail are flagged and the files are still written;
    their matrix is the best estimate (identity when ECC failed).
    """
    if write:
        refuse_existing(alignment_outputs(sequence, with_wb), overwrite)
    t0 = time.perf_counter()
    ref = sequence.reference
    f_ref = float(ref.focal_length)
    shots = [ref] + [s for s in sequence.shots if s.key != ref.key]
    total = len(shots) + (len(shots) if with_wb else 0)
    yield Progress(0, total, f"{sequence.name}: reading reference {ref.key}")
    try:
        full_hw = image_size(ref)
        sizes = pyramid_sizes(full_hw, config)
        ref_finest = _fov_gray(ref, f_ref, sizes[-1], full_hw)
    except Exception as exc:  # an unreadable reference makes the sequence unalignable
        yield Problem(str(ref.jpg_path or ref.raw_path), f"cannot read reference: {exc}")
        return
    alignments: list[FrameAlignment] = [FrameAlignment(ref.key, np.eye(3), 1.0, True)]
    previous = np.eye(3)
    for i, shot in enumerate(shots[1:], start=1):
        if cancel is not None and cancel.cancelled:
            yield Cancelled(f"{sequence.name}: alignment cancelled; nothing written")
            return
        yield Progress(i, total, f"{sequence.name}: aligning {shot.key} ({shot.focal_length:g} mm)")
        try:
            frame = _fov_gray(shot, f_ref, sizes[-1], full_hw)
        except Exception as exc:
            a = FrameAlignment(shot.key, np.eye(3), float("nan"), False, f"cannot read: {exc}")
        else:
            levels = _matched_reference(ref_finest, sizes, f_ref / float(shot.focal_length), full_hw)
            a = align_pair(levels, frame, full_hw, config, init_full=previous, key=shot.key)
            if not a.valid and not np.allclose(previous, np.eye(3)):
                retry = align_pair(levels, frame, full_hw, config, init_full=None, key=shot.key)
                if retry.valid or not np.isfinite(a.score):
                    a = retry
        if a.valid:
            previous = a.matrix
        else:
            yield Problem(f"{sequence.path / shot.key}", f"alignment invalid: {a.reason}")
        alignments.append(a)
    corner = valid_corner(alignments, full_hw)

    wb: dict[str, np.ndarray] = {}
    if with_wb:
        for j, shot in enumerate(s for s in shots if s.raw_path is not None):
            if cancel is not None and cancel.cancelled:
                yield Cancelled(f"{sequence.name}: alignment cancelled; nothing written")
                return
            yield Progress(len(shots) + j, total, f"{sequence.name}: white balance of {shot.key}")
            try:
                wb[shot.key] = compute_wb(shot.raw_path)
            except Exception as exc:
                yield Problem(str(shot.raw_path), f"white balance failed: {exc}")

    written: dict[str, str] = {}
    frames = [
        {
            "key": a.key,
            "focal_length": float(sequence.shot(a.key).focal_length),
            "valid": a.valid,
            "score": None if not np.isfinite(a.score) else round(a.score, 6),
            "reason": a.reason,
            "shift_px": round(a.shift_px, 3),
            "rotation_deg": round(a.rotation_deg, 4),
            "matrix": a.matrix.tolist(),
        }
        for a in alignments
    ]
    if write:
        written["tform"] = str(write_tform(sequence.tform_path, {a.key: a.matrix for a in alignments}, corner))
        if wb:
            written["wb"] = str(write_wb(sequence.wb_path, wb, sequence.name))
        sidecar = {
            "motion": config.motion,
            "config": asdict(config),
            "full_size": list(full_hw),
            "corner": list(corner),
            "frames": frames,
        }
        written["report"] = str(atomic_write_text(sequence.path / ALIGN_REPORT, json.dumps(sidecar, indent=1)))
    yield Progress(total, total, f"{sequence.name}: done")
    yield Result(
        sequence.name,
        {
            "frames": frames,
            "corner": list(corner),
            "full_size": list(full_hw),
            "wb": {k: v.tolist() for k, v in wb.items()},
            "written": written,
            "seconds": time.perf_counter() - t0,
        },
    )


def load_rgb_preview(shot: Shot, reduction: int = 1) -> np.ndarray:
    """RGB float32 (H, W, 3) in [0, 1] of a shot (camera JPG, else a quick RAW render), sensor orientation."""
    import cv2

    if shot.jpg_path is not None:
        flag = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
                8: cv2.IMREAD_REDUCED_COLOR_8}[reduction]
        bgr = cv2.imread(str(shot.jpg_path), flag | cv2.IMREAD_IGNORE_ORIENTATION)
        if bgr is None:
            raise OSError(f"{shot.jpg_path}: cannot decode JPEG")
        return bgr[..., ::-1].astype(np.float32) / 255.0
    from ..raw import read_raw
    from ..raw.preview import quick_render

    rgb = quick_render(read_raw(shot.raw_path))
    if reduction > 2:
        h, w = rgb.shape[:2]
        rgb = cv2.resize(rgb, (max(1, w * 2 // reduction), max(1, h * 2 // reduction)), interpolation=cv2.INTER_AREA)
    return rgb


def fov_previews(sequence: Sequence, side: int = 1024) -> tuple[dict[str, np.ndarray], tuple[int, int]]:
    """Every shot FOV-matched to the reference at a preview size (long side ``side``).

    Returns ``({key: RGB float32 (h, w, 3)}, full_hw)``; ``full_hw`` is the
    full-resolution frame the tform matrices refer to. Unreadable shots are left out.
    """
    ref = sequence.reference
    f_ref = float(ref.focal_length)
    full_hw = image_size(ref)
    scale = min(1.0, side / max(full_hw))
    hw = (max(1, int(round(full_hw[0] * scale))), max(1, int(round(full_hw[1] * scale))))
    out = {}
    for shot in sequence.shots:
        frac = float(shot.focal_length) / f_ref
        src_per_px = frac * full_hw[1] / hw[1]
        reduction = max(r for r in (1, 2, 4, 8) if r <= max(1.0, src_per_px))
        try:
            out[shot.key] = fov_match(load_rgb_preview(shot, reduction), float(shot.focal_length), f_ref, hw)
        except Exception as exc:  # an unreadable shot is simply not previewed
            log.warning("%s: no preview (%s)", shot.key, exc)
    return out, full_hw


def compare_means(previews: dict[str, np.ndarray], matrices: dict[str, np.ndarray], full_hw,
                  keys: list[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean of the frames aligned with ``matrices`` and of the unaligned frames (the authors' compare/).

    Aligned frames are sharp where the alignment is right; the unaligned mean shows the raw motion.
    """
    from ..geometry.ecc import warp_to_reference
    from ..geometry.overlays import mean_image

    keys = [k for k in (keys or sorted(previews)) if k in previews]
    aligned = [warp_to_reference(previews[k], matrices.get(k, np.eye(3)), full_hw) for k in keys]
    return mean_image(aligned), mean_image([previews[k] for k in keys])


def write_compare_images(sequence: Sequence, side: int = 1024) -> tuple[Path, Path]:
    """Write ``compare/aligned.jpg`` and ``compare/orig.jpg`` from the sequence's tform.txt."""
    import cv2

    from ..colour.srgb import to_uint8
    from ..fileio import atomic_output
    from ..geometry.files import read_tform

    tform = read_tform(sequence.tform_path)
    previews, full_hw = fov_previews(sequence, side)
    aligned, orig = compare_means(previews, {k: tform.matrix3(k) for k in tform.matrices}, full_hw)
    out_dir = sequence.path / "compare"
    out_dir.mkdir(exist_ok=True)
    paths = []
    for name, img in (("aligned.jpg", aligned), ("orig.jpg", orig)):
        path = out_dir / name
        with atomic_output(path) as tmp:
            cv2.imwrite(str(tmp), to_uint8(img)[..., ::-1])
        paths.append(path)
    return paths[0], paths[1]
