"""Image quality metrics (PSNR, SSIM, LPIPS) and the evaluation protocol."""

from .image_metrics import PSNR, SSIM, LPIPSMetric, lpips_distance, psnr, ssim

__all__ = ["LPIPSMetric", "PSNR", "SSIM", "lpips_distance", "psnr", "ssim"]
from .protocol import EvalProtocol, align_target, match_colours, prepare, to_luma  # noqa: E402

__all__ += ["EvalProtocol", "align_target", "match_colours", "prepare", "to_luma"]
from .evaluate import REPORTED, Method, evaluate, parse_methods, reported  # noqa: E402

__all__ += ["Method", "REPORTED", "evaluate", "parse_methods", "reported"]
