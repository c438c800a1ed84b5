"""Real photographs used as scenes by the synthetic generator, with where they come from and their licences.

Three named sets:

- ``skimage``: the colour photographs bundled in scikit-image's wheel (always there);
- ``training``: ``skimage`` plus the training photographs of Debian's wallpaper packages;
- ``unseen``: other photographs of the same packages, kept for the unseen-camera evaluation set.
  No training set contains them (a test checks it).

The Debian photographs are read from the installed packages
(``apt-get install mate-backgrounds plasma-workspace-wallpapers``) under
``root`` (``/``, or a folder the ``.deb`` files were extracted into with
``dpkg-deb -x``). Only photographs are listed: the packages' illustrations and
renders are not photographic scenes. The Debian packages ``lomiri-wallpapers-*``
and ``lxqt-themes`` are reserved for independent evaluation and never used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Colour photographs bundled in scikit-image's wheel (no download needed).
SKIMAGE_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "immunohistochemistry", "retina")

PHOTO_SETS = ("skimage", "training", "unseen")

_MATE = "mate-backgrounds"
_PLASMA = "plasma-workspace-wallpapers"
_KDE = "KDE Visual Design Group contributors (2014-2023)"


@dataclass(frozen=True)
class DebianPhoto:
    """One photograph of a Debian package: its path under the install root, licence and role."""

    package: str
    path: str  # relative to the root ("/" when the package is installed)
    copyright: str
    licence: str
    role: str  # "training" or "unseen"

    @property
    def name(self) -> str:
        return Path(self.path).stem if self.package == _MATE else Path(self.path).parts[3]


def _mate(stem: str, who: str, role: str = "training") -> DebianPhoto:
    return DebianPhoto(_MATE, f"usr/share/backgrounds/mate/nature/{stem}.jpg", who, "GPL-2+", role)


def _plasma(name: str, size: str, role: str = "training") -> DebianPhoto:
    return DebianPhoto(_PLASMA, f"usr/share/wallpapers/{name}/contents/images/{size}.jpg", _KDE, "GPL-2+", role)


DEBIAN_PHOTOS: tuple[DebianPhoto, ...] = (
    _mate("Aqua", "2008 Charles Barbin"),
    _mate("Blinds", "2008 Lennart Poettering, Andrea Cimitan"),
    _mate("Dune", "2007 Marco Cogoni, 2008 Hylke Bons", "unseen"),
    _mate("FreshFlower", "2005 Jens Ansorg"),
    _mate("Garden", "2008 Charles Barbin"),
    _mate("GreenMeadow", "2005 Timothy Schellhase, 2008 Lapo Calamandrei"),
    _mate("LadyBird", "2008 Charles Barbin", "unseen"),
    _mate("RainDrops", "2008 blackcombwhistler07"),
    _mate("Storm", "2008 Sergey Nazarov", "unseen"),
    _mate("TwoWings", "2008 Charles Barbin, Hylke Bons"),
    _mate("Wood", "2008 Jean-François Fortin Tam"),
    _mate("YellowFlower", "2008 Charles Barbin"),
    _plasma("BytheWater", "2560x1600"),
    _plasma("ColdRipple", "2560x1600"),
    _plasma("ColorfulCups", "2560x1600", "unseen"),
    _plasma("DarkestHour", "2560x1600"),
    _plasma("EveningGlow", "2560x1600", "unseen"),
    _plasma("FallenLeaf", "2560x1600"),
    _plasma("Grey", "2560x1600"),
    _plasma("OneStandsOut", "2560x1600"),
    _plasma("Path", "2560x1600", "unseen"),
    _plasma("summer_1am", "2560x1600"),
)


class PhotoSetError(ValueError):
    """A photo set that cannot be assembled; ``str()`` says what to install."""


def debian_photos(role: str) -> tuple[DebianPhoto, ...]:
    """The listed Debian photographs of one role (``training`` or ``unseen``)."""
    return tuple(p for p in DEBIAN_PHOTOS if p.role == role)


def photo_sources(photo_set: str, root: str | Path = "/") -> list[str]:
    """Source names for :func:`zoomstudio.core.data.synth.synthesize` (``skimage:NAME`` or file paths).

    Raises :class:`PhotoSetError` when a Debian photograph of the set is not
    under ``root`` (so a set is all there or refused, never silently smaller).
    """
    if photo_set not in PHOTO_SETS:
        raise PhotoSetError(f"photo set must be one of {', '.join(PHOTO_SETS)}, got {photo_set!r}")
    names = [f"skimage:{n}" for n in SKIMAGE_PHOTOS] if photo_set in ("skimage", "training") else []
    if photo_set == "skimage":
        return names
    wanted = debian_photos(photo_set)
    paths = [Path(root) / p.path for p in wanted]
    missing = sorted({p.package for p, path in zip(wanted, paths) if not path.is_file()})
    if missing:
        raise PhotoSetError(f"the {photo_set!r} photo set needs the Debian packages {' '.join(missing)} under {root} "
                            f"(apt-get install {' '.join(missing)})")
    return names + [str(p) for p in paths]


#: the image files a source may be (anything else is developed as a RAW)
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}

#: larger photographs are reduced (area filter) to this long side: wallpapers are often upsampled, and
#: a reduced photo holds more detail per pixel at a quarter of the memory
MAX_PHOTO_SIDE = 2560


def load_photo(name: str) -> np.ndarray:
    """A source photo as float32 sRGB (H, W, 3) in [0, 1], at most :data:`MAX_PHOTO_SIDE` px on its long side."""
    if name.startswith("skimage:"):
        import skimage.data

        img = getattr(skimage.data, name.split(":", 1)[1])()
    else:
        path = Path(name)
        if path.suffix.lower() in IMAGE_SUFFIXES:
            from PIL import Image

            with Image.open(path) as im:
                img = np.asarray(im.convert("RGB"))
        else:  # a RAW: develop it with LibRaw's defaults (camera WB, sRGB)

            from ..raw.decode import open_raw

            with open_raw(path) as raw:
                img = raw.postprocess(use_camera_wb=True, output_bps=8, half_size=True)
    img = np.asarray(img)
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    img = img[..., :3]
    scale = 65535.0 if img.dtype == np.uint16 else 255.0
    img = img.astype(np.float32) / scale
    if max(img.shape[:2]) > MAX_PHOTO_SIDE:
        import cv2

        f = MAX_PHOTO_SIDE / max(img.shape[:2])
        img = cv2.resize(img, (round(img.shape[1] * f), round(img.shape[0] * f)), interpolation=cv2.INTER_AREA)
    return img
