"""``python -m zoomstudio`` (and ``torchrun -m zoomstudio``): the same ``zoomstudio`` command."""

import sys

from .entry import main

sys.exit(main())
