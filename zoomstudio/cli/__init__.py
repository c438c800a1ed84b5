"""The ``zoomstudio`` command line; a consumer of :mod:`zoomstudio.core` (never imports Qt)."""
