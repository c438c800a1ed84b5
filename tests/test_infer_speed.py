"""The fast inference path (issue 12): exact rewrites, bfloat16 only where visually lossless, sliced
colour and output passes equal to their definitions."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from zoomstudio.core.colour import quantize
from zoomstudio.core.events import Result
from zoomstudio.core.infer import TilePlan, ZoomOptions, zoom_raw, zoom_tensor
from zoomstudio.core.nets import NetConfig, build_net
from zoomstudio.core.nets.inference import PhaseConv, RowBands, for_inference, inference_dtype, subpixel
from zoomstudio.core.nets.zlz import SameConvTranspose3


def _random_net(arch: str, zoom: int, seed: int = 0) -> nn.Module:
    """A small network with every weight random (PReLU slopes too), scaled so outputs stay O(1)."""
    torch.manual_seed(seed)
    net = build_net(NetConfig(arch=arch, zoom=zoom, width=8, blocks=2, up_width=12,
                              skip="isp" if arch == "lite" else "none")).eval()
    with torch.no_grad():
        for name, p in net.named_parameters():
            fan_in = p[0].numel() if p.ndim > 1 else 1
            p.copy_(torch.randn_like(p) / np.sqrt(fan_in) * (0.3 if p.ndim == 1 else 1.0))
    return net


def _relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max() / b.abs().max().clamp_min(1e-6))


@pytest.mark.parametrize("arch", ["zoomnet", "zlz", "lite"])
@pytest.mark.parametrize("zoom", [1, 2, 4, 8])
def test_inference_rewrites_equal_the_reference_network_tiled_and_untiled(arch, zoom):
    net = _random_net(arch, zoom)
    fast = for_inference(net)
    if arch != "lite":  # the decoder's transposed convs and 9x9 tail are really rewritten
        assert not any(isinstance(m, nn.ConvTranspose2d) for m in fast.modules())
        assert any(isinstance(m, nn.ConvTranspose2d) for m in net.modules())
    for shape in [(37, 29), (40, 46), (23, 51)]:  # odd, even and mixed sizes
        x = torch.rand(1, 4, *shape)
        with torch.no_grad():
            ref = net(x)
            untiled = fast(x)
        assert untiled.shape == ref.shape
        assert _relative_error(untiled, ref) < 1e-5, (shape, _relative_error(untiled, ref))
        if arch != "lite":  # the last stage in row bands of one row (fewer rows than its convs reach)
            bands = [m for m in fast.modules() if isinstance(m, RowBands)]
            assert len(bands) == 1
            bands[0].band_bytes = 1
            with torch.no_grad():
                banded = fast(x)
            bands[0].band_bytes = 2**24
            assert _relative_error(banded, ref) < 1e-5, (shape, _relative_error(banded, ref))
        if arch == "zlz":  # batch statistics: the encoder sees the whole image, the decoder is tiled
            plan = TilePlan(encode_tile=64, encode_overlap=0, decode_tile=2 * net.decode_radius + 6,
                            decode_overlap=net.decode_radius)
        else:
            plan = TilePlan(encode_tile=2 * net.encode_radius + 6, encode_overlap=net.encode_radius,
                            decode_tile=2 * net.decode_radius + 6, decode_overlap=net.decode_radius)
        tiled = [e for e in zoom_tensor(net, x, plan) if torch.is_tensor(e)][0]
        assert _relative_error(tiled, ref) < 1e-5, (shape, _relative_error(tiled, ref))
        # the result is channels-last: an (H, W, 3) view without a copy
        assert tiled[0].permute(1, 2, 0).is_contiguous()


def test_row_bands_equal_the_layers_run_on_the_whole_map():
    """Bands of any height (smaller than, equal to, not dividing the map) give the layers' own output:
    asymmetric padding, several convs, pointwise activations between them."""
    torch.manual_seed(2)
    layers = [nn.PReLU(6), nn.Conv2d(6, 7, 3, padding=1), nn.ReLU(),
              PhaseConv(torch.randn(9, 7, 2, 2), torch.randn(9), 0, 1), nn.PReLU(9),
              PhaseConv(torch.randn(5, 9, 5, 5), None, 2, 2), nn.Conv2d(5, 4, 1)]
    bands = RowBands(layers)
    assert (bands.reach_up, bands.reach_down) == (3, 4)
    for height, width in [(1, 5), (4, 3), (17, 11), (32, 9)]:
        x = torch.randn(2, 6, height, width)
        with torch.no_grad():
            ref = x
            for layer in layers:
                ref = layer(ref)
            for rows in (1, 2, 5, 8, 100):
                bands.band_bytes = rows * width * bands.widest * 4
                torch.testing.assert_close(bands(x), ref, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError):
        RowBands([nn.Conv2d(3, 3, 3, stride=2, padding=1)])


def test_row_bands_only_on_cpu_and_the_tile_plan_knows():
    """Bands fit CPU caches; on another device the last stage runs whole, and the decoder's memory
    estimate (hence its tile size within the budget) says so."""
    from zoomstudio.core.infer.tiled import decode_bytes_per_pixel, plan_tiles

    net = _random_net("zoomnet", 4)
    on_cpu, elsewhere = for_inference(net, "cpu"), for_inference(net, "meta")
    bands = lambda m: [b for b in m.modules() if isinstance(b, RowBands)]  # noqa: E731
    assert [b.band_bytes for b in bands(on_cpu)] == [2**24] and [b.band_bytes for b in bands(elsewhere)] == [None]
    assert decode_bytes_per_pixel(on_cpu) < decode_bytes_per_pixel(elsewhere) == decode_bytes_per_pixel(net)
    assert plan_tiles(on_cpu, 64).decode_tile > plan_tiles(elsewhere, 64).decode_tile
    last = bands(on_cpu)[0]
    x = torch.randn(1, 12, 40, 9)  # up_width channels at the last grid
    with torch.no_grad():
        last.band_bytes = 3 * 9 * last.widest * 4  # bands of three rows
        banded = last(x)
        last.band_bytes = None
        torch.testing.assert_close(last(x), banded, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("make", [
    lambda: nn.ConvTranspose2d(5, 6, 3, stride=2, padding=1, output_padding=1),  # the paper's
    lambda: nn.ConvTranspose2d(5, 6, 4, stride=2, padding=1),
    lambda: nn.ConvTranspose2d(5, 6, 5, stride=2, padding=2, output_padding=1),
    lambda: nn.ConvTranspose2d(5, 6, 3, stride=3),
    lambda: SameConvTranspose3(5, 6),  # TensorFlow 'SAME' (the authors')
])
def test_subpixel_form_of_a_transposed_conv_is_exact(make):
    torch.manual_seed(1)
    module = make()
    fast = subpixel(module)
    assert fast is not None
    for shape in [(1, 1), (5, 8), (9, 7)]:
        x = torch.randn(2, 5, *shape)
        with torch.no_grad():
            ref, out = module(x), fast(x)
        assert out.shape == ref.shape
        torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)


def test_transposed_convs_that_are_not_an_exact_upsampling_are_left_alone():
    assert subpixel(nn.ConvTranspose2d(4, 4, 3, stride=2, padding=1)) is None  # 2h - 1 outputs
    assert subpixel(nn.ConvTranspose2d(4, 4, 3, stride=1, padding=1)) is None
    assert subpixel(nn.Conv2d(4, 4, 3)) is None


def test_precision_choices():
    assert inference_dtype("fp32", "cpu") == torch.float32
    assert inference_dtype("auto", "cpu") in (torch.float32, torch.bfloat16)
    with pytest.raises(ValueError, match="precision"):
        inference_dtype("fp16", "cpu")
    with pytest.raises(ValueError, match="precision"):
        ZoomOptions(precision="half")


def _zoom(path, precision, roi=None):
    from zoomstudio.core.infer.batch import load_zoom_model

    net, _ = load_zoom_model(None, 4)
    return [e for e in zoom_raw(path, net, ZoomOptions(roi=roi, precision=precision))
            if isinstance(e, Result)][0].values


@pytest.mark.slow
@pytest.mark.parametrize("sample", ["arw", "dng"])
def test_reduced_precision_is_visually_lossless_on_the_real_samples(sample, arw_path, dng_path, monkeypatch):
    """bfloat16 (what ``auto`` picks on a CPU or GPU that runs it natively; forced here so the check holds
    on any machine): >= 99 % of 8-bit values within one level and >= 50 dB PSNR against float32, with
    the default options (camera colours) on the bundled model."""
    import zoomstudio.core.nets.inference as inference

    path, roi = (arw_path, (2600, 1600, 1040, 720)) if sample == "arw" else (dng_path, None)
    exact = _zoom(path, "fp32", roi)
    assert exact["precision"] == "float32"
    monkeypatch.setattr(inference, "native_bf16", lambda device: True)
    reduced = _zoom(path, "auto", roi)
    assert reduced["precision"] == "bfloat16"
    a, b = exact["image"], reduced["image"]
    within_one_level = float(np.mean(np.abs(a * 255 - b * 255) <= 1.0))
    psnr = 10 * np.log10(1.0 / float(np.mean((a.astype(np.float64) - b) ** 2)))
    assert within_one_level >= 0.99 and psnr >= 50.0, (within_one_level, psnr)


def test_quantize_equals_the_whole_array_expression():
    rng = np.random.default_rng(2)
    x = rng.uniform(-0.2, 1.2, (301, 211, 3)).astype(np.float32)  # more than one slice, out of range
    x[0, 0] = [np.nan, np.inf, -np.inf]
    for dtype, top in ((np.uint16, 65535), (np.uint8, 255)):
        ref = np.rint(np.clip(np.nan_to_num(x), 0, 1) * top).astype(dtype)
        out = quantize(x, dtype)
        assert out.dtype == dtype and out.shape == x.shape
        np.testing.assert_array_equal(out, ref)
    assert list(quantize(x)[0, 0]) == [0, 65535, 0]
