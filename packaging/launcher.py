"""Entry script for frozen builds (PyInstaller): the same `zoomstudio` command."""

import multiprocessing
import sys

from zoomstudio.entry import main

if __name__ == "__main__":
    # Training and evaluation run in spawned child processes; in a frozen build the child is this
    # executable again, and freeze_support() turns it into the worker instead of a second app.
    multiprocessing.freeze_support()
    sys.exit(main())
