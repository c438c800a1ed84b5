"""The ``zoomstudio`` command: the desktop app with no command or ``gui [PATH]``, else the command line.

It sits above both front ends so that neither the command line nor the GUI imports the other
(the layering test, tests/test_architecture.py, holds them to it).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    wants_help = any(a in ("-h", "--help") for a in argv)
    if not argv or (argv[0] == "gui" and not wants_help):
        from .gui.app import main as gui_main

        return gui_main(["zoomstudio"] + argv[1:2])
    from .cli.main import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
