import pytest
import torch

from zoomstudio.core.nets import LiteZoomNet, NetConfig, WeightsError, ZoomNet, build_net, load_net, read_weights_meta, save_weights


@pytest.mark.parametrize("zoom", [2, 4, 8])
def test_output_is_2_zoom_times_packed_grid(zoom):
    net = ZoomNet(NetConfig(zoom=zoom, width=8, blocks=1, up_width=8))
    y = net(torch.rand(2, 4, 6, 5))
    assert y.shape == (2, 3, 6 * 2 * zoom, 5 * 2 * zoom)


def test_rgb_variant_and_paper_size():
    net = ZoomNet(NetConfig(zoom=4, in_channels=3, width=8, blocks=1, up_width=8))
    assert net(torch.rand(1, 3, 5, 5)).shape == (1, 3, 20, 20)
    paper = ZoomNet(NetConfig(zoom=4))
    assert 4.3e6 < paper.parameter_count() < 4.5e6  # the paper says "about 4.9 M" (first block 4x4 there)
    prelus = [m for m in paper.modules() if isinstance(m, torch.nn.PReLU)]
    assert prelus and all(float(p.weight.detach().abs().max()) == 0 for p in prelus)  # start as ReLU


def test_bad_configs_and_inputs():
    with pytest.raises(ValueError, match="zoom"):
        NetConfig(zoom=3)
    with pytest.raises(ValueError, match="norm"):
        NetConfig(norm="group")
    with pytest.raises(ValueError, match=r"\(1, 3, 4, 4\)"):
        ZoomNet(NetConfig(width=8, blocks=1, up_width=8))(torch.rand(1, 3, 4, 4))
    with pytest.raises(ValueError, match="arch must be one of"):
        NetConfig(arch="nope")
    with pytest.raises(ValueError, match=r"\(2, 3, 4, 4\)"):
        build_net(NetConfig(arch="lite", width=8, blocks=1))(torch.rand(2, 3, 4, 4))


@pytest.mark.parametrize("zoom,channels", [(2, 4), (4, 4), (8, 4), (4, 3)])
def test_lite_net_shapes_and_start(zoom, channels):
    net = build_net(NetConfig(arch="lite", zoom=zoom, in_channels=channels, width=8, blocks=2, skip="isp"))
    assert isinstance(net, LiteZoomNet)
    x = torch.rand(2, channels, 6, 5)
    s = 2 * zoom if channels == 4 else zoom
    with torch.no_grad():
        y = net(x)
        base = net.base(x)
    assert y.shape == base.shape == (2, 3, 6 * s, 5 * s)
    # the output conv starts small: the untrained net is close to its base image
    assert 0 < float((y - base).abs().mean()) < 0.1 * float(base.abs().mean())
    # no convolution at the output grid: far fewer parameters than the paper's net of the same width
    assert net.parameter_count() < ZoomNet(NetConfig(zoom=zoom, in_channels=channels, width=8, blocks=2)).parameter_count()


def test_lite_net_round_trip(tmp_path):
    net = build_net(NetConfig(arch="lite", width=8, blocks=2, skip="isp")).eval()
    loaded, _ = load_net(save_weights(tmp_path / "lite.safetensors", net))
    assert isinstance(loaded, LiteZoomNet)
    x = torch.rand(1, 4, 9, 7)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), net(x))


@pytest.mark.parametrize("norm", ["none", "batch", "instance"])
def test_weights_round_trip_safetensors(tmp_path, norm):
    net = ZoomNet(NetConfig(width=8, blocks=2, up_width=8, norm=norm)).eval()
    path = save_weights(tmp_path / "m.safetensors", net, {"note": "test"})
    loaded, info = load_net(path)
    assert info == {"note": "test"}
    assert read_weights_meta(path)["net"]["norm"] == norm
    x = torch.rand(1, 4, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), net(x))
    half = save_weights(tmp_path / "h.safetensors", net, half=True)
    assert half.stat().st_size < path.stat().st_size * 0.6


def test_weights_errors(tmp_path):
    (tmp_path / "x.safetensors").write_bytes(b"\x00" * 40)
    with pytest.raises(WeightsError, match="x.safetensors"):
        load_net(tmp_path / "x.safetensors")
    from safetensors.torch import save_file

    save_file({"a": torch.zeros(1)}, str(tmp_path / "plain.safetensors"))
    with pytest.raises(WeightsError, match="no ZoomStudio network config"):
        load_net(tmp_path / "plain.safetensors")
