import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zoomstudio.core.raw import (
    channel_offsets,
    denormalize_packed,
    normalize_packed,
    pack_bayer,
    pack_normalized,
    unpack_bayer,
)

PHASES = ["RGGB", "BGGR", "GRBG", "GBRG"]


def _mosaic_from_rgb(r, g1, b, g2, phase):
    """Build a mosaic where each colour plane has a known constant."""
    h, w = 6, 8
    m = np.zeros((h, w), np.uint16)
    letters = iter(phase)
    greens = []
    for dy in (0, 1):
        for dx in (0, 1):
            c = next(letters)
            if c == "R":
                m[dy::2, dx::2] = r
            elif c == "B":
                m[dy::2, dx::2] = b
            else:
                greens.append((dy, dx))
    # G1 is on red's row
    red_row = phase.index("R") // 2
    for dy, dx in greens:
        m[dy::2, dx::2] = g1 if dy == red_row else g2
    return m


@pytest.mark.parametrize("phase", PHASES)
def test_pack_channel_order_is_r_g1_b_g2(phase):
    m = _mosaic_from_rgb(10, 20, 30, 40, phase)
    p = pack_bayer(m, phase)
    assert p.shape == (4, 3, 4)
    assert [int(p[c, 0, 0]) for c in range(4)] == [10, 20, 30, 40]


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("shape", [(6, 8), (7, 9), (5, 4), (2, 2)])
def test_pack_unpack_round_trip_every_phase_and_odd_sizes(phase, shape):
    rng = np.random.default_rng(1)
    m = rng.integers(0, 2**14, shape, dtype=np.uint16)
    p = pack_bayer(m, phase)
    assert p.shape == (4, shape[0] // 2, shape[1] // 2)
    back = unpack_bayer(p, phase)
    np.testing.assert_array_equal(back, m[: 2 * (shape[0] // 2), : 2 * (shape[1] // 2)])


@settings(max_examples=40, deadline=None)
@given(
    phase=st.sampled_from(PHASES),
    h=st.integers(2, 21),
    w=st.integers(2, 21),
    seed=st.integers(0, 2**31 - 1),
)
def test_pack_unpack_property(phase, h, w, seed):
    m = np.random.default_rng(seed).integers(0, 65536, (h, w), dtype=np.uint16)
    np.testing.assert_array_equal(unpack_bayer(pack_bayer(m, phase), phase), m[: h // 2 * 2, : w // 2 * 2])


def test_rawpy_pattern_indices_match_letters():
    # rawpy's raw_pattern for RGGB is [[0, 1], [3, 2]] (3 = second green)
    assert channel_offsets([[0, 1], [3, 2]]) == channel_offsets("RGGB") == ((0, 0), (0, 1), (1, 1), (1, 0))
    assert channel_offsets([[2, 3], [1, 0]]) == channel_offsets("BGGR")


def test_non_bayer_pattern_rejected():
    with pytest.raises(ValueError, match="Bayer"):
        channel_offsets([[0, 0], [1, 2]])
    with pytest.raises(ValueError, match="2x2"):
        channel_offsets(np.zeros((6, 6), int))
    with pytest.raises(ValueError, match="shape"):
        pack_bayer(np.zeros((4, 4, 3), np.uint16), "RGGB")


def test_levels_normalise_and_clip_above_white():
    black = np.array([512, 500, 512, 500], np.float32)
    p = np.zeros((4, 1, 4), np.uint16)
    p[:, 0] = [0, 512, 8447, 16628]  # below black, black, mid, above white (real ARW max)
    n = normalize_packed(p, black, 16383)
    assert n.dtype == np.float32
    assert n.min() == 0.0 and n.max() == 1.0
    np.testing.assert_allclose(n[0, 0], [0, 0, (8447 - 512) / (16383 - 512), 1.0], rtol=1e-6)
    np.testing.assert_allclose(n[1, 0, 1], 12 / (16383 - 500), rtol=1e-6)
    # inverse on the in-range values
    inside = np.array([[[600, 1000, 16000]]] * 4, np.uint16)
    np.testing.assert_array_equal(denormalize_packed(normalize_packed(inside, black, 16383), black, 16383), inside)


@pytest.mark.parametrize("phase", PHASES)
def test_pack_normalized_equals_pack_then_normalize(phase):
    rng = np.random.default_rng(3)
    m = rng.integers(0, 17000, (9, 12), dtype=np.uint16)
    black_cell = np.array([[500, 510], [520, 530]], np.float32)
    fused = pack_normalized(m, phase, black_cell, 16383)
    black = np.array([black_cell[dy, dx] for dy, dx in channel_offsets(phase)])
    two_step = normalize_packed(pack_bayer(m, phase), black, 16383)
    np.testing.assert_allclose(fused, two_step, rtol=1e-6, atol=1e-7)
