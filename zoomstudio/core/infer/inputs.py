"""What a zoom is given: RAW files, and folders of them, as the user named them (CLI arguments, dropped files)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..events import CancelToken, Cancelled, Problem, Progress, Result


#: why a named folder gives nothing to zoom
NO_RAWS = "no RAW files in this folder"


def collect_raws(inputs) -> tuple[list[Path], list[Path]]:
    """RAW files from files and folders (a folder: its RAW files, recursively, sorted); returns (files,
    the folders that hold none). Files are not checked here: decoding reports a bad one."""
    from ..data.srraw import RAW_SUFFIXES

    files, missing = [], []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in RAW_SUFFIXES)
            if not found:
                missing.append(p)
            files.extend(found)
        else:
            files.append(p)  # existence and format are checked when decoding (clean error)
    return files, missing


def check_inputs(inputs, *, cancel: CancelToken | None = None) -> Iterator[Progress | Problem | Result | Cancelled]:
    """Find the RAWs among dropped files and folders and check each without decoding it (header and
    file layout, milliseconds per file: :func:`~..raw.quick_check`).

    Yields ``Progress`` per file, a ``Problem`` per folder without RAWs and per unusable file, and one
    final ``Result`` (item ``"inputs"``, values ``{"files": [usable paths as str]}``); ``Cancelled`` when
    ``cancel`` is set (nothing is queued then).
    """
    from ..raw import quick_check

    files, missing = collect_raws(inputs)
    for folder in missing:
        yield Problem(str(folder), NO_RAWS)
    good = []
    for i, f in enumerate(files):
        if cancel is not None and cancel.cancelled:
            yield Cancelled(f"file check cancelled after {i} of {len(files)} files")
            return
        yield Progress(i, len(files), f"checking {f.name}")
        reason = "no such file" if not f.exists() else quick_check(f)
        if reason is None:
            good.append(str(f))
        else:
            yield Problem(str(f), reason)
    yield Progress(len(files), len(files), f"{len(good)} of {len(files)} files can be zoomed")
    yield Result("inputs", {"files": good})
