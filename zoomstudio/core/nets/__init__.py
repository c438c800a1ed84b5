"""Networks: the paper's zoom network, a light one for fast zoom, and a registry that builds nets from configs.

Attributes load lazily, so ``zoomstudio.core.nets.config`` (and the GUI) never pull in torch.
"""

from ..lazy import lazy_attributes

_EXPORTS = {
    "NORMS": ".config", "NetConfig": ".config", "ZoomNet": ".zoomnet", "LiteZoomNet": ".lite", "isp_base": ".isp_base", "REGISTRY": ".registry",
    "WeightsError": ".registry", "build_net": ".registry", "load_net": ".registry",
    "read_weights_meta": ".registry", "save_weights": ".registry",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_attributes(__name__, _EXPORTS)
