"""Synthetic SR-RAW: optical-zoom sequences rendered from real photographs.

Each sequence simulates a zoom lens on a tripod: 5-7 focal lengths between 24
and 240 mm, small Euclidean hand motion between shots, lens blur, an inverse
ISP (sRGB -> linear, inverse white balance), an RGGB mosaic, Poisson-Gaussian
noise by ISO and 14-bit quantisation. Every shot is written as ``0000k.DNG``
plus the camera's ``0000k.JPG`` rendered from that RAW by one fixed ISP
(demosaic, white balance, gain, ISO-dependent denoising, sRGB tone, mild
sharpening) with EXIF, in the SR-RAW layout (00001 is
the longest focal length), and ``truth.json`` records the true motions in the
tform.txt convention. Output is byte-identical for a given seed.

This module is the job (configuration, one sequence, the dataset); its parts:
:mod:`.scene` (the photo collage, focal lengths, hand motion, views),
:mod:`.sensor` (blur, inverse ISP, CFA, noise), :mod:`.isp` (the cameras' JPEGs),
:mod:`.cameras` (the simulated camera models) and :mod:`.photos` (the photographs).
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from ..events import CancelToken, Cancelled, Problem, Progress, Result
from ..geometry.fov import fov_matrix
from ..raw.dng import write_dng
from ..raw.exif import ExifInfo
from .cameras import PRESETS, draw_camera
from .isp import camera_isp, simulated_camera_jpeg, write_camera_jpeg
from .photos import PHOTO_SETS, load_photo, photo_sources
from .scene import euclidean_motion, focal_lengths, make_leaves, render_view
from .sensor import fixed_camera_counts, lens_blur, simulate_sensor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SynthConfig:
    """How synthetic sequences are rendered. ``size`` is the sensor (width, height)."""

    sequences: int = 4
    seed: int = 0
    size: tuple[int, int] = (960, 640)
    shots: tuple[int, int] = (5, 7)  # inclusive range of focal lengths per sequence
    focal_wide: tuple[float, float] = (24.0, 35.0)
    focal_tele: tuple[float, float] = (150.0, 240.0)
    max_shift: float = 0.006  # hand motion: translation as a fraction of the width (ref pixels)
    max_rotation_deg: float = 0.3
    blur_sigma: tuple[float, float] = (0.4, 1.0)  # lens blur, sensor pixels
    isos: tuple[int, ...] = (100, 200, 400, 800, 1600, 3200)
    black_level: int = 512
    white_level: int = 16383  # 14-bit
    jpeg_quality: int = 95
    make: str = "ZoomStudio"
    model: str = "SynthCam"
    sources: tuple[str, ...] = field(default_factory=tuple)  # extra image / RAW files
    camera: str = "fixed"  # fixed (one synthetic camera), varied (many cameras), unseen (held-out cameras)
    photos: str = "skimage"  # scene photographs: skimage, training or unseen (see data.photos)
    photo_root: str = "/"  # where the Debian photo packages are installed or extracted

    def __post_init__(self) -> None:
        w, h = self.size
        if w < 64 or h < 64 or w % 2 or h % 2:
            raise ValueError(f"size must be even and at least 64x64, got {w}x{h}")
        if not 2 <= self.shots[0] <= self.shots[1] <= 9:
            raise ValueError(f"shots must be a range within 2..9, got {self.shots}")
        if self.sequences < 1:
            raise ValueError(f"sequences must be >= 1, got {self.sequences}")
        if self.camera not in PRESETS:
            raise ValueError(f"camera must be one of {', '.join(PRESETS)}, got {self.camera!r}")
        if self.photos not in PHOTO_SETS:
            raise ValueError(f"photos must be one of {', '.join(PHOTO_SETS)}, got {self.photos!r}")


def render_sequence(out_dir: Path, name: str, photos: list[np.ndarray], primary: int, source: str,
                    rng: np.random.Generator, cfg: SynthConfig) -> dict:
    """Render one sequence folder; returns its truth record."""
    import cv2

    w, h = cfg.size
    focals = focal_lengths(rng, cfg)
    f_ref, f_wide = focals[0], focals[-1]
    leaves = make_leaves(rng, photos, primary, w, h, f_ref / f_wide)
    camera = None if cfg.camera == "fixed" else draw_camera(rng, cfg.camera)
    wb = np.array([rng.uniform(1.6, 2.6), 1.0, rng.uniform(1.2, 2.1)])
    if camera is not None:
        wb = np.asarray(camera.wb, dtype=np.float64)
    iso = int(rng.choice(cfg.isos))
    exposure = float(rng.uniform(0.55, 0.85))
    base_time = 1_500_000_000 + int(rng.integers(0, 10**8))
    seq_dir = out_dir / name
    seq_dir.mkdir(parents=True, exist_ok=True)
    truth: dict = {
        "sequence": name,
        "source": source,
        "size": [w, h],
        "iso": iso,
        "wb_gains": wb.tolist(),
        "exposure": exposure,
        "camera": "fixed" if camera is None else camera.to_dict(),
        "shots": {},
    }
    for k, f in enumerate(focals, start=1):
        key = f"{k:05d}"
        motion = np.eye(3) if k == 1 else euclidean_motion(rng, cfg, w, h)
        # sensor pixel -> FOV-matched ref coords -> (inverse motion) reference pixel (scene coords)
        sensor_to_ref = np.linalg.inv(motion) @ np.linalg.inv(fov_matrix(f, f_ref, (h, w)))
        view = render_view(leaves, photos, sensor_to_ref, h, w)
        sigma = float(rng.uniform(*cfg.blur_sigma))
        if camera is None:
            view = cv2.GaussianBlur(view, (0, 0), sigma)
            view = np.clip(view, 0.0, 1.0)
            counts = fixed_camera_counts(view, wb, exposure, iso, cfg.black_level, cfg.white_level, rng)
        else:
            view = np.clip(lens_blur(view, camera.blur_shape, sigma * camera.blur_scale, rng), 0.0, 1.0)
            counts = simulate_sensor(view, camera, exposure, rng)
        exposure_time = 1.0 / float(rng.choice([60, 125, 250, 500]))
        stamp = base_time + 2 * k
        import time as _time

        date = _time.strftime("%Y:%m:%d %H:%M:%S", _time.gmtime(stamp))
        exif = ExifInfo(make=cfg.make, model=cfg.model, iso=iso, exposure_time=exposure_time, focal_length=f,
                        orientation=1, datetime=date)
        if camera is None:
            write_dng(seq_dir / f"{key}.DNG", counts, "RGGB", black_level=cfg.black_level,
                      white_level=cfg.white_level, as_shot_neutral=1.0 / wb, exif=exif)
            # Camera JPEG: the camera's own rendering of this RAW (demosaic, white balance, fixed gain,
            # denoise by ISO, sRGB tone, mild sharpening), so RAW -> JPEG is one fixed ISP.
            jpg_rgb = camera_isp(counts, cfg.black_level, cfg.white_level, wb, iso)
            quality = cfg.jpeg_quality
        else:
            write_dng(seq_dir / f"{key}.DNG", counts, camera.cfa, black_level=camera.black_level,
                      white_level=camera.white_level, color_matrix=camera.matrix(), as_shot_neutral=1.0 / wb,
                      exif=exif)
            jpg_rgb = simulated_camera_jpeg(counts, camera)
            quality = camera.jpeg_quality
        write_camera_jpeg(seq_dir / f"{key}.JPG", jpg_rgb, exif, quality)
        truth["shots"][key] = {
            "focal_length": f,
            "motion": motion[:2].tolist(),
            "blur_sigma": sigma,
            "exposure_time": exposure_time,
        }
    return truth


def synthesize(out_dir: str | Path, config: SynthConfig = SynthConfig(), cancel: CancelToken | None = None,
               *, overwrite: bool = False) -> Iterator[Progress | Problem | Result | Cancelled]:
    """Write ``config.sequences`` sequences under ``out_dir`` (``00001``, ``00002``, ...).

    Yields ``Progress`` per sequence and a final ``Result`` (paths, seconds).
    Sources are the photo set ``config.photos`` (:mod:`.photos`) followed by
    ``config.sources`` (images or RAWs); unreadable sources are reported as
    ``Problem`` and skipped; a photo set that is not installed stops the job
    with a ``Problem``. A sequence is written into a temporary folder and
    renamed, so a cancelled run never leaves a half-written sequence.

    Sequence folders (or ``synth.json``) that already exist are a user's data: the job raises
    :class:`~zoomstudio.core.fileio.OutputExistsError` before writing anything, unless ``overwrite``
    (then each is replaced only once its new version is complete).
    """
    import time

    from ..fileio import atomic_write_text, refuse_existing

    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    refuse_existing([out_dir / f"{i + 1:05d}" for i in range(config.sequences)] + [out_dir / "synth.json"],
                    overwrite)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        names = photo_sources(config.photos, config.photo_root) + [str(s) for s in config.sources]
    except ValueError as exc:
        yield Problem(str(out_dir), str(exc))
        return
    photos: dict[str, np.ndarray] = {}
    for name in names:
        try:
            photos[name] = load_photo(name)
        except Exception as exc:
            yield Problem(name, f"cannot use as a source photo: {exc}")
    if not photos:
        yield Problem(str(out_dir), "no usable source photos")
        return
    sources = list(photos)
    # User-given sources are used first, then the bundled photographs in turn.
    order = [s for s in sources if not s.startswith("skimage:")] + [s for s in sources if s.startswith("skimage:")]
    pool = [photos[name] for name in order]
    written = []
    for i in range(config.sequences):
        if cancel is not None and cancel.cancelled:
            yield Cancelled(f"synthesis cancelled after {i} sequences")
            return
        name = f"{i + 1:05d}"
        yield Progress(i, config.sequences, f"rendering sequence {name}")
        rng = np.random.default_rng([config.seed, i])
        source = order[i % len(order)]
        tmp_dir = out_dir / f".{name}.partial"
        if tmp_dir.exists():  # left by a killed run of ours
            shutil.rmtree(tmp_dir)
        truth = render_sequence(out_dir, tmp_dir.name, pool, order.index(source), source, rng, config)
        truth["sequence"] = name
        truth["seed"] = config.seed
        (tmp_dir / "truth.json").write_text(json.dumps(truth, indent=1))
        final = out_dir / name
        if final.exists():  # overwrite: swap the complete new sequence in, then drop the old one
            old = out_dir / f".{name}.replaced"
            if old.exists():
                shutil.rmtree(old)
            final.rename(old)
            tmp_dir.rename(final)
            shutil.rmtree(old)
        else:
            tmp_dir.rename(final)
        written.append(str(final))
    config_record = asdict(config)
    atomic_write_text(out_dir / "synth.json", json.dumps(config_record, indent=1))
    yield Progress(config.sequences, config.sequences, "done")
    yield Result(str(out_dir), {"sequences": written, "seconds": time.perf_counter() - t0})
