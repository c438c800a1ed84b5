"""File output that never loses a user's data.

- :func:`atomic_output`: write to a temporary name beside the target, flush it to disk, rename on
  success; a failure (a full disk, a crash, a kill) never leaves a half-written file under the real name.
- :func:`refuse_existing`: outputs that already exist are refused unless the user asked to overwrite.
- :func:`output_paths`: one output name per input, unique even when inputs share a file name.
- :func:`remove_stale_partials`: temporary files a killed process left behind.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

#: the marker in every temporary name written by :func:`atomic_output`
PARTIAL = ".partial"


class OutputExistsError(FileExistsError):
    """An output would replace a file or folder this invocation did not create. ``str()`` is one line."""

    def __init__(self, path: str | Path, what: str = "") -> None:
        self.path = Path(path)
        super().__init__(f"{self.path}: already exists{what} (pass --overwrite to replace it)")

    def __str__(self) -> str:  # FileExistsError's own str() would show the errno form
        return self.args[0]


def unwritable_reason(folder: str | Path) -> str | None:
    """Why no file can be written in ``folder`` (not a folder, no permission); ``None`` when it can or
    when it does not exist yet (it is created on writing). A read-only mount still shows on writing."""
    folder = Path(folder) if str(folder) else Path(".")
    if not folder.exists():
        return None
    if not folder.is_dir():
        return "not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return "read-only"
    return None


def refuse_existing(paths: Iterable[str | Path], overwrite: bool = False) -> None:
    """Raise :class:`OutputExistsError` for the first of ``paths`` that exists, unless ``overwrite``."""
    if overwrite:
        return
    for p in paths:
        if os.path.lexists(p):
            raise OutputExistsError(p)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_output(path: str | Path, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path to write; it replaces ``path`` only if the block succeeds.

    The data is flushed to disk (fsync) before the rename, so even a power cut leaves either the old
    file or the whole new one. ``overwrite=False`` refuses an existing ``path`` before anything is written.
    """
    path = Path(path)
    if not overwrite:
        refuse_existing([path])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}{PARTIAL}{path.suffix}")
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        if not overwrite:
            refuse_existing([path])  # appeared while we wrote
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    finally:
        if os.path.lexists(tmp):
            tmp.unlink()


def atomic_write_text(path: str | Path, text: str, *, overwrite: bool = True) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` through :func:`atomic_output`."""
    with atomic_output(path, overwrite=overwrite) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    return Path(path)


def save_safetensors(path: str | Path, tensors: dict, metadata: dict[str, str]) -> Path:
    """``safetensors.torch.save_file`` through :func:`atomic_output`."""
    from safetensors.torch import save_file

    with atomic_output(path) as tmp:
        save_file(tensors, str(tmp), metadata=metadata)
        os.chmod(tmp, 0o644)  # safetensors creates its files owner-only; a model is meant to be shared
    return Path(path)


class DamagedFileError(ValueError):
    """A file whose structure cannot be read; ``str()`` is the reason, one line."""


def safetensors_header(path: str | Path) -> tuple[dict, int]:
    """The JSON header of a safetensors file and the bytes the file must hold for every tensor it declares,
    without reading any tensor (no torch). Raises :class:`DamagedFileError` or ``OSError``."""
    import json
    import struct

    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise DamagedFileError("empty or truncated file")
        n = struct.unpack("<Q", head)[0]
        if n > min(size - 8, 100_000_000):
            raise DamagedFileError("damaged header")
        try:
            header = json.loads(fh.read(n))
        except (ValueError, UnicodeDecodeError) as exc:
            raise DamagedFileError(f"damaged header ({' '.join(str(exc).split())})") from None
    if not isinstance(header, dict):
        raise DamagedFileError("damaged header (not a mapping)")
    ends = [v["data_offsets"][1] for k, v in header.items()
            if k != "__metadata__" and isinstance(v, dict) and isinstance(v.get("data_offsets"), list)]
    return header, 8 + n + max(ends, default=0)


def remove_stale_partials(folder: str | Path) -> list[Path]:
    """Delete the temporary files :func:`atomic_output` left in ``folder`` when its process was killed.

    Only names of the form ``.NAME.partial[.ext]`` are touched; returns what was removed.
    """
    folder = Path(folder)
    removed = []
    if not folder.is_dir():
        return removed
    for entry in folder.iterdir():
        if entry.name.startswith(".") and PARTIAL in entry.name and entry.is_file():
            try:
                entry.unlink()
                removed.append(entry)
            except OSError:
                pass
    return removed


def output_paths(inputs: list[Path], out_dir: Path | None, suffix: str) -> list[Path]:
    """One output path per input: ``STEM{suffix}`` in ``out_dir`` (or beside the input).

    Inputs that would share an output (``101CAM/DSC0001.DNG`` and ``102CAM/DSC0001.DNG`` into one
    folder) are told apart by their parent folder's name, then by a counter, so no output overwrites
    another of the same run.
    """
    def folder(p: Path) -> Path:
        return out_dir if out_dir is not None else p.parent

    first = [folder(p) / f"{p.stem}{suffix}" for p in inputs]
    counts: dict[Path, int] = {}
    for t in first:
        counts[t] = counts.get(t, 0) + 1
    result, taken = [], set()
    for p, t in zip(inputs, first):
        if counts[t] > 1:
            parent = p.resolve().parent.name or "root"
            t = folder(p) / f"{parent}_{p.stem}{suffix}"
        base, k = t, 2
        while t in taken:
            t = base.with_name(f"{base.name[: -len(suffix)] if suffix else base.name}_{k}{suffix}")
            k += 1
        taken.add(t)
        result.append(t)
    return result
