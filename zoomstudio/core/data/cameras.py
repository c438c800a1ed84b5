"""Simulated cameras for synthetic SR-RAW: many cameras' colour, sensors, optics and JPEG styles.

A model trained on one camera learns that camera (design.md section 7). Each
synthetic sequence therefore draws its own camera (seeded, recorded in
truth.json): the XYZ -> camera matrix of a real camera or a convex mix of
them, as-shot white balance, exposure, CFA phase, black / white level and bit
depth, shot and read noise from the ranges of Brooks et al. (CVPR 2019), lens
blur of several shapes, and a JPEG style (tone curve, saturation, sharpening,
quality).

Presets: ``fixed`` (the original single synthetic camera, byte-identical to
earlier datasets), ``varied`` (training: the cameras in
:data:`TRAINING_CAMERAS`, Brooks et al.'s noise range), ``varied-wide``
(training: the same cameras, noise up to high ISO (shot 0.03), sharpening up to
1.0 and JPEG quality down to 70), ``unseen`` (evaluation only: other cameras,
noise beyond ``varied``'s range, motion blur, filmic tone, strong sharpening,
low JPEG quality) and ``unseen-typical`` (evaluation only: the other cameras'
colour science with ``varied``'s noise, optics and JPEG styles: what a new
camera at base ISO looks like). The two real samples' cameras (Canon EOS 550D,
Sony ILCE-7RM3) are never used for training.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

#: XYZ (D65) -> camera matrices x 10000, as published in Adobe's DNG tables (dcraw / LibRaw ``adobe_coeff``).
CAMERA_MATRICES: dict[str, tuple[int, ...]] = {
    "Canon EOS 5D": (6347, -479, -972, -8297, 15954, 2480, -1968, 2131, 7649),
    "Canon EOS 5D Mark II": (4716, 603, -830, -7798, 15474, 2480, -1496, 1937, 6651),
    "Canon EOS 5D Mark III": (6722, -635, -963, -4287, 12460, 2028, -908, 2162, 5668),
    "Canon EOS 6D": (7034, -804, -1014, -4420, 12564, 2058, -851, 1994, 5758),
    "Canon EOS 600D": (6461, -907, -882, -4300, 12184, 2378, -819, 1944, 5931),
    "Canon EOS 650D": (6602, -841, -939, -4472, 12458, 2247, -975, 2039, 6148),
    "Canon EOS 1100D": (6444, -904, -893, -4563, 12308, 2535, -903, 2016, 6728),
    "Canon EOS-1Ds Mark III": (5859, -211, -930, -8255, 16017, 2353, -1732, 1887, 7448),
    "Fujifilm X-M1": (10413, -3996, -993, -3721, 11640, 2361, -733, 1540, 6011),
    "Nikon D5200": (8322, -3112, -1047, -6367, 14342, 2179, -988, 1638, 6394),
    "Olympus E-PL6": (8380, -2630, -639, -2887, 10725, 2496, -627, 1427, 5438),
    "Panasonic DMC-GX1": (6763, -1919, -863, -3868, 11515, 2684, -1216, 2387, 5879),
    # held out: the real samples' cameras and two older sensors
    "Canon EOS 550D": (6941, -1164, -857, -3825, 11597, 2534, -416, 1540, 6039),
    "Sony ILCE-7RM3": (6640, -1847, -503, -5238, 13010, 2474, -993, 1673, 6527),
    "Canon EOS 300D": (8197, -2000, -1118, -6714, 14335, 2592, -2536, 3178, 8266),
    "Canon EOS 450D": (5784, -262, -821, -7539, 15064, 2672, -1982, 2681, 7427),
}
TRAINING_CAMERAS = ("Canon EOS 5D", "Canon EOS 5D Mark II", "Canon EOS 5D Mark III", "Canon EOS 6D",
                    "Canon EOS 600D", "Canon EOS 650D", "Canon EOS 1100D", "Canon EOS-1Ds Mark III",
                    "Fujifilm X-M1", "Nikon D5200", "Olympus E-PL6", "Panasonic DMC-GX1")
UNSEEN_CAMERAS = ("Canon EOS 550D", "Sony ILCE-7RM3", "Canon EOS 300D", "Canon EOS 450D")
PRESETS = ("fixed", "varied", "varied-wide", "unseen", "unseen-typical")
#: the presets :func:`draw_camera` draws from (``fixed`` is the synthetic camera of data.synth)
DRAWN_PRESETS = PRESETS[1:]
CFA_PATTERNS = ("RGGB", "BGGR", "GRBG", "GBRG")
BLUR_SHAPES = ("gaussian", "disk", "motion")
TONE_CURVES = ("srgb", "contrast", "filmic")


@dataclass(frozen=True)
class SimulatedCamera:
    """One drawn camera. Matrices row-major; noise in normalised units (white - black = 1):
    variance = ``shot_noise * x + read_noise``."""

    name: str
    xyz_to_cam: tuple[float, ...]  # 9 values
    wb: tuple[float, float, float]  # as-shot R, G, B gains (G = 1)
    cfa: str
    black_level: int
    white_level: int
    shot_noise: float
    read_noise: float
    blur_shape: str
    blur_scale: float  # multiplies the per-shot blur size
    tone: str
    saturation: float
    sharpen: float
    jpeg_quality: int
    brightness: float  # the camera JPEG's rendering gain

    def to_dict(self) -> dict:
        return asdict(self)

    def matrix(self) -> np.ndarray:
        return np.asarray(self.xyz_to_cam, dtype=np.float64).reshape(3, 3)


def _mix(rng: np.random.Generator, names: tuple[str, ...]) -> tuple[str, np.ndarray]:
    """A real camera's matrix, or (half the time) a random convex mix of two to four of them."""
    if rng.random() < 0.5:
        name = names[int(rng.integers(len(names)))]
        return name, np.asarray(CAMERA_MATRICES[name], np.float64).reshape(3, 3) / 10000
    k = int(rng.integers(2, min(4, len(names)) + 1))
    picked = [names[i] for i in sorted(rng.choice(len(names), k, replace=False))]
    weights = rng.dirichlet(np.ones(k))
    m = sum(w * np.asarray(CAMERA_MATRICES[n], np.float64).reshape(3, 3) / 10000 for w, n in zip(weights, picked))
    return "mix of " + " + ".join(f"{w:.2f} {n}" for w, n in zip(weights, picked)), m


def draw_camera(rng: np.random.Generator, preset: str) -> SimulatedCamera:
    """Draw a camera for one sequence (``preset``: one of :data:`DRAWN_PRESETS`; see the module docstring)."""
    if preset not in DRAWN_PRESETS:
        raise ValueError(f"camera preset must be one of {', '.join(DRAWN_PRESETS)} to draw, got {preset!r}")
    unseen = preset == "unseen"  # the harsh held-out conditions
    wide = preset == "varied-wide"
    name, m = _mix(rng, UNSEEN_CAMERAS if preset.startswith("unseen") else TRAINING_CAMERAS)
    bits = int(rng.choice([12, 14, 16] if unseen else [12, 14]))
    white = 2**bits - 1
    black = int(rng.choice([0, 64, 128, 256, 512, 1024, 2048])) if bits >= 14 else int(rng.choice([0, 64, 128, 256]))
    # Brooks et al.: log(shot) ~ U(log 1e-4, log 0.012), log(read) = 2.18 log(shot) + 1.2 + N(0, 0.26)
    lo, hi = {"unseen": (0.012, 0.02), "varied-wide": (1e-4, 0.03)}.get(preset, (1e-4, 0.012))
    log_shot = float(rng.uniform(math.log(lo), math.log(hi)))
    log_read = 2.18 * log_shot + 1.20 + float(rng.normal(0.0, 0.26))
    return SimulatedCamera(
        name=name,
        xyz_to_cam=tuple(float(v) for v in m.ravel()),
        wb=(float(rng.uniform(1.9, 2.4)), 1.0, float(rng.uniform(1.5, 1.9))) if not unseen
        else (float(rng.uniform(1.4, 2.9)), 1.0, float(rng.uniform(1.2, 2.3))),
        cfa=CFA_PATTERNS[int(rng.integers(4))],
        black_level=black,
        white_level=white,
        shot_noise=math.exp(log_shot),
        read_noise=math.exp(log_read),
        blur_shape="motion" if unseen else BLUR_SHAPES[int(rng.integers(2))],
        blur_scale=float(rng.uniform(1.2, 1.8) if unseen else rng.uniform(0.6, 1.4)),
        tone="filmic" if unseen else TONE_CURVES[int(rng.integers(2))],
        saturation=float(rng.uniform(1.2, 1.4) if unseen else rng.uniform(0.9, 1.2)),
        sharpen=float(rng.uniform(0.6, 1.0) if unseen else rng.uniform(0.0, 1.0 if wide else 0.5)),
        jpeg_quality=int(rng.integers(70, 85) if unseen else rng.integers(70 if wide else 85, 98)),
        brightness=float(rng.uniform(1.2, 1.6)),
    )
