"""Networks: the paper's zoom network and a registry that builds nets from configs.

Attributes load lazily, so ``zoomstudio.core.nets.config`` (and the GUI) never pull in torch.
"""

import importlib

_EXPORTS = {
    "NORMS": ".config", "NetConfig": ".config", "ZoomNet": ".zoomnet", "REGISTRY": ".registry",
    "WeightsError": ".registry", "build_net": ".registry", "load_net": ".registry",
    "read_weights_meta": ".registry", "save_weights": ".registry",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
