"""The command line's one user-facing error and its exit codes (README: Command line)."""

from __future__ import annotations

#: exit codes: done; some inputs failed (each named); bad usage; interrupted (Ctrl-C)
EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class CliError(Exception):
    """A user-facing error: printed as one line, exit code 2."""
