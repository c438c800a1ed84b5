"""ZoomStudio: learned digital zoom from camera RAW files.

Implements "Zoom to Learn, Learn to Zoom" (Zhang et al., CVPR 2019). The numeric
library lives in :mod:`zoomstudio.core` (no Qt), the command line in
:mod:`zoomstudio.cli` and the desktop application in :mod:`zoomstudio.gui`.
"""

__version__ = "0.1.0"
