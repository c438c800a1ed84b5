"""The ZoomStudio desktop application (the only package that imports PySide6 / pyqtgraph / qtawesome)."""
