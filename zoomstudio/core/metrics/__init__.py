"""Image quality metrics (PSNR, SSIM, LPIPS), the evaluation protocol and the evaluation job.

Attributes load lazily, so ``methods`` and ``protocol`` (and the GUI) never pull in torch.
"""

import importlib

_EXPORTS = {
    "LPIPSMetric": ".image_metrics", "PSNR": ".image_metrics", "SSIM": ".image_metrics",
    "lpips_distance": ".image_metrics", "psnr": ".image_metrics", "ssim": ".image_metrics",
    "EvalProtocol": ".protocol", "align_target": ".protocol", "match_colours": ".protocol", "prepare": ".protocol",
    "to_luma": ".protocol", "Method": ".methods", "REPORTED": ".methods", "parse_methods": ".methods",
    "reported": ".methods", "evaluate": ".evaluation",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
