"""``tform.txt`` and ``wb.txt`` in exactly the SR-RAW formats (design.md section 2).

tform.txt::

    00001-00001:
    a b c
    d e f
    ...
    corner:
    min_h max_h min_w max_w        (``%05d``, last line, no trailing newline)

Each matrix (``%.4f``) maps FOV-matched reference (00001) pixel coordinates
to FOV-matched image k coordinates (OpenCV ECC convention). A homography has
three rows. wb.txt: ``WB``, then per RAW a key line ending in ``0000k:`` and
a line of 4 floats ``R G G B``. Readers accept the authors' own files
(negative corners, no trailing newline, full-path keys).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..fileio import atomic_write_text

_KEY = re.compile(r"^\s*(\d{5})-(\d{5}):\s*$")
_WB_KEY = re.compile(r"(\d{5}):\s*$")


class AlignmentFileError(ValueError):
    """A tform.txt / wb.txt that cannot be parsed; ``str()`` names the file and line."""


@dataclass(frozen=True)
class TformFile:
    """Parsed tform.txt: per-frame 2x3 (or 3x3) matrices keyed ``"0000k"``, and the corner."""

    matrices: dict[str, np.ndarray]
    corner: tuple[int, int, int, int] | None  # min_h, max_h, min_w, max_w

    def matrix3(self, key: str) -> np.ndarray:
        """The 3x3 form of frame ``key``'s transform."""
        m = self.matrices[key]
        return m if m.shape == (3, 3) else np.vstack([m, [0.0, 0.0, 1.0]])


def format_tform(matrices: dict[str, np.ndarray], corner: tuple[int, int, int, int]) -> str:
    """Text of a tform.txt; ``matrices`` keyed by frame name (``"00001"``...), written in key order."""
    lines: list[str] = []
    for key in sorted(matrices):
        m = np.asarray(matrices[key], dtype=np.float64)
        if m.shape == (3, 3) and np.allclose(m[2], [0, 0, 1]):
            m = m[:2]
        lines.append(f"00001-{key}:")
        # "%.4f" like np.savetxt; "-0.0000" is normalised to "0.0000".
        lines.extend(" ".join(f"{v + 0.0:.4f}" if abs(v) >= 5e-5 else "0.0000" for v in row) for row in m)
    lines.append("corner:")
    lines.append("%05d %05d %05d %05d" % tuple(int(c) for c in corner))
    return "\n".join(lines)  # the authors' files end without a newline


def write_tform(path: str | Path, matrices: dict[str, np.ndarray], corner) -> Path:
    return atomic_write_text(path, format_tform(matrices, corner))


def read_tform(path: str | Path) -> TformFile:
    """Parse a tform.txt (ours or the authors'). Raises :class:`AlignmentFileError`."""
    path = Path(path)
    try:
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8", errors="replace").splitlines()]
    except OSError as exc:
        raise AlignmentFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    matrices: dict[str, np.ndarray] = {}
    corner = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line:
            i += 1
            continue
        key = _KEY.match(line)
        if key:
            rows = []
            i += 1
            while i < len(lines) and lines[i] and not lines[i].endswith(":"):
                try:
                    rows.append([float(v) for v in lines[i].split()])
                except ValueError:
                    raise AlignmentFileError(f"{path}:{i + 1}: not a row of numbers: {lines[i]!r}") from None
                i += 1
            m = np.array(rows, dtype=np.float64) if rows else np.zeros((0, 0))
            if m.shape not in ((2, 3), (3, 3)):
                raise AlignmentFileError(f"{path}: matrix {line[:-1]} has shape {m.shape}, expected 2x3 or 3x3")
            matrices[key.group(2)] = m
            continue
        if line == "corner:":
            if i + 1 >= len(lines):
                raise AlignmentFileError(f"{path}: 'corner:' without values")
            try:
                vals = [int(float(v)) for v in lines[i + 1].split()]
            except ValueError:
                raise AlignmentFileError(f"{path}:{i + 2}: bad corner line {lines[i + 1]!r}") from None
            if len(vals) != 4:
                raise AlignmentFileError(f"{path}:{i + 2}: corner needs 4 integers, got {len(vals)}")
            corner = tuple(vals)
            i += 2
            continue
        raise AlignmentFileError(f"{path}:{i + 1}: unexpected line {line!r}")
    if not matrices:
        raise AlignmentFileError(f"{path}: no transforms found")
    return TformFile(matrices=matrices, corner=corner)


def format_wb(gains: dict[str, np.ndarray], sequence: str | None = None) -> str:
    """Text of a wb.txt: ``WB`` then ``<seq>/0000k:`` and ``R G G B`` per frame."""
    lines = ["WB"]
    for key in sorted(gains):
        g = np.asarray(gains[key], dtype=np.float64).ravel()
        if g.size == 3:
            g = np.array([g[0], g[1], g[1], g[2]])
        lines.append(f"{sequence}/{key}:" if sequence else f"{key}:")
        lines.append(" ".join(repr(float(v)) for v in g[:4]))
    return "\n".join(lines) + "\n"


def write_wb(path: str | Path, gains: dict[str, np.ndarray], sequence: str | None = None) -> Path:
    return atomic_write_text(path, format_wb(gains, sequence))


def read_wb(path: str | Path) -> dict[str, np.ndarray]:
    """Parse a wb.txt into ``{"0000k": array([R, G, G, B])}``; keys matched by their ``0000k:`` suffix."""
    path = Path(path)
    try:
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8", errors="replace").splitlines()]
    except OSError as exc:
        raise AlignmentFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    out: dict[str, np.ndarray] = {}
    i = 0
    while i < len(lines):
        key = _WB_KEY.search(lines[i])
        if key and i + 1 < len(lines):
            try:
                vals = np.array([float(v) for v in lines[i + 1].split()], dtype=np.float64)
            except ValueError:
                raise AlignmentFileError(f"{path}:{i + 2}: not a row of numbers: {lines[i + 1]!r}") from None
            if vals.size != 4 or not np.all(np.isfinite(vals)) or np.any(vals <= 0):
                raise AlignmentFileError(f"{path}:{i + 2}: expected 4 positive gains R G G B, got {lines[i + 1]!r}")
            out[key.group(1)] = vals
            i += 2
            continue
        i += 1
    if not out:
        raise AlignmentFileError(f"{path}: no white-balance entries found")
    return out
