"""Networks: the paper's zoom network and a registry that builds nets from configs."""

from .registry import REGISTRY, WeightsError, build_net, load_net, read_weights_meta, save_weights
from .zoomnet import NORMS, NetConfig, ZoomNet

__all__ = ["NORMS", "REGISTRY", "NetConfig", "WeightsError", "ZoomNet", "build_net", "load_net",
           "read_weights_meta", "save_weights"]
