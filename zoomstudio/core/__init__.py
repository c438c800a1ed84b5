"""Numerics of ZoomStudio: RAW decoding, SR-RAW data, geometry, nets, losses.

This package never imports Qt; the GUI and the CLI are two consumers of it.
Sub-packages are imported lazily by their users so that importing
``zoomstudio.core`` stays cheap.
"""
