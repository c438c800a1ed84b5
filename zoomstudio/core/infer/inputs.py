"""What a zoom is given: RAW files, and folders of them, as the user named them (CLI arguments, dropped files)."""

from __future__ import annotations

from pathlib import Path


def collect_raws(inputs) -> tuple[list[Path], list[str]]:
    """RAW files from files and folders (a folder: its RAW files, recursively, sorted); returns (files,
    one line per folder that holds none). Files are not checked here: decoding reports a bad one."""
    from ..data.srraw import RAW_SUFFIXES

    files, missing = [], []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in RAW_SUFFIXES)
            if not found:
                missing.append(f"{p}: no RAW files in this folder")
            files.extend(found)
        else:
            files.append(p)  # existence and format are checked when decoding (clean error)
    return files, missing
