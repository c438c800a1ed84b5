"""Reading an SR-RAW root as it is on disk (design.md section 2).

A root holds 5-digit sequence folders; each holds ``0000k.<RAW>`` +
``0000k.JPG`` shots (7, sometimes 6), optionally ``tform.txt`` / ``wb.txt``.
Shots are ordered by their EXIF focal length (never by index), longest first,
so the reference (00001 in SR-RAW) comes first. Problems with single files or
sequences are collected with their reason; they never stop the scan.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..events import CancelToken, Problem, Progress
from ..raw.exif import ExifInfo, read_jpeg_exif, read_tiff_exif

log = logging.getLogger(__name__)

RAW_SUFFIXES = frozenset(
    s.lower()
    for s in (
        ".ARW", ".DNG", ".NEF", ".NRW", ".CR2", ".CR3", ".CRW", ".RAF", ".ORF", ".RW2", ".PEF",
        ".SRW", ".3FR", ".IIQ", ".ERF", ".KDC", ".MEF", ".MOS", ".RWL", ".SR2", ".SRF", ".X3F",
    )
)
JPG_SUFFIXES = frozenset({".jpg", ".jpeg"})
_SEQUENCE_NAME = re.compile(r"^\d{5}$")
_SHOT_NAME = re.compile(r"^\d{5}$")


@dataclass(frozen=True)
class Shot:
    """One focal length of a sequence: RAW and/or camera JPEG with its EXIF."""

    key: str  # "00003"
    raw_path: Path | None
    jpg_path: Path | None
    exif: ExifInfo

    @property
    def focal_length(self) -> float | None:
        return self.exif.focal_length


@dataclass(frozen=True)
class Sequence:
    """A sequence folder; ``shots`` sorted by focal length, longest first."""

    name: str
    path: Path
    shots: tuple[Shot, ...]
    problems: tuple[Problem, ...] = ()

    @property
    def tform_path(self) -> Path:
        return self.path / "tform.txt"

    @property
    def wb_path(self) -> Path:
        return self.path / "wb.txt"

    @property
    def has_tform(self) -> bool:
        return self.tform_path.is_file()

    @property
    def has_wb(self) -> bool:
        return self.wb_path.is_file()

    @property
    def reference(self) -> Shot:
        """The shot everything is FOV-matched to: 00001 when present, else the longest focal."""
        for shot in self.shots:
            if shot.key == "00001":
                return shot
        return self.shots[0]

    def shot(self, key: str) -> Shot:
        for s in self.shots:
            if s.key == key:
                return s
        raise KeyError(f"{self.path}: no shot {key}")

    @property
    def usable(self) -> bool:
        return len(self.shots) >= 2


@dataclass
class DatasetIndex:
    """An SR-RAW root: its sequences and the problems met while reading it."""

    root: Path
    sequences: list[Sequence] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def sequence(self, name: str) -> Sequence:
        for s in self.sequences:
            if s.name == name:
                return s
        raise KeyError(f"{self.root}: no sequence {name}")


def _shot_exif(raw: Path | None, jpg: Path | None) -> tuple[ExifInfo, str | None]:
    """EXIF from the JPG first, then the RAW's TIFF tags, then LibRaw's header (no pixel decoded)."""
    info = ExifInfo()
    if jpg is not None:
        info = read_jpeg_exif(jpg)
    if raw is not None and info.focal_length is None:
        info = info.merged(read_tiff_exif(raw))
    if raw is not None and info.focal_length is None:
        from ..raw import RawReadError
        from ..raw.header import read_raw_header

        try:
            info = info.merged(read_raw_header(raw).exif)
        except RawReadError as exc:
            return info, exc.reason
    return info, None


def scan_sequence(path: str | Path) -> Sequence:
    """Read one sequence folder. Raises ``OSError`` only if the folder itself cannot be listed."""
    path = Path(path)
    raws: dict[str, Path] = {}
    jpgs: dict[str, Path] = {}
    for entry in sorted(path.iterdir()):
        if not entry.is_file() or not _SHOT_NAME.match(entry.stem):
            continue
        suffix = entry.suffix.lower()
        if suffix in RAW_SUFFIXES:
            raws.setdefault(entry.stem, entry)
        elif suffix in JPG_SUFFIXES:
            jpgs.setdefault(entry.stem, entry)
    problems: list[Problem] = []
    shots: list[Shot] = []
    for key in sorted(set(raws) | set(jpgs)):
        raw, jpg = raws.get(key), jpgs.get(key)
        if raw is None:
            problems.append(Problem(str(path / key), "no RAW file (JPG only)"))
        if jpg is None:
            problems.append(Problem(str(path / key), "no camera JPG (RAW only)"))
        if raw is not None:
            from ..raw import quick_check

            broken = quick_check(raw)
            if broken is not None:
                problems.append(Problem(str(raw), broken))
                raw = None
                if jpg is None:
                    continue
        exif, reason = _shot_exif(raw, jpg)
        if reason is not None:
            problems.append(Problem(str(raw), reason))
        if exif.focal_length is None:
            problems.append(Problem(str(jpg or raw), "no EXIF focal length (tag 37386); shot skipped"))
            continue
        shots.append(Shot(key=key, raw_path=raw, jpg_path=jpg, exif=exif))
    shots.sort(key=lambda s: (-float(s.focal_length), s.key))
    if len(shots) < 2:
        problems.append(Problem(str(path), f"only {len(shots)} usable shot(s); a sequence needs at least 2"))
    return Sequence(name=path.name, path=path, shots=tuple(shots), problems=tuple(problems))


def iter_scan(root: str | Path, cancel: CancelToken | None = None) -> Iterator[Progress | Problem | Sequence]:
    """Scan an SR-RAW root, yielding ``Progress``, each ``Sequence`` and each ``Problem``.

    ``root`` may also be a single sequence folder. Sequence folders are the
    5-digit names; other entries are ignored.
    """
    root = Path(root)
    if not root.is_dir():
        yield Problem(str(root), "not a folder")
        return
    if _SEQUENCE_NAME.match(root.name) and any(
        p.suffix.lower() in RAW_SUFFIXES | JPG_SUFFIXES for p in root.iterdir() if p.is_file()
    ):
        folders = [root]
    else:
        folders = sorted(p for p in root.iterdir() if p.is_dir() and _SEQUENCE_NAME.match(p.name))
    for i, folder in enumerate(folders):
        if cancel is not None and cancel.cancelled:
            return
        yield Progress(i, len(folders), f"reading {folder.name}")
        try:
            seq = scan_sequence(folder)
        except OSError as exc:
            yield Problem(str(folder), f"cannot read folder ({exc.strerror or exc})")
            continue
        yield seq
        for problem in seq.problems:
            yield problem
    yield Progress(len(folders), len(folders), "done")


def scan_root(root: str | Path) -> DatasetIndex:
    """Read a whole SR-RAW root (see :func:`iter_scan`)."""
    index = DatasetIndex(root=Path(root))
    for event in iter_scan(root):
        if isinstance(event, Sequence):
            index.sequences.append(event)
        elif isinstance(event, Problem):
            index.problems.append(event)
    return index
