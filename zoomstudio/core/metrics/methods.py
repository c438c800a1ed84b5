"""Methods an evaluation compares and the paper's reported numbers (torch-free: the GUI builds these)."""

from __future__ import annotations

from dataclasses import dataclass

#: design.md section 1, (SSIM, PSNR, LPIPS) as reported in the paper
REPORTED = {
    4: {"bicubic": (0.615, 20.15, 0.344), "srgan": (0.384, 20.31, 0.260), "srresnet": (0.683, 23.13, 0.364),
        "lapsrn": (0.632, 21.01, 0.324), "johnson": (0.354, 18.83, 0.270), "esrgan": (0.603, 22.12, 0.311),
        "png": (0.589, 22.34, 0.305), "syn-raw": (0.677, 23.98, 0.231), "ours": (0.781, 26.88, 0.190)},
    8: {"bicubic": (0.488, 14.71, 0.525), "srgan": (0.393, 19.23, 0.395), "srresnet": (0.633, 19.48, 0.416),
        "lapsrn": (0.539, 17.55, 0.525), "johnson": (0.421, 18.18, 0.394), "esrgan": (0.662, 20.68, 0.416),
        "png": (0.638, 21.21, 0.584), "syn-raw": (0.643, 22.02, 0.473), "ours": (0.779, 24.73, 0.311)},
}


def reported(scale: int, method: str) -> dict | None:
    r = REPORTED.get(scale, {}).get(method)
    return None if r is None else {"ssim": r[0], "psnr": r[1], "lpips": r[2]}


@dataclass(frozen=True)
class Method:
    """A method to evaluate: ``kind`` in bicubic / raw (a RAW zoom net) / png / external."""

    name: str
    kind: str
    path: str | None = None


def parse_methods(text: str, model: str | None, extra: dict[str, str] | None = None) -> list[Method]:
    """``"bicubic,ours,png,esrgan"`` -> methods; ``ours`` uses ``model``; others need a path in ``extra``."""
    extra = extra or {}
    out = []
    for name in [m.strip() for m in text.split(",") if m.strip()]:
        if name == "bicubic":
            out.append(Method("bicubic", "bicubic"))
        elif name == "ours":
            out.append(Method("ours", "raw", model))
        elif name in ("syn-raw", "png"):
            if name not in extra:
                raise ValueError(f"method {name!r} needs a model: --{name}-model PATH")
            out.append(Method(name, "raw" if name == "syn-raw" else "png", extra[name]))
        else:
            if name not in extra:
                raise ValueError(f"method {name!r} needs a model file: --baseline {name}=PATH")
            out.append(Method(name, "external", extra[name]))
    if not out:
        raise ValueError("no methods given")
    return out
