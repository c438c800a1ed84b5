"""Evaluating methods on an SR-RAW-layout root (the job behind ``zoomstudio eval``).

Per pair (input RAW at the focal ratio nearest the zoom, target camera JPEG,
built as for training but without white-balance normalisation), every method
produces an RGB image on the target's grid:

* ``bicubic``: the input's camera JPEG, over the same sensor region as the
  packed input, bicubic-upsampled straight onto the target grid;
* ``ours`` (and the "syn-raw" control): the zoom network on the packed RAW,
  times the input's ``wb ** (1/2.2)``, with the colours ``colour`` asks for
  (``infer.colours``: by default the camera's, from the input's camera JPEG, so
  that ours and bicubic get the same colour treatment);
* ``png``: an RGB-input zoom network on the input's 8-bit camera JPEG crop;
* external baselines (SRResNet, ESRGAN, ...) from a user's ``.pth`` through
  ``spandrel``, on the same JPEG crop, resized to the target grid if their
  scale differs.

Then the protocol (alignment, colour matching, border, space) is applied and
PSNR / SSIM / LPIPS are computed; ``delta_e`` (mean CIEDE2000) is computed
after alignment and border crop but before colour matching, so it shows each
method's colour errors. LPIPS that cannot be had is ``None`` with a
``lpips_unavailable`` reason.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from ..data.pairs import input_jpeg_8bit, input_jpeg_on_grid
from ..device import pick_device
from ..events import CancelToken, Cancelled, Problem, Progress, Result
from ..metrics.methods import REPORTED, Method, parse_methods, reported  # noqa: F401 - re-exported
from ..metrics.colour_difference import mean_delta_e
from ..metrics.protocol import EvalProtocol, prepare_with_unmatched, to_luma

log = logging.getLogger(__name__)

class _Runner:
    """Loads each method's model once and produces its output for a pair."""

    def __init__(self, methods: list[Method], scale: int, device: torch.device, memory_mb: float,
                 colour: str = "camera"):
        from ..nets import load_net

        self.methods, self.scale, self.device, self.memory_mb = methods, scale, device, memory_mb
        self.colour = colour
        self._raw = None  # the last input RAW read for colours: several RAW methods share it
        self.models: dict[str, object] = {}
        for m in methods:
            if m.kind in ("raw", "png"):
                if m.path is None:
                    from ..resources import default_model_path

                    path = default_model_path(scale)
                else:
                    path = Path(m.path)
                net, _ = load_net(path, device)
                if net.config.zoom != scale:
                    raise ValueError(f"{path}: a {net.config.zoom}X model cannot be evaluated at {scale}X")
                if (m.kind == "png") != (net.config.in_channels == 3):
                    raise ValueError(f"{path}: method {m.name} needs a {'RGB' if m.kind == 'png' else 'RAW'}-input model")
                from ..nets.inference import for_inference

                self.models[m.name] = for_inference(net, device)  # exact rewrites, channels-last, once
            elif m.kind == "external":
                import spandrel

                try:  # spandrel reads .pth with torch's weights-only unpickler: code in a pickle is refused
                    desc = spandrel.ModelLoader(device=device).load_from_file(m.path)
                except Exception as exc:
                    reason = " ".join(str(exc).split())[:200] or type(exc).__name__
                    raise ValueError(f"{m.path}: cannot load baseline {m.name} ({type(exc).__name__}: {reason})"
                                     ) from None
                self.models[m.name] = desc.eval()

    def output(self, m: Method, pair, spec) -> np.ndarray:
        import cv2

        from ..infer.tiled import plan_tiles, zoom_tensor

        out_hw = pair.target.shape[1:]
        if m.kind == "bicubic":
            return input_jpeg_on_grid(spec.input.jpg_path, pair, out_hw, self.scale, cv2.INTER_CUBIC)
        if m.kind == "raw":
            net = self.models[m.name]
            res = [e for e in zoom_tensor(net, torch.from_numpy(pair.packed)[None], plan_tiles(net, self.memory_mb),
                                          device=self.device) if torch.is_tensor(e)][0]
            rgb = np.clip(res[0].permute(1, 2, 0).numpy() * (pair.input_wb ** (1 / 2.2)).astype(np.float32), 0, 1)
            if self.colour == "model":
                return rgb
            from ..infer.colours import colour_output
            from ..raw import read_raw

            if self._raw is None or self._raw.meta.path != spec.input.raw_path:
                self._raw = read_raw(spec.input.raw_path)
            return colour_output(rgb, pair.packed, self._raw, self.colour).image
        # RGB-input methods take the camera JPEG crop at sensor resolution
        crop = input_jpeg_8bit(spec, pair)  # 8-bit, as the camera stored it; the png networks' training input
        x = torch.from_numpy(crop.transpose(2, 0, 1).copy()).float()[None].to(self.device)
        with torch.no_grad():
            if m.kind == "png":
                net = self.models[m.name]
                y = [e for e in zoom_tensor(net, x.cpu(), plan_tiles(net, self.memory_mb), device=self.device)
                     if torch.is_tensor(e)][0]
            else:
                y = self.models[m.name](x).float().cpu()
        rgb = y[0].permute(1, 2, 0).numpy()
        if rgb.shape[:2] != tuple(out_hw):
            rgb = cv2.resize(rgb, (out_hw[1], out_hw[0]), interpolation=cv2.INTER_CUBIC)
        return np.clip(rgb, 0, 1)


def evaluate(root: str | Path, scale: int, methods: list[Method], protocol: EvalProtocol = EvalProtocol(), *,
             split: str | None = None, split_seed: int = 0, device: str = "cpu", memory_mb: float = 1024.0,
             with_lpips: bool = True, max_pairs: int | None = None, preview_pairs: int = 1, colour: str = "camera",
             cancel: CancelToken | None = None) -> Iterator[Progress | Problem | Result | Cancelled]:
    """Evaluate ``methods`` on the pairs of ``root``; the final ``Result`` holds the report.

    Besides the JSON-ready numbers, the report holds display copies (uint8 RGB,
    (h, w, 3), long side <= 640) of every method's output and the ground truth
    for the first ``preview_pairs`` pairs: ``previews`` (a list of
    ``{"pair", "images"}``) and ``preview`` (the first pair's images).
    """
    from ..data import build_pair, dataset_pairs, scan_root
    from ..metrics.image_metrics import LPIPSMetric

    t0 = time.perf_counter()
    index = scan_root(root)
    for p in index.problems:
        yield p
    specs = dataset_pairs(index, scale, split, split_seed)[:max_pairs]
    if not specs:
        yield Problem(str(root), f"no {scale}X pairs to evaluate")
        return
    dev = pick_device(device)  # "auto": CUDA when present
    from ..infer.colours import COLOUR_MODES

    if colour not in COLOUR_MODES:
        raise ValueError(f"colour must be one of {', '.join(COLOUR_MODES)}, got {colour!r}")
    runner = _Runner(methods, scale, dev, memory_mb, colour)
    lpips_model, lpips_reason = None, None
    if with_lpips:
        try:
            lpips_model = LPIPSMetric(protocol.lpips_net).to(dev)
        except Exception as exc:
            lpips_reason = str(exc)
    else:
        lpips_reason = "disabled"
    per_pair = []
    previews: list[dict] = []  # pairs as each method saw them, for side-by-side views
    for i, spec in enumerate(specs):
        if cancel is not None and cancel.cancelled:
            yield Cancelled("evaluation cancelled")
            return
        yield Progress(i, len(specs), f"evaluating {spec.name}")
        try:
            pair = build_pair(spec, use_wb=False)
        except Exception as exc:
            yield Problem(spec.name, f"cannot build pair: {exc}")
            continue
        target = pair.target.transpose(1, 2, 0)
        row = {"pair": spec.name, "ratio": round(spec.ratio, 4)}
        shown: dict[str, np.ndarray] = {}
        for m in methods:
            try:
                out, tgt, unmatched = prepare_with_unmatched(runner.output(m, pair, spec), target, protocol)
            except Exception as exc:
                yield Problem(f"{spec.name} [{m.name}]", str(exc))
                continue
            if len(previews) < preview_pairs:
                shown[m.name] = _small(out)
                shown.setdefault("ground truth", _small(tgt))
            a, b = (to_luma(out), to_luma(tgt)) if protocol.space == "y" else (out, tgt)
            ta = torch.from_numpy(a.transpose(2, 0, 1).copy())[None]
            tb = torch.from_numpy(b.transpose(2, 0, 1).copy())[None]
            from ..metrics.image_metrics import psnr, ssim

            scores = {"psnr": psnr(ta, tb), "ssim": ssim(ta, tb), "delta_e": mean_delta_e(unmatched, tgt)}
            if lpips_model is not None:
                with torch.no_grad():
                    x = torch.from_numpy(out.transpose(2, 0, 1).copy())[None].to(dev)
                    y = torch.from_numpy(tgt.transpose(2, 0, 1).copy())[None].to(dev)
                    scores["lpips"] = float(lpips_model(x, y))
            else:
                scores["lpips"] = None
            row[m.name] = scores
        per_pair.append(row)
        if shown:
            shown["ground truth"] = shown.pop("ground truth")  # last, after the methods
            previews.append({"pair": spec.name, "images": shown})
    summary = {}
    for m in methods:
        rows = [r[m.name] for r in per_pair if m.name in r]
        entry: dict = {"n": len(rows)}
        for key in ("psnr", "ssim", "lpips", "delta_e"):
            vals = [r[key] for r in rows if r.get(key) is not None and math.isfinite(r[key])]
            entry[key] = float(np.mean(vals)) if vals else None
        if entry["lpips"] is None:
            entry["lpips_unavailable"] = lpips_reason or "no values"
        entry["reported"] = reported(scale, m.name)
        summary[m.name] = entry
    yield Progress(len(specs), len(specs), "done")
    yield Result(str(root), {
        "scale": scale,
        "protocol": protocol.to_dict(),
        "protocol_text": f"{protocol.describe()}; ours' colours: {colour}",
        "colour": colour,
        "pairs": len(per_pair),
        "methods": summary,
        "per_pair": per_pair,
        "previews": previews,
        "preview": previews[0]["images"] if previews else {},
        "seconds": time.perf_counter() - t0,
    })


def _small(img: np.ndarray, side: int = 640) -> np.ndarray:
    """A display copy (uint8, long side at most ``side``) of an RGB float image."""
    import cv2

    h, w = img.shape[:2]
    s = min(1.0, side / max(h, w))
    if s < 1:
        img = cv2.resize(img, (max(1, int(w * s)), max(1, int(h * s))), interpolation=cv2.INTER_AREA)
    return np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)
