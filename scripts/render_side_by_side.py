"""Side-by-side crops of the 4X zoom of the real RAW samples: camera JPEG upscaled | bicubic | ours.

Usage: python scripts/render_side_by_side.py [--model PATH] [--out docs/zoom]

For each sample (the Sony ARW, whose camera JPEG is embedded, and the Canon DNG, where
LibRaw's rendering stands in for the camera's) it zooms the frame centre 4X with default options
(the camera's colours), cuts the same crop (the most detailed 512 px window of the camera's view) from the camera's rendering upscaled bicubically,
from the bicubic baseline (same colours) and from ours, and writes one labelled PNG per file
(8-bit sRGB) plus the full-size crops, so the README can show them and a reader can look for
tile seams, fringes, ringing, blotches and clipped highlights.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import cv2
import numpy as np

log = logging.getLogger("side_by_side")

CROP = 512  # output pixels per side of each panel


def detailed_crop(image: np.ndarray, size: int = CROP, step: int = 64) -> tuple[int, int, int]:
    """(x, y, size) of the ``size`` window of ``image`` (H, W, 3) with the most edge energy (Sobel
    magnitude of the luma, blurred first so that noise does not count), on a ``step`` grid: where a
    zoom's detail, fringes and ringing show."""
    grey = cv2.GaussianBlur(cv2.cvtColor(np.float32(image), cv2.COLOR_RGB2GRAY), (0, 0), 4.0)
    energy = cv2.magnitude(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))
    integral = cv2.integral(energy)
    best = (-1.0, 0, 0)
    for y in range(0, max(1, grey.shape[0] - size + 1), step):
        for x in range(0, max(1, grey.shape[1] - size + 1), step):
            s = integral[y + size, x + size] - integral[y, x + size] - integral[y + size, x] + integral[y, x]
            best = max(best, (float(s), x, y))
    return best[1], best[2], size


def _label(image: np.ndarray, text: str) -> np.ndarray:
    out = image.copy()
    cv2.rectangle(out, (0, 0), (out.shape[1], 30), (0, 0, 0), -1)
    cv2.putText(out, text, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.65, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def _to8(rgb: np.ndarray) -> np.ndarray:
    return (np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8)


def render(path: Path, model: Path, out_dir: Path, name: str) -> Path:
    from zoomstudio.core.events import Result
    from zoomstudio.core.infer import ZoomOptions, zoom_raw
    from zoomstudio.core.infer.colours import camera_view
    from zoomstudio.core.nets import load_net
    from zoomstudio.core.raw import read_raw

    net, _ = load_net(model)
    result = next(e.values for e in zoom_raw(path, net, ZoomOptions(with_bicubic=True))
                  if isinstance(e, Result))
    ours, bicubic = result["image"], result["bicubic"]
    camera, source = camera_view(read_raw(path), result["roi"])
    camera_up = cv2.resize(camera, (ours.shape[1], ours.shape[0]), interpolation=cv2.INTER_CUBIC)
    crop = cx, cy, size = detailed_crop(camera_up)
    panels = []
    for title, image in ((f"camera ({source}), bicubic 4X", camera_up), ("bicubic from RAW, 4X", bicubic),
                         ("ZoomStudio 4X", ours)):
        panel = _to8(image[cy : cy + size, cx : cx + size])
        panels.append(_label(panel, title))
    sheet = np.concatenate([np.pad(p, ((0, 0), (0, 6), (0, 0)), constant_values=255) for p in panels], 1)[:, :-6]
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{name}.png"
    tmp = target.with_suffix(".tmp.png")
    cv2.imwrite(str(tmp), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    tmp.replace(target)
    log.info("%s: roi %s, crop %s -> %s (colours: %s)", path.name, result["roi"], crop, target, result["colour"])
    return target


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from samples import ARW_NAME, DNG_NAME, sample

    from zoomstudio.core.resources import default_model_path

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path, default=default_model_path(4))
    ap.add_argument("--out", type=Path, default=Path("docs/zoom"))
    args = ap.parse_args()
    for name, file in (("arw", ARW_NAME), ("dng", DNG_NAME)):
        render(sample(file), args.model, args.out, name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
