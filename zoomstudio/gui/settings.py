"""User settings in a JSON file under the platform's config folder (platformdirs)."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

log = logging.getLogger(__name__)


def config_dir() -> Path:
    import platformdirs

    return Path(os.environ.get("ZOOMSTUDIO_CONFIG_DIR") or platformdirs.user_config_dir("zoomstudio"))


def data_dir() -> Path:
    import platformdirs

    return Path(os.environ.get("ZOOMSTUDIO_DATA_DIR") or platformdirs.user_data_dir("zoomstudio"))


@dataclass
class Settings:
    """What the app remembers between launches."""

    recent_datasets: list[str] = field(default_factory=list)
    window_geometry: str = ""  # hex of QMainWindow.saveGeometry()
    window_state: str = ""  # hex of QMainWindow.saveState()
    device: str = "auto"
    last_model: str = ""
    tile: int = 0  # 0: from the memory budget
    memory_mb: int = 1024
    precision: str = "auto"  # the zoom's arithmetic: auto (bfloat16 where native) | fp32 (core.nets.config)
    lpips_net: str = "alex"
    runs_dir: str = ""
    output_dir: str = ""

    @classmethod
    def path(cls) -> Path:
        return config_dir() / "settings.json"

    @classmethod
    def load(cls) -> "Settings":
        p = cls.path()
        try:
            raw = json.loads(p.read_text())
        except FileNotFoundError:
            return cls()
        except (OSError, json.JSONDecodeError) as exc:
            log.warning("%s: unreadable settings (%s); using defaults", p, exc)
            return cls()
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in known})

    def save(self) -> None:
        p = self.path()
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(".settings.json.partial")
        tmp.write_text(json.dumps(asdict(self), indent=1))
        tmp.replace(p)

    def add_recent(self, path: str, limit: int = 8) -> None:
        path = str(path)
        self.recent_datasets = [path] + [p for p in self.recent_datasets if p != path][: limit - 1]
