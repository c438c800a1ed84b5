"""``zoomstudio align SEQ_DIR...``: ECC alignment, tform.txt and wb.txt."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dirs", nargs="+", metavar="SEQ_DIR", help="sequence folders, or SR-RAW roots holding them")
    p.add_argument("--motion", choices=("euclidean", "affine", "homography", "translation"), default="euclidean",
                   help="motion model (default: euclidean, the paper's)")
    p.add_argument("--jobs", type=int, default=1, help="sequences aligned in parallel (processes)")
    p.add_argument("--iterations", type=int, default=100, help="ECC iterations per pyramid level")
    p.add_argument("--finest", type=int, default=1024, help="long side of the finest pyramid level in pixels")
    p.add_argument("--no-wb", action="store_true", help="do not compute wb.txt")
    p.add_argument("--compare", action="store_true",
                   help="also write compare/aligned.jpg and compare/orig.jpg (mean of aligned / unaligned frames)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace existing tform.txt / wb.txt / align.json (default: refuse, nothing is written)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.epilog = "example: zoomstudio align SR-RAW/train/00001 SR-RAW/train/00002 --motion euclidean --jobs 2"


def _sequences(dirs):
    from ..core.data.srraw import Sequence, iter_scan
    from ..core.events import Problem

    seqs, problems = [], []
    for d in dirs:
        for event in iter_scan(d):
            if isinstance(event, Sequence):
                if event.usable:
                    seqs.append(event)
            elif isinstance(event, Problem):
                problems.append(event)
    return seqs, problems


def _align_one(args_tuple):
    """Worker: align one sequence, return plain values (picklable)."""
    seq_path, config, with_wb, compare, overwrite = args_tuple
    from ..core.data.srraw import scan_sequence
    from ..core.events import Problem, Result
    from ..core.alignment.sequence_align import align_sequence

    seq = scan_sequence(seq_path)
    problems, result = [], None
    for e in align_sequence(seq, config, with_wb=with_wb, overwrite=overwrite):
        if isinstance(e, Problem):
            problems.append(str(e))
        elif isinstance(e, Result):
            result = e.values
    if result and compare:
        from ..core.alignment.sequence_align import write_compare_images

        write_compare_images(seq)
    return seq.name, problems, result


def _summary(name: str, values: dict) -> str:
    frames = values["frames"]
    bad = [f["key"] for f in frames if not f["valid"]]
    scores = [f["score"] for f in frames[1:] if f["score"] is not None]
    low = min(scores) if scores else float("nan")
    state = f"{len(bad)} invalid ({', '.join(bad)})" if bad else "all valid"
    return f"{name}: {len(frames)} frames, {state}, min ECC score {low:.3f}, {values['seconds']:.1f} s"


def run(args: argparse.Namespace) -> int:
    from ..core.geometry.ecc import EccConfig
    from .errors import CliError
    from .progress import TerminalProgress, consume, interruptible

    try:
        config = EccConfig(motion=args.motion, iterations=args.iterations, finest_side=args.finest)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    seqs, problems = _sequences(args.dirs)
    progress = TerminalProgress(quiet=args.quiet)
    for p in problems:
        progress.message(f"warning: {p}")
    if not seqs:
        raise CliError("no alignable sequence found in " + ", ".join(args.dirs))
    from ..core.alignment.sequence_align import alignment_outputs

    existing = [p for s in seqs for p in alignment_outputs(s, not args.no_wb) if p.exists()]
    if existing and not args.overwrite:
        done = len({p.parent for p in existing})
        raise CliError(f"{existing[0]}: already exists ({done} of {len(seqs)} sequences hold alignment files; "
                       "pass --overwrite to replace them)")
    failures = 0
    if args.jobs <= 1 or len(seqs) == 1:
        from ..core.alignment.sequence_align import align_sequence

        from ..core.events import CancelToken

        cancel = CancelToken()
        for seq in seqs:
            events = align_sequence(seq, config, with_wb=not args.no_wb, overwrite=args.overwrite, cancel=cancel)
            results, _, cancelled = consume(interruptible(events, cancel), progress)
            if cancelled:
                return 130
            if results:
                if args.compare:
                    from ..core.alignment.sequence_align import write_compare_images

                    write_compare_images(seq)
                print(_summary(seq.name, results[-1].values))
            else:
                failures += 1
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        from ..core.events import Progress

        # LibRaw runs OpenMP threads, which do not survive fork(): use spawned workers.
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=args.jobs, mp_context=spawn) as pool:
            futures = [pool.submit(_align_one, (Path(s.path), config, not args.no_wb, args.compare, args.overwrite))
                       for s in seqs]
            for done, fut in enumerate(as_completed(futures), start=1):
                name, probs, values = fut.result()
                for p in probs:
                    progress.message(f"warning: {p}")
                progress.update(Progress(done, len(seqs), f"aligned {name}"))
                if values:
                    print(_summary(name, values))
                else:
                    failures += 1
    return 1 if failures else 0
