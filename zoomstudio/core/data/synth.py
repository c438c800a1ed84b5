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
"""

from __future__ import annotations

import json
import logging
import math
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from ..colour.srgb import linear_to_srgb, srgb_to_linear, to_uint8
from ..events import CancelToken, Cancelled, Problem, Progress, Result
from ..geometry.fov import fov_matrix, warp_antialiased
from ..raw.dng import write_dng
from ..raw.exif import ExifInfo, exif_bytes
from .cameras import PRESETS, SimulatedCamera, draw_camera
from .photos import PHOTO_SETS, photo_sources

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}


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


#: larger photographs are reduced (area filter) to this long side: wallpapers are often upsampled, and
#: a reduced photo holds more detail per pixel at a quarter of the memory
MAX_PHOTO_SIDE = 2560


def _load_source(name: str) -> np.ndarray:
    """A source photo as float32 sRGB (H, W, 3) in [0, 1], at most :data:`MAX_PHOTO_SIDE` px on its long side."""
    if name.startswith("skimage:"):
        import skimage.data

        img = getattr(skimage.data, name.split(":", 1)[1])()
    else:
        path = Path(name)
        if path.suffix.lower() in IMAGE_SUFFIXES:
            from PIL import Image

            with Image.open(path) as im:
                img = np.asarray(im.convert("RGB"))
        else:  # a RAW: develop it with LibRaw's defaults (camera WB, sRGB)

            from ..raw.decode import open_raw

            with open_raw(path) as raw:
                img = raw.postprocess(use_camera_wb=True, output_bps=8, half_size=True)
    img = np.asarray(img)
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    img = img[..., :3]
    scale = 65535.0 if img.dtype == np.uint16 else 255.0
    img = img.astype(np.float32) / scale
    if max(img.shape[:2]) > MAX_PHOTO_SIDE:
        import cv2

        f = MAX_PHOTO_SIDE / max(img.shape[:2])
        img = cv2.resize(img, (round(img.shape[1] * f), round(img.shape[0] * f)), interpolation=cv2.INTER_AREA)
    return img


def _focal_lengths(rng: np.random.Generator, cfg: SynthConfig) -> list[float]:
    n = int(rng.integers(cfg.shots[0], cfg.shots[1] + 1))
    wide = float(rng.uniform(*cfg.focal_wide))
    tele = float(rng.uniform(*cfg.focal_tele))
    # Geometric spacing like a zoom ring's marked stops, with a little jitter.
    f = np.geomspace(wide, tele, n)
    f[1:-1] *= rng.uniform(0.97, 1.03, n - 2)
    return sorted((float(round(v)) for v in f), reverse=True)  # longest first: 00001


def _euclidean(rng: np.random.Generator, cfg: SynthConfig, w: int, h: int) -> np.ndarray:
    """A random Euclidean motion about the frame centre (3x3, reference pixels)."""
    theta = math.radians(rng.uniform(-cfg.max_rotation_deg, cfg.max_rotation_deg))
    tx, ty = rng.uniform(-cfg.max_shift, cfg.max_shift, 2) * w
    c, s = math.cos(theta), math.sin(theta)
    cx, cy = (w - 1) / 2, (h - 1) / 2
    rot = np.array([[c, -s, cx - c * cx + s * cy], [s, c, cy - s * cx - c * cy], [0, 0, 1.0]])
    return np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1.0]]) @ rot


@dataclass(frozen=True)
class Leaf:
    """A photo crop pasted into the scene (ref-pixel coordinates): a 'dead leaf'."""

    photo: int  # index into the photo pool
    crop: tuple[int, int, int, int]  # x, y, w, h in the photo
    centre: tuple[float, float]
    size: tuple[float, float]  # width, height in reference pixels
    angle: float  # radians
    ellipse: bool

    def scene_to_crop(self) -> np.ndarray:
        """3x3 map from reference pixel coords to crop pixel coords."""
        cx, cy = self.centre
        x, y, w, h = self.crop
        c, s = math.cos(-self.angle), math.sin(-self.angle)
        to_local = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]]) @ np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1.0]])
        scale = np.diag([w / self.size[0], h / self.size[1], 1.0])
        return np.array([[1, 0, (w - 1) / 2], [0, 1, (h - 1) / 2], [0, 0, 1.0]]) @ scale @ to_local


def _make_leaves(rng: np.random.Generator, photos: list[np.ndarray], primary: int, w: int, h: int,
                 magnification: float) -> list[Leaf]:
    """A scale-invariant collage of real photo crops, back to front.

    A background photo spans the widest view; then, octave by octave from the
    widest field of view to the reference's, leaves about a third of that
    field wide are scattered inside it. Every focal length therefore sees
    sharp photo detail at its own scale, as a real scene offers.
    """
    cx, cy = (w - 1) / 2, (h - 1) / 2
    leaves = []
    ph, pw = photos[primary].shape[:2]
    span = magnification * 1.15  # background covers the widest view with room for hand motion
    aspect = w / h
    bw, bh = (pw, min(ph, int(pw / aspect))) if pw / ph <= aspect else (min(pw, int(ph * aspect)), ph)
    bx, by = int(rng.integers(0, pw - bw + 1)), int(rng.integers(0, ph - bh + 1))
    leaves.append(Leaf(primary, (bx, by, bw, bh), (cx, cy), (w * span, h * span), 0.0, False))
    octaves = int(math.ceil(math.log2(max(magnification, 1.0))))
    for o in range(octaves, -1, -1):
        field_w = w * min(2.0**o, magnification)
        for _ in range(10):
            k = primary if rng.random() < 0.5 else int(rng.integers(0, len(photos)))
            qh, qw = photos[k].shape[:2]
            lw = field_w * rng.uniform(0.15, 0.45)
            lh = lw * rng.uniform(0.6, 1.6)
            # Crop about as many photo pixels as the leaf spans in reference pixels (sharp when
            # the reference sees it), limited by the photo's size; keep the leaf's aspect.
            cw = int(np.clip(round(lw), 48, qw))
            ch = int(np.clip(round(cw * lh / lw), 16, qh))
            cw = int(np.clip(round(ch * lw / lh), 16, qw))
            x = int(rng.integers(0, qw - cw + 1))
            y = int(rng.integers(0, qh - ch + 1))
            centre = (cx + rng.uniform(-0.5, 0.5) * field_w, cy + rng.uniform(-0.5, 0.5) * field_w / aspect)
            leaves.append(Leaf(k, (x, y, cw, ch), centre, (lw, lh), float(rng.uniform(-0.5, 0.5)),
                               bool(rng.random() < 0.4)))
    return leaves


def _render_view(leaves: list[Leaf], photos: list[np.ndarray], sensor_to_ref: np.ndarray, h: int, w: int) -> np.ndarray:
    """Paint the leaves (back to front) onto an (h, w, 3) sensor view; anti-aliased."""
    import cv2

    canvas = np.zeros((h, w, 3), np.float32)
    for leaf in leaves:
        m = leaf.scene_to_crop() @ sensor_to_ref  # sensor pixel -> crop pixel
        x, y, cw, ch = leaf.crop
        corners = np.linalg.inv(m) @ np.array([[-0.5, cw - 0.5, -0.5, cw - 0.5], [-0.5, -0.5, ch - 0.5, ch - 0.5],
                                               [1, 1, 1, 1]])
        x0 = max(0, int(math.floor(corners[0].min())))
        x1 = min(w, int(math.ceil(corners[0].max())) + 1)
        y0 = max(0, int(math.floor(corners[1].min())))
        y1 = min(h, int(math.ceil(corners[1].max())) + 1)
        if x1 <= x0 or y1 <= y0:
            continue
        sub = m @ np.array([[1, 0, x0], [0, 1, y0], [0, 0, 1.0]])
        crop = photos[leaf.photo][y : y + ch, x : x + cw]
        rgb = warp_antialiased(crop, sub, (y1 - y0, x1 - x0), interpolation=cv2.INTER_CUBIC,
                               border_mode=cv2.BORDER_REFLECT)
        mask = np.zeros((ch, cw), np.float32)
        if leaf.ellipse:
            sub_px = 16  # cv2 draws with 4 fractional bits
            centre = (int(round((cw - 1) / 2 * sub_px)), int(round((ch - 1) / 2 * sub_px)))
            axes = (int(round(cw / 2 * sub_px)), int(round(ch / 2 * sub_px)))
            cv2.ellipse(mask, centre, axes, 0, 0, 360, 1.0, -1, cv2.LINE_AA, 4)
        else:
            mask[:] = 1.0
        alpha = warp_antialiased(mask, sub, (y1 - y0, x1 - x0), border_mode=cv2.BORDER_CONSTANT)[..., None]
        region = canvas[y0:y1, x0:x1]
        region += alpha * (np.clip(rgb, 0, 1) - region)
    return canvas


def _mosaic(rgb: np.ndarray, cfa: str) -> np.ndarray:
    """Sample an (H, W, 3) image through a Bayer CFA (RGGB, BGGR, GRBG or GBRG) -> (H, W)."""
    from ..raw.pack import channel_offsets

    m = np.empty(rgb.shape[:2], dtype=np.float32)
    for channel, (dy, dx) in zip((0, 1, 2, 1), channel_offsets(cfa)):
        m[dy::2, dx::2] = rgb[dy::2, dx::2, channel]
    return m


def lens_blur(view: np.ndarray, shape: str, size: float, rng: np.random.Generator) -> np.ndarray:
    """Blur an (H, W, 3) view by a lens PSF: ``gaussian`` (sigma = size), ``disk`` (defocus, radius
    2 * size) or ``motion`` (a line 4 * size long at a random angle), all in sensor pixels."""
    import cv2

    if shape == "gaussian":
        return cv2.GaussianBlur(view, (0, 0), size)
    r = max(1, int(math.ceil(2 * size if shape == "disk" else 2 * size)))
    kernel = np.zeros((2 * r + 1, 2 * r + 1), np.float32)
    if shape == "disk":
        cv2.circle(kernel, (r, r), r, 1.0, -1, cv2.LINE_AA)
    elif shape == "motion":
        angle = rng.uniform(0, math.pi)
        dx, dy = math.cos(angle) * r, math.sin(angle) * r
        cv2.line(kernel, (round(r - dx), round(r - dy)), (round(r + dx), round(r + dy)), 1.0, 1, cv2.LINE_AA)
    else:
        raise ValueError(f"unknown blur shape {shape!r}")
    return cv2.filter2D(view, -1, kernel / kernel.sum(), borderType=cv2.BORDER_REFLECT)


def simulate_sensor(view: np.ndarray, camera: SimulatedCamera, exposure: float,
                    rng: np.random.Generator) -> np.ndarray:
    """Unprocess an sRGB view (H, W, 3) through ``camera`` into its uint16 mosaic (black + signal + noise).

    sRGB -> linear -> the camera's RGB (inverse of its cam -> sRGB matrix) ->
    inverse white balance -> CFA -> heteroscedastic Gaussian noise (variance
    shot * x + read) -> black level, white level, quantisation.
    """
    from ..colour import cam_to_srgb_from_xyz

    cam_to_srgb = cam_to_srgb_from_xyz(camera.matrix())
    linear = srgb_to_linear(view) * exposure
    camera_rgb = linear @ np.linalg.inv(cam_to_srgb).T.astype(np.float32) / np.asarray(camera.wb, np.float32)
    x = _mosaic(np.clip(camera_rgb, 0.0, 1.0), camera.cfa)
    noisy = x + rng.normal(0.0, 1.0, x.shape) * np.sqrt(camera.shot_noise * x + camera.read_noise)
    span = camera.white_level - camera.black_level
    return np.clip(np.rint(noisy * span + camera.black_level), 0, camera.white_level).astype(np.uint16)


#: OpenCV's demosaic codes name the pattern of the second row's first two pixels
_OPENCV_BAYER = {"RGGB": "COLOR_BayerBG2RGB", "BGGR": "COLOR_BayerRG2RGB", "GRBG": "COLOR_BayerGB2RGB",
                 "GBRG": "COLOR_BayerGR2RGB"}


def simulated_camera_jpeg(counts: np.ndarray, camera: SimulatedCamera) -> np.ndarray:
    """``camera``'s own JPEG rendering of its mosaic -> uint8 RGB (H, W, 3): demosaic, white balance,
    brightness, its colour matrix to sRGB, saturation, noise reduction, tone curve, sharpening."""
    import cv2

    from ..colour import cam_to_srgb_from_xyz

    span = camera.white_level - camera.black_level
    norm = np.clip((counts.astype(np.float32) - camera.black_level) / span, 0, 1)
    mosaic = np.rint(norm * 65535).astype(np.uint16)
    rgb = cv2.cvtColor(mosaic, getattr(cv2, _OPENCV_BAYER[camera.cfa])).astype(np.float32) / 65535.0
    rgb = np.clip(rgb * np.asarray(camera.wb, np.float32), 0, 1) * camera.brightness
    rgb = rgb @ cam_to_srgb_from_xyz(camera.matrix()).T.astype(np.float32)
    luma = rgb @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    rgb = np.clip(luma[..., None] + camera.saturation * (rgb - luma[..., None]), 0, None)
    noise = math.sqrt(camera.shot_noise * 0.2 + camera.read_noise)
    if noise > 0.004:  # in-camera noise reduction grows with the noise
        rgb = cv2.GaussianBlur(rgb, (0, 0), min(1.5, 0.3 + 40 * noise))
    rgb = np.clip(rgb, 0, 1)
    if camera.tone == "filmic":
        rgb = 2 * rgb / (1 + rgb)  # lifts the shadows, rolls off the highlights
    srgb = linear_to_srgb(rgb)
    if camera.tone == "contrast":
        srgb = srgb + 0.5 * (srgb * srgb * (3 - 2 * srgb) - srgb)  # half a smoothstep S-curve
    soft = cv2.GaussianBlur(srgb, (0, 0), 1.0)
    return to_uint8(srgb + camera.sharpen * (srgb - soft))


def render_sequence(out_dir: Path, name: str, photos: list[np.ndarray], primary: int, source: str,
                    rng: np.random.Generator, cfg: SynthConfig) -> dict:
    """Render one sequence folder; returns its truth record."""
    import cv2

    w, h = cfg.size
    focals = _focal_lengths(rng, cfg)
    f_ref, f_wide = focals[0], focals[-1]
    leaves = _make_leaves(rng, photos, primary, w, h, f_ref / f_wide)
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
        motion = np.eye(3) if k == 1 else _euclidean(rng, cfg, w, h)
        # sensor pixel -> FOV-matched ref coords -> (inverse motion) reference pixel (scene coords)
        sensor_to_ref = np.linalg.inv(motion) @ np.linalg.inv(fov_matrix(f, f_ref, (h, w)))
        view = _render_view(leaves, photos, sensor_to_ref, h, w)
        sigma = float(rng.uniform(*cfg.blur_sigma))
        if camera is None:
            view = cv2.GaussianBlur(view, (0, 0), sigma)
            view = np.clip(view, 0.0, 1.0)
            # Inverse ISP: sRGB -> linear -> inverse white balance -> mosaic -> counts + noise.
            linear = srgb_to_linear(view) * exposure
            camera_rgb = linear / wb.astype(np.float32)
            signal = _mosaic(camera_rgb, "RGGB") * (cfg.white_level - cfg.black_level)
            gain = 0.05 * iso / 100.0  # DN per electron-equivalent: shot noise grows with ISO
            read = 1.0 * math.sqrt(iso / 100.0)
            noisy = gain * rng.poisson(np.maximum(signal, 0) / gain) + rng.normal(0.0, read, signal.shape)
            counts = np.clip(np.rint(noisy + cfg.black_level), 0, cfg.white_level).astype(np.uint16)
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
            jpg_rgb = camera_isp(counts, cfg, wb, iso)
            quality = cfg.jpeg_quality
        else:
            write_dng(seq_dir / f"{key}.DNG", counts, camera.cfa, black_level=camera.black_level,
                      white_level=camera.white_level, color_matrix=camera.matrix(), as_shot_neutral=1.0 / wb,
                      exif=exif)
            jpg_rgb = simulated_camera_jpeg(counts, camera)
            quality = camera.jpeg_quality
        _write_jpeg(seq_dir / f"{key}.JPG", jpg_rgb, exif, quality)
        truth["shots"][key] = {
            "focal_length": f,
            "motion": motion[:2].tolist(),
            "blur_sigma": sigma,
            "exposure_time": exposure_time,
        }
    return truth


#: the synthetic camera's rendering gain (its "brightness"): exposures of 0.55-0.85 render near 0.4-0.6
CAMERA_GAIN = 1.0 / 0.7


def camera_isp(counts: np.ndarray, cfg: SynthConfig, wb: np.ndarray, iso: int) -> np.ndarray:
    """The synthetic camera's JPEG rendering of a RGGB mosaic (uint16 counts) -> uint8 RGB (H, W, 3)."""
    import cv2

    norm = (counts.astype(np.float32) - cfg.black_level) / (cfg.white_level - cfg.black_level)
    mosaic = np.clip(np.rint(np.clip(norm, 0, 1) * 65535), 0, 65535).astype(np.uint16)
    rgb = cv2.cvtColor(mosaic, cv2.COLOR_BayerBG2RGB).astype(np.float32) / 65535.0  # OpenCV's name for RGGB
    rgb *= (wb * CAMERA_GAIN).astype(np.float32)
    if iso >= 800:  # in-camera noise reduction grows with ISO
        rgb = cv2.GaussianBlur(rgb, (0, 0), 0.4 + 0.2 * np.log2(iso / 800))
    srgb = linear_to_srgb(np.clip(rgb, 0, 1))
    soft = cv2.GaussianBlur(srgb, (0, 0), 1.0)
    return to_uint8(srgb + 0.3 * (srgb - soft))  # mild unsharp masking


def _write_jpeg(path: Path, rgb: np.ndarray, exif: ExifInfo, quality: int) -> None:
    from PIL import Image

    from ..fileio import atomic_output

    with atomic_output(path) as tmp:
        Image.fromarray(rgb).save(tmp, format="JPEG", quality=quality,
                                  exif=exif_bytes(exif, software="ZoomStudio synth"))


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
            photos[name] = _load_source(name)
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
