"""CoBi against a plain full-matrix float64 implementation of design.md section 6."""

import pytest
import torch

from zoomstudio.core.losses import CoBiLoss, ContextualLoss, cobi_loss, contextual_loss


def reference_cobi(pred, target, w_spatial=0.1, band_width=0.5, distance="cosine", spatial="additive"):
    """Straight from the contract, full N x M matrices, float64, plain autograd."""
    b, c, h, w = pred.shape
    h2, w2 = target.shape[2:]

    def coords(hh, ww):
        r, q = torch.meshgrid(torch.arange(hh, dtype=torch.float64), torch.arange(ww, dtype=torch.float64),
                              indexing="ij")
        return torch.stack([r.reshape(-1), q.reshape(-1)], 1) / max(hh, ww)

    ci, cj = coords(h, w), coords(h2, w2)
    s = torch.cdist(ci, cj)

    def rel_softmax(d):
        r = d / (d.min(dim=1, keepdim=True).values + 1e-5)
        return torch.softmax((1 - r) / band_width, dim=1)

    out = []
    for k in range(b):
        p = pred[k].reshape(c, -1).T
        t = target[k].reshape(c, -1).T
        if distance == "cosine":
            mu = t.mean(0, keepdim=True)
            pn = (p - mu) / (p - mu).norm(dim=1, keepdim=True)
            tn = (t - mu) / (t - mu).norm(dim=1, keepdim=True)
            d = 1 - pn @ tn.T
        else:
            d = ((p[:, None, :] - t[None, :, :]) ** 2).mean(-1)
        if spatial == "additive":
            a = rel_softmax(d + w_spatial * s)
        else:
            a = (1 - w_spatial) * rel_softmax(d) + w_spatial * rel_softmax(s)
        cx = a.max(dim=0).values.mean()
        out.append(-torch.log(cx))
    return torch.stack(out).mean()


CASES = [
    ("cosine", "additive"),
    ("cosine", "blend"),
    ("l2", "additive"),
    ("l2", "blend"),
]


@pytest.mark.parametrize("distance,spatial", CASES)
@pytest.mark.parametrize("shapes", [((2, 5, 6, 7), (2, 5, 6, 7)), ((1, 3, 5, 4), (1, 3, 7, 6))])
def test_matches_full_matrix_reference_in_value_and_gradient(distance, spatial, shapes):
    g = torch.Generator().manual_seed(0)
    pred = torch.rand(shapes[0], generator=g, dtype=torch.float64, requires_grad=True)
    target = torch.rand(shapes[1], generator=g, dtype=torch.float64, requires_grad=True)
    ref = reference_cobi(pred, target, 0.3, 0.5, distance, spatial)
    g_ref = torch.autograd.grad(ref, [pred, target])
    for chunk in (None, 1, 5):  # chunked == unchunked
        ours = cobi_loss(pred, target, w_spatial=0.3, band_width=0.5, distance=distance, spatial=spatial,
                         chunk_rows=chunk)
        g_ours = torch.autograd.grad(ours, [pred, target])
        torch.testing.assert_close(ours, ref, rtol=1e-7, atol=1e-10)
        torch.testing.assert_close(g_ours[0], g_ref[0], rtol=1e-6, atol=1e-9)
        torch.testing.assert_close(g_ours[1], g_ref[1], rtol=1e-6, atol=1e-9)


def test_float32_matches_float64_reference():
    g = torch.Generator().manual_seed(1)
    pred = torch.rand(1, 16, 12, 12, generator=g)
    target = torch.rand(1, 16, 12, 12, generator=g)
    ours = cobi_loss(pred, target, chunk_rows=7)
    ref = reference_cobi(pred.double(), target.double())
    assert abs(float(ours) - float(ref)) < 1e-4


def test_numerically_stable_edge_cases():
    x = torch.rand(1, 8, 6, 6, requires_grad=True)
    for loss in (cobi_loss(x, x.detach().clone()), cobi_loss(x, x.detach().clone(), distance="l2")):
        loss.backward()
        assert torch.isfinite(loss) and torch.isfinite(x.grad).all()
        x.grad = None
    zero = torch.zeros(1, 8, 6, 6, requires_grad=True)
    loss = cobi_loss(zero, torch.zeros(1, 8, 6, 6))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(zero.grad).all()
    big = (torch.rand(1, 4, 5, 5) * 1e4).requires_grad_()
    loss = cobi_loss(big, torch.rand(1, 4, 5, 5) * 1e-4, distance="l2")
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(big.grad).all()


def test_identical_inputs_give_lowest_loss_and_misalignment_is_tolerated():
    g = torch.Generator().manual_seed(2)
    x = torch.rand(1, 8, 16, 16, generator=g)
    same = cobi_loss(x, x, w_spatial=0.1)
    shifted = cobi_loss(x, torch.roll(x, 1, dims=3), w_spatial=0.1)
    other = cobi_loss(x, torch.rand(1, 8, 16, 16, generator=g), w_spatial=0.1)
    assert float(same) < float(shifted) < float(other)


def test_max_samples_keeps_true_coordinates():
    """Sampling all positions (K = N) in a random order gives the same loss as no sampling."""
    g = torch.Generator().manual_seed(3)
    pred = torch.rand(1, 4, 6, 6, generator=g, dtype=torch.float64)
    target = torch.rand(1, 4, 6, 6, generator=g, dtype=torch.float64)
    full = cobi_loss(pred, target, w_spatial=0.5)
    # K = N - 0 would skip sampling; K = 35 < 36 draws a random subset with its coordinates:
    sub = cobi_loss(pred, target, w_spatial=0.5, max_samples=35, generator=torch.Generator().manual_seed(0))
    assert abs(float(sub) - float(full)) < 0.2  # same scale, not the square-reshape artefact
    # Exactly: a permutation of all positions (K >= N, forced by sampling 36 of 36 via a bigger target)
    idx = torch.randperm(36, generator=torch.Generator().manual_seed(0))[:35]
    p = pred.reshape(1, 4, 36)[..., idx]
    t = target.reshape(1, 4, 36)[..., idx]
    # Reference on the sampled sets with their true coordinates
    from zoomstudio.core.losses.cobi import _ChunkedContextual, _grid

    grid = _grid(6, 6, "cpu", torch.float64)[idx]
    mu = t[0].T.mean(0, keepdim=True)
    pn = (p[0].T - mu) / (p[0].T - mu).norm(dim=1, keepdim=True)
    tn = (t[0].T - mu) / (t[0].T - mu).norm(dim=1, keepdim=True)
    colmax = _ChunkedContextual.apply(pn, tn, grid, grid, None, None, 0.5, 0.5, "cosine", "additive", 100)
    torch.testing.assert_close(sub, -torch.log(colmax.mean()))


def test_shape_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3, 4\)"):
        cobi_loss(torch.rand(2, 3, 4), torch.rand(2, 3, 4, 4))
    with pytest.raises(ValueError, match="same batch and channels"):
        cobi_loss(torch.rand(1, 3, 4, 4), torch.rand(1, 5, 4, 4))
    with pytest.raises(ValueError, match="distance"):
        cobi_loss(torch.rand(1, 3, 4, 4), torch.rand(1, 3, 4, 4), distance="l1")


def test_module_twins_match_functions():
    g = torch.Generator().manual_seed(4)
    a, b = torch.rand(1, 3, 5, 5, generator=g), torch.rand(1, 3, 5, 5, generator=g)
    assert torch.equal(CoBiLoss(w_spatial=0.2, distance="l2")(a, b), cobi_loss(a, b, w_spatial=0.2, distance="l2"))
    assert torch.equal(ContextualLoss()(a, b), contextual_loss(a, b))
    assert torch.equal(contextual_loss(a, b), cobi_loss(a, b, w_spatial=0.0))
