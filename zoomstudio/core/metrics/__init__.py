"""Image quality metrics (PSNR, SSIM, LPIPS, CIEDE2000), the methods compared and the evaluation protocol
(the evaluation job that uses them is :mod:`zoomstudio.core.evaluation`).

Attributes load lazily, so ``methods`` and ``protocol`` (and the GUI) never pull in torch.
"""

from ..lazy import lazy_attributes

_EXPORTS = {
    "LPIPSMetric": ".image_metrics", "PSNR": ".image_metrics", "SSIM": ".image_metrics",
    "lpips_distance": ".image_metrics", "DeltaE2000": ".image_metrics", "delta_e2000": ".image_metrics",
    "delta_e_map": ".colour_difference", "mean_delta_e": ".colour_difference", "psnr": ".image_metrics", "ssim": ".image_metrics",
    "EvalProtocol": ".protocol", "align_target": ".protocol", "match_colours": ".protocol", "prepare": ".protocol",
    "to_luma": ".protocol", "Method": ".methods", "REPORTED": ".methods", "parse_methods": ".methods",
    "reported": ".methods",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_attributes(__name__, _EXPORTS)
