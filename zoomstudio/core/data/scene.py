"""The synthetic scene: a scale-invariant collage of real photo crops ("dead leaves"), the zoom
lens's focal lengths, the hand motion between shots, and each shot's anti-aliased view of the scene."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..geometry.fov import warp_antialiased


def focal_lengths(rng: np.random.Generator, cfg) -> list[float]:
    """5-7 focal lengths between ``cfg.focal_wide`` and ``cfg.focal_tele`` (a ``SynthConfig``), longest first."""
    n = int(rng.integers(cfg.shots[0], cfg.shots[1] + 1))
    wide = float(rng.uniform(*cfg.focal_wide))
    tele = float(rng.uniform(*cfg.focal_tele))
    # Geometric spacing like a zoom ring's marked stops, with a little jitter.
    f = np.geomspace(wide, tele, n)
    f[1:-1] *= rng.uniform(0.97, 1.03, n - 2)
    return sorted((float(round(v)) for v in f), reverse=True)  # longest first: 00001


def euclidean_motion(rng: np.random.Generator, cfg, w: int, h: int) -> np.ndarray:
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


def make_leaves(rng: np.random.Generator, photos: list[np.ndarray], primary: int, w: int, h: int,
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


def render_view(leaves: list[Leaf], photos: list[np.ndarray], sensor_to_ref: np.ndarray, h: int, w: int) -> np.ndarray:
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
