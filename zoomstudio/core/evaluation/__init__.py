"""The evaluation job: every method's output on SR-RAW pairs scored under one protocol
(:mod:`.pipeline`), built on the data, geometry, nets and metrics building blocks and on inference."""

from ..lazy import lazy_attributes

_EXPORTS = {"evaluate": ".pipeline"}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_attributes(__name__, _EXPORTS)
