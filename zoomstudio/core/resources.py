"""Paths of files shipped inside the package (configs, icons, the default model)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "resources"


def config_path(name: str) -> Path:
    """A sample config by name (``tiny-cpu``, ``paper-4x``, ``paper-8x``) or a path as given."""
    p = Path(name)
    if p.suffix in (".yaml", ".yml") and p.exists():
        return p
    candidate = ROOT / "configs" / f"{name}.yaml"
    if candidate.exists():
        return candidate
    return p


def config_names() -> list[str]:
    """Names of the bundled configs (``default-4x``, ``paper-4x``, ``paper-8x``, ``tiny-cpu``)."""
    return sorted(p.stem for p in (ROOT / "configs").glob("*.yaml"))


def default_model_path(zoom: int = 4) -> Path:
    return ROOT / "models" / f"zoomstudio-{zoom}x.safetensors"


def icon_path() -> Path:
    return ROOT / "icons" / "zoomstudio.svg"


def model_zoom(path: str | Path) -> int | None:
    """The zoom factor a ZoomStudio weights file declares, from its header alone (no torch, no tensor
    read); ``None`` when the file is missing, damaged or not a ZoomStudio model."""
    import json

    from .fileio import DamagedFileError, safetensors_header

    try:
        header, _ = safetensors_header(path)
        return int(json.loads(header["__metadata__"]["zoomstudio"])["net"].get("zoom", 4))
    except (OSError, DamagedFileError, ValueError, KeyError, TypeError, AttributeError):
        return None
