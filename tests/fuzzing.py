"""A seeded RAW fuzzer: mutations of real and small synthetic RAWs, run through the decoder in a child process.

Used by ``tests/test_robustness.py`` (a few hundred files) and ``benchmarks/bench_fuzz.py`` (a larger run).
Mutations: truncations, bit flips, zeroed or randomised byte ranges, broken TIFF tags (any type, count
or value, EXIF Orientation as text, a rational or a count of 2), huge declared image sizes, IFD offsets
out of the file, and odd files (empty, text, a JPEG, random bytes, a folder and a named pipe called
``x.DNG``, a name that is not UTF-8).

The runner feeds every file to a worker process that decodes it the way ``info`` and ``zoom`` do and
prints one JSON line per file; a file that takes longer than the per-file timeout is a hang (the worker
is killed and restarted after it). Anything but a clean ``RawReadError`` is a crash.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: TIFF field types and their sizes in bytes
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 16: 8}


def small_dngs(out: Path) -> list[Path]:
    """Four small valid DNGs (64x48, every CFA phase, EXIF with orientation and focal length)."""
    from zoomstudio.core.raw import write_dng
    from zoomstudio.core.raw.exif import ExifInfo

    rng = np.random.default_rng(0)
    paths = []
    for k, cfa in enumerate(("RGGB", "BGGR", "GRBG", "GBRG")):
        mosaic = (rng.random((48, 64)) * 3000 + 600).astype(np.uint16)
        path = out / f"seed_{cfa}.dng"
        write_dng(path, mosaic, cfa, black_level=512, white_level=4095, as_shot_neutral=(0.5, 1.0, 0.6),
                  exif=ExifInfo(make="Fuzz", model=f"Seed {k}", iso=100, exposure_time=0.01, focal_length=35,
                                orientation=1 + k))
        paths.append(path)
    return paths


def _ifd_entries(data: bytes) -> list[int]:
    """Byte offsets of every entry of every IFD chain of a little- or big-endian classic TIFF."""
    if data[:2] not in (b"II", b"MM") or len(data) < 8:
        return []
    end = "<" if data[:2] == b"II" else ">"
    offsets, seen, todo = [], set(), [struct.unpack(end + "I", data[4:8])[0]]
    while todo and len(seen) < 64:
        ifd = todo.pop()
        if ifd == 0 or ifd in seen or ifd + 2 > len(data):
            continue
        seen.add(ifd)
        count = struct.unpack(end + "H", data[ifd:ifd + 2])[0]
        for i in range(min(count, 512)):
            at = ifd + 2 + 12 * i
            if at + 12 > len(data):
                break
            offsets.append(at)
            tag, kind, n, value = struct.unpack(end + "HHII", data[at:at + 12])
            if tag in (330, 34665) and kind in (4, 13) and n == 1:  # SubIFDs, ExifIFD
                todo.append(value)
        nxt = ifd + 2 + 12 * count
        if nxt + 4 <= len(data):
            todo.append(struct.unpack(end + "I", data[nxt:nxt + 4])[0])
    return offsets


def _mutate_tag(data: bytearray, rng: np.random.Generator, only_tag: int | None = None) -> str:
    entries = _ifd_entries(bytes(data))
    end = "<" if data[:2] == b"II" else ">"
    if only_tag is not None:
        entries = [at for at in entries if struct.unpack(end + "H", bytes(data[at:at + 2]))[0] == only_tag]
    if not entries:
        return _flip_bits(data, rng)
    at = int(rng.choice(entries))
    tag, kind, count, value = struct.unpack(end + "HHII", bytes(data[at:at + 12]))
    choice = int(rng.integers(6))
    if tag == 274 or choice == 0:  # orientation-style damage: text, rational or a count of 2
        kind, count = [(2, 2), (5, 1), (3, 2), (2, 4), (11, 1), (2, 3)][int(rng.integers(6))]
        if kind == 2:
            text = {2: b"6\0", 3: b" 6\0", 4: b"x6\0"}[count]
            value = struct.unpack(end + "I", text.ljust(4, b"\0"))[0]
        elif kind == 3:  # two SHORTs in the value field
            value = struct.unpack(end + "I", struct.pack(end + "HH", 6, 1))[0]
        what = f"tag {tag} as type {kind} count {count}"
    elif choice == 1:  # a huge declared size
        value = int(rng.choice([30000, 65535, 2**31 - 1, 2**32 - 1]))
        what = f"tag {tag} value {value}"
    elif choice == 2:
        count = int(rng.choice([0, 2**31, 2**32 - 1, count * 1000 + 7]))
        what = f"tag {tag} count {count}"
    elif choice == 3:
        kind = int(rng.choice([0, 7, 13, 14, 99, 65535]))
        what = f"tag {tag} type {kind}"
    elif choice == 4:
        value = int(rng.integers(len(data), len(data) + 10**9))
        what = f"tag {tag} offset beyond the file"
    else:
        value = int(rng.integers(0, 2**32))
        what = f"tag {tag} random value"
    data[at + 2:at + 12] = struct.pack(end + "HII", kind, count % 2**32, value % 2**32)
    return what


def _flip_bits(data: bytearray, rng: np.random.Generator) -> str:
    n = int(rng.integers(1, 65))
    for pos in rng.integers(0, len(data), n):
        data[int(pos)] ^= 1 << int(rng.integers(8))
    return f"{n} bit flips"


def _header_bias(data: bytearray, rng: np.random.Generator) -> int:
    """A position weighted towards the headers, where damage matters most."""
    limit = len(data) if rng.random() < 0.3 else min(len(data), 65536)
    return int(rng.integers(0, limit))


def mutate(seed_bytes: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    """One seeded mutation of ``seed_bytes`` and a description of it."""
    data = bytearray(seed_bytes)
    kind = int(rng.integers(7))
    if kind == 6:  # the EXIF Orientation (tag 274) in any type, count or text
        return bytes(data), _mutate_tag(data, rng, only_tag=274)
    if kind == 0:
        cut = int(rng.integers(0, len(data)))
        return bytes(data[:cut]), f"truncated at {cut}"
    if kind == 1:
        return bytes(data), _flip_bits(data, rng)
    if kind == 2:
        a = _header_bias(data, rng)
        n = int(rng.integers(1, 4096))
        data[a:a + n] = bytes(len(data[a:a + n]))
        return bytes(data), f"zeroed {n} bytes at {a}"
    if kind == 3:
        a = _header_bias(data, rng)
        n = int(rng.integers(1, 256))
        chunk = rng.integers(0, 256, len(data[a:a + n]), dtype=np.uint8).tobytes()
        data[a:a + n] = chunk
        return bytes(data), f"random {n} bytes at {a}"
    what = [_mutate_tag(data, rng) for _ in range(int(rng.integers(1, 4)))]
    return bytes(data), "; ".join(what)


def odd_files(out: Path, jpeg_bytes: bytes | None) -> list[Path]:
    """Files that are not RAWs at all, under RAW names."""
    made = {"empty.DNG": b"", "text.ARW": b"this is not a raw file\n" * 10,
            "random.NEF": np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8).tobytes(),
            "tiff_header_only.DNG": b"II*\0\x08\0\0\0", "bigtiff_header.DNG": b"II+\0\x08\0\0\0" + bytes(16)}
    if jpeg_bytes:
        made["a_jpeg.ARW"] = jpeg_bytes
    paths = []
    for name, data in made.items():
        (out / name).write_bytes(data)
        paths.append(out / name)
    folder = out / "folder.DNG"
    folder.mkdir(exist_ok=True)
    paths.append(folder)
    if hasattr(os, "mkfifo"):
        fifo = out / "x.DNG"
        if not fifo.exists():
            os.mkfifo(fifo)
        paths.append(fifo)
    return paths


def raw_jpeg_pairs(out: Path, seed_raw: Path) -> list[Path]:
    """RAW+JPEG pairs (a valid RAW, a sibling ``.JPG`` of the same stem) whose JPEG's EXIF Orientation is
    damaged the ways cameras and editors damage it: a count of 2, a rational, text, out of range."""
    from PIL import Image
    from PIL.TiffImagePlugin import IFDRational

    values = {"count2": (6, 1), "rational": IFDRational(6, 1), "text": "6", "text_junk": "six", "zero": 0,
              "huge": 65535, "empty_tuple": (), "float_text": "6.0"}
    paths = []
    for name, value in values.items():
        raw = out / f"pair_{name}.DNG"
        raw.write_bytes(seed_raw.read_bytes())
        exif = Image.Exif()
        exif[274] = value
        exif[0x010F] = "Fuzz"
        try:
            Image.new("RGB", (96, 64), (120, 80, 40)).save(out / f"pair_{name}.JPG", exif=exif.tobytes())
        except Exception:  # Pillow refuses to write this one: a plain JPEG stands in
            Image.new("RGB", (96, 64), (120, 80, 40)).save(out / f"pair_{name}.JPG")
        paths.append(raw)
    return paths


def build_corpus(out: Path, seeds: list[Path], count: int, seed: int = 0) -> list[Path]:
    """``count`` mutated files (spread over ``seeds``) plus :func:`odd_files` and one valid RAW under a
    name that is not UTF-8. A ``corpus.json`` records how each file was made."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    blobs = [(p, p.read_bytes()) for p in seeds]
    record, paths = {}, []
    for i in range(count):
        src, blob = blobs[i % len(blobs)]
        data, what = mutate(blob, rng)
        path = out / f"m{i:04d}_{src.stem[:24]}{src.suffix.upper()}"
        path.write_bytes(data)
        record[path.name] = f"{src.name}: {what}"
        paths.append(path)
    paths += odd_files(out, None)
    paths += raw_jpeg_pairs(out, seeds[0])
    latin = os.fsdecode(str(out).encode() + b"/valid_caf\xe9" + seeds[0].suffix.encode())
    Path(latin).write_bytes(blobs[0][1])
    paths.append(Path(latin))
    (out / "corpus.json").write_text(json.dumps(record, indent=1))
    return paths


# ---- the worker (child process) ----

def _decode_like_the_app(path: str) -> dict:
    from zoomstudio.cli.info import describe
    from zoomstudio.core.raw import RawReadError, read_raw
    from zoomstudio.core.raw.preview import camera_rendering

    try:
        describe(path)  # the header only, as `info` reads it
        raw = read_raw(path, with_preview=True)
        packed = raw.packed()
        camera_rendering(raw)
        return {"outcome": "ok", "shape": list(packed.shape)}
    except RawReadError as exc:
        text = str(exc)
        return {"outcome": "clean", "message": text, "one_line": "\n" not in text}
    except BaseException as exc:  # noqa: BLE001 - this is what the fuzzer is looking for
        return {"outcome": "crash", "message": f"{type(exc).__name__}: {exc}"[:300]}


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the parent that
    forked it, which may be a whole test session)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def worker_main() -> None:
    """Read paths (one per line, surrogate-escaped) from stdin, answer one JSON line each."""
    for line in sys.stdin:
        path = line.rstrip("\n")
        if not path:
            break
        t0 = time.perf_counter()
        answer = _decode_like_the_app(path)
        answer["seconds"] = time.perf_counter() - t0
        answer["maxrss_mb"] = _peak_rss_mb()
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


@dataclass
class FuzzReport:
    files: int = 0
    ok: int = 0
    clean: int = 0
    crashes: list[str] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)
    multi_line: list[str] = field(default_factory=list)
    peak_rss_mb: float = 0.0
    stderr_lines: int = 0
    seconds: float = 0.0


def run_corpus(paths: list[Path], timeout_s: float = 20.0) -> FuzzReport:
    """Decode every path in a worker process (restarted after a hang). See the module docstring."""
    import selectors

    report = FuzzReport(files=len(paths))
    t_start = time.perf_counter()
    env = dict(os.environ, PYTHONIOENCODING="utf-8:surrogateescape")
    code = "import sys; sys.path.insert(0, %r); import fuzzing; fuzzing.worker_main()" % str(Path(__file__).parent)
    queue = list(paths)
    while queue:
        proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env)
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        hung = False
        while queue:
            path = queue.pop(0)
            proc.stdin.write(os.fsencode(str(path)) + b"\n")
            proc.stdin.flush()
            first = time.perf_counter()
            ready = sel.select(timeout=timeout_s + (30.0 if first - t_start < 1 else 0.0))  # imports on start
            if not ready:
                report.hangs.append(str(path))
                proc.kill()
                hung = True
                break
            line = proc.stdout.readline()
            if not line:
                report.crashes.append(f"{path}: worker died (exit {proc.wait()})")
                break
            answer = json.loads(line)
            report.peak_rss_mb = max(report.peak_rss_mb, answer["maxrss_mb"])
            if answer["outcome"] == "ok":
                report.ok += 1
            elif answer["outcome"] == "clean":
                report.clean += 1
                if not answer["one_line"]:
                    report.multi_line.append(answer["message"])
            else:
                report.crashes.append(f"{path}: {answer['message']}")
        if not hung:
            proc.stdin.close()
            proc.wait(timeout=60)
        err = proc.stderr.read().decode("utf-8", "replace")
        report.stderr_lines += len([ln for ln in err.splitlines() if ln.strip()])
        sel.close()
    report.seconds = time.perf_counter() - t_start
    return report
