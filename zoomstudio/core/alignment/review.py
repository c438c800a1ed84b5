"""What the app shows of one sequence's alignment: FOV-matched previews, the widest shot, the tform.txt
matrices and the per-frame report ``align.json`` (scores, shifts, rotations) that the alignment job writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from ..data.srraw import Sequence
from ..events import CancelToken, Cancelled, Problem, Result
from .sequence_align import ALIGN_REPORT, fov_previews, load_rgb_preview


def read_align_report(path: str | Path) -> dict[str, dict]:
    """The frames of an ``align.json``, by shot key. Raises ``ValueError`` naming the file and the reason."""
    path = Path(path)
    try:
        frames = json.loads(path.read_text(encoding="utf-8"))["frames"]
        return {str(f["key"]): f for f in frames}
    except OSError as exc:
        raise ValueError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not an alignment report ({type(exc).__name__}: {exc})") from None


def sequence_review(sequence: Sequence, side: int = 768, *,
                    cancel: CancelToken | None = None) -> Iterator[Problem | Result | Cancelled]:
    """One ``Result`` (item: the sequence name) with ``previews`` ({key: RGB float32 (h, w, 3)}, FOV-matched,
    long side ``side``), ``wide`` (the widest shot), ``matrices`` ({key: 3x3} from tform.txt), ``full_hw``
    and ``frames`` (align.json by key); a ``Problem`` for a damaged tform.txt or align.json (shown without)."""
    from ..geometry.files import AlignmentFileError, read_tform

    previews, full_hw = fov_previews(sequence, side=side)
    if cancel is not None and cancel.cancelled:
        yield Cancelled(f"{sequence.name}: preview cancelled")
        return
    widest = sequence.shots[-1]
    reduction = max([r for r in (1, 2, 4, 8) if max(full_hw) / r >= side] or [1])
    wide = load_rgb_preview(widest, reduction if widest.jpg_path is not None else 1)
    matrices, frames = {}, {}
    if sequence.has_tform:
        try:
            t = read_tform(sequence.tform_path)
            matrices = {k: t.matrix3(k) for k in t.matrices}
        except AlignmentFileError as exc:
            yield Problem(str(sequence.tform_path), str(exc))
    report = sequence.path / ALIGN_REPORT
    if report.exists():
        try:
            frames = read_align_report(report)
        except ValueError as exc:
            yield Problem(str(report), str(exc).split(": ", 1)[-1])
    yield Result(sequence.name, {"previews": previews, "wide": wide, "matrices": matrices, "full_hw": full_hw,
                                 "frames": frames})
