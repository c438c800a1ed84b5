"""``python -m zoomstudio`` (and ``torchrun -m zoomstudio``) runs the command line."""

import sys

from .cli.main import main

sys.exit(main())
