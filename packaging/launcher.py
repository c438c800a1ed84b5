"""Entry script for frozen builds (PyInstaller): the same `zoomstudio` command."""

import sys

from zoomstudio.cli.main import main

sys.exit(main())
