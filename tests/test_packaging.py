import shutil
import subprocess
from pathlib import Path

import pytest

PACKAGING = Path(__file__).resolve().parents[1] / "packaging"


def test_desktop_file_validates():
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.skip("desktop-file-validate not installed (Debian: desktop-file-utils; .ci/run installs it)")
    out = subprocess.run([tool, str(PACKAGING / "io.github.zoomstudio.ZoomStudio.desktop")], capture_output=True,
                         text=True)
    assert out.returncode == 0 and not out.stdout.strip(), out.stdout + out.stderr


def test_metainfo_and_spec_reference_real_files():
    import xml.etree.ElementTree as ET

    root = ET.parse(PACKAGING / "io.github.zoomstudio.ZoomStudio.metainfo.xml").getroot()
    assert root.findtext("id") == "io.github.zoomstudio.ZoomStudio"
    assert root.find("launchable").text == "io.github.zoomstudio.ZoomStudio.desktop"
    spec = (PACKAGING / "zoomstudio.spec").read_text()
    assert "launcher.py" in spec and (PACKAGING / "launcher.py").exists()
    from zoomstudio.core.resources import icon_path

    assert icon_path().exists()
