"""A larger RAW fuzz run: files tried, crashes, hangs, clean errors and peak memory (issue 9).

Usage: python benchmarks/bench_fuzz.py [--count 1200] [--seed 0] [--timeout 20] [--workdir DIR] [--no-arw]

Seeds: four small synthetic DNGs (every CFA phase), the real Canon DNG and (unless ``--no-arw``) the real
Sony ARW, mutated by ``tests/fuzzing.py`` (truncations, bit flips, zeroed / random ranges, broken TIFF tags
and IFDs, huge declared sizes, damaged EXIF Orientation, odd files, RAW+JPEG pairs with damaged EXIF, a
name that is not UTF-8). Every file is decoded in a worker process the way ``info`` and ``zoom`` read it,
with a per-file timeout. Prints a Markdown row for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import fuzzing  # noqa: E402
from samples import ARW_NAME, DNG_NAME, sample  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--workdir", default=str(REPO / "benchmarks" / "out" / "fuzz"))
    ap.add_argument("--no-arw", action="store_true", help="leave out the 18 MB ARW (faster, less disk)")
    args = ap.parse_args()
    work = Path(args.workdir)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    seeds = fuzzing.small_dngs(work) + [sample(DNG_NAME)] + ([] if args.no_arw else [sample(ARW_NAME)])
    paths = fuzzing.build_corpus(work / "corpus", seeds, args.count, seed=args.seed)
    report = fuzzing.run_corpus(paths, timeout_s=args.timeout)
    print(f"files {report.files}, decoded {report.ok}, clean errors {report.clean}, crashes {len(report.crashes)}, "
          f"hangs {len(report.hangs)}, multi-line errors {len(report.multi_line)}, stray stderr lines "
          f"{report.stderr_lines}, peak RSS {report.peak_rss_mb:.0f} MB, {report.seconds:.0f} s", file=sys.stderr)
    for c in report.crashes[:20]:
        print("crash:", c, file=sys.stderr)
    for h in report.hangs[:20]:
        print("hang:", h, file=sys.stderr)
    print(f"| {report.files} | {len(seeds)} seeds{'' if args.no_arw else ' incl. ARW'} | {report.ok} | {report.clean} | "
          f"{len(report.crashes)} | {len(report.hangs)} | {report.stderr_lines} | {report.peak_rss_mb:.0f} MB | "
          f"{report.seconds:.0f} s | {platform.processor() or platform.machine()} |")
    shutil.rmtree(work / "corpus", ignore_errors=True)


if __name__ == "__main__":
    main()
