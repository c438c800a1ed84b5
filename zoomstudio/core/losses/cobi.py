"""Contextual bilateral loss (CoBi) with bounded memory, exactly per design.md section 6.

``cobi_loss(pred, target)`` takes feature maps (B, C, H, W) and (B, C, H2, W2).
Per batch element, i runs over the N = H*W pred positions and j over the
M = H2*W2 target positions (row-major):

* ``distance="cosine"``: features centred by the target mean and L2-normalised,
  ``D_ij = 1 - <p_i, t_j>``; ``distance="l2"``: ``D_ij = mean_c (P_i - T_j)^2``.
* ``S_ij = ||c_i - c_j||`` with ``c = (row, col) / max(H, W)`` per map.
* ``spatial="additive"``: ``Dbar = D + w_s S``, ``R = Dbar / (min_k Dbar_ik + 1e-5)``,
  ``A = softmax_j((1 - R) / band_width)``; ``spatial="blend"``:
  ``A = (1 - w_s) A_feat + w_s A_sp``, each by the same relative distance + softmax.
* ``CX = (1/M) sum_j max_i A_ij``; loss = ``-log(CX)``, averaged over the batch.

The N x M matrices are never held whole: the forward pass walks row chunks
and keeps only the running column maxima (and their arg-max rows); the
backward pass recomputes each chunk and applies the analytic gradient of
softmax, relative distance and distance, so peak memory is a few
chunk x M matrices in both passes. Gradients flow through the arg-max row of
each column (the sub-gradient of max), as autograd would give.
"""

from __future__ import annotations

import torch
from torch import nn

EPS_RELATIVE = 1e-5
DISTANCES = ("cosine", "l2")
SPATIAL_MODES = ("additive", "blend")


def _grid(h: int, w: int, device, dtype) -> torch.Tensor:
    """(h*w, 2) coordinates (row, col) / max(h, w), row-major."""
    rows = torch.arange(h, device=device, dtype=dtype)
    cols = torch.arange(w, device=device, dtype=dtype)
    rr, cc = torch.meshgrid(rows, cols, indexing="ij")
    return torch.stack([rr.reshape(-1), cc.reshape(-1)], dim=1) / max(h, w)


def _spatial(ci: torch.Tensor, cj: torch.Tensor, grid: tuple[torch.Tensor, torch.Tensor] | None) -> torch.Tensor:
    """Euclidean distances between coordinate sets (n, 2) x (m, 2) -> (n, m).

    When the target positions are a full row-major grid (``grid`` = its row
    and column coordinates), the distances come from two tiny tables and one
    broadcast add: far fewer passes over the n x m chunk.
    """
    if grid is not None:
        rows, cols = grid
        dr = (ci[:, 0:1] - rows[None, :]) ** 2  # (n, h2)
        dc = (ci[:, 1:2] - cols[None, :]) ** 2  # (n, w2)
        return (dr[:, :, None] + dc[:, None, :]).reshape(ci.shape[0], -1).sqrt_()
    d2 = (ci[:, None, 0] - cj[None, :, 0]) ** 2 + (ci[:, None, 1] - cj[None, :, 1]) ** 2
    return d2.sqrt_()


def _feature_distance_into(out: torch.Tensor, p: torch.Tensor, t: torch.Tensor, distance: str,
                           t_sq: torch.Tensor | None) -> torch.Tensor:
    """(n, C) x (m, C) -> (n, m) distances written into ``out``; cosine expects unit rows."""
    if distance == "cosine":
        return torch.addmm(torch.ones((), dtype=p.dtype, device=p.device), p, t.T, alpha=-1.0, out=out)
    torch.addmm(t_sq[None, :], p, t.T, alpha=-2.0, out=out)  # |t|^2 - 2 p.t
    out.add_((p * p).sum(1, keepdim=True))
    out.clamp_(min=0.0)  # rounding can dip below 0 where p ~ t (the true gradient there is 0 too)
    return out.div_(p.shape[1])


def _softmax_relative_(dist: torch.Tensor, band_width: float, out: torch.Tensor | None = None):
    """A = softmax_j((1 - dist / (min_j dist + eps)) / h), computed in place (or into ``out``).

    The constant 1/h drops out of the softmax, so the logits are ``-k_i dist_ij``
    with ``k_i = 1 / (h (min_i + eps))``; their maximum sits at the minimum.
    Returns (A, k (n, 1), dmin (n, 1)).
    """
    dmin = dist.amin(dim=1, keepdim=True)
    k = 1.0 / (band_width * (dmin + EPS_RELATIVE))
    a = dist if out is None else out.copy_(dist)
    a.sub_(dmin).mul_(-k).exp_()
    a.div_(a.sum(dim=1, keepdim=True))
    return a, k, dmin


class _Workspace:
    """Reusable chunk buffers: fresh large tensors cost page faults on every chunk."""

    def __init__(self, rows: int, m: int, like: torch.Tensor, count: int) -> None:
        self.bufs = [torch.empty((rows, m), dtype=like.dtype, device=like.device) for _ in range(count)]

    def get(self, i: int, rows: int) -> torch.Tensor:
        return self.bufs[i][:rows]


class _ChunkedContextual(torch.autograd.Function):
    """Column maxima of the contextual affinity A (see module docstring), chunked over rows.

    Inputs: p (N, C), t (M, C) [unit rows for cosine], ci (N, 2), cj (M, 2),
    ``grid_rows``/``grid_cols`` when cj is a full grid (else None). Output:
    (M,) ``max_i A_ij``. The forward pass keeps, per column, the maximum and
    the chunk it came from; the backward pass recomputes each owning chunk,
    finds the arg-max rows there and applies the analytic gradient.

    With ``g`` the incoming gradient placed at each column's arg-max row
    (sparse) and ``a`` the relative-distance softmax (logits ``-k_i dist_ij``):
    ``dL/ddist_ij = k_i a_ij (r_i - g_ij)``, ``r_i = sum_j a_ij g_ij``, plus, at
    the arg-min column, ``-k_i^2 h sum_j a_ij (r_i - g_ij) dist_ij`` (through
    the min). The dense part ``k_i r_i a_ij`` enters the feature gradients
    through two matrix products; no gradient matrix is formed.
    """

    @staticmethod
    def _affinity(ws, rows, p, t, ci, cj, grid, t_sq, w_spatial, band_width, distance, spatial, keep):
        """Fill the workspace for ``rows`` rows. Returns (A, a_soft, dist, k) where ``a_soft`` is the
        softmax the gradient flows through and ``dist`` its input; with ``keep=False`` only A is valid."""
        d = _feature_distance_into(ws.get(0, rows), p, t, distance, t_sq)
        s = None
        if w_spatial != 0:
            s = ws.get(1, rows)
            if grid is not None:
                gr, gc = grid
                dr = (ci[:, 0:1] - gr[None, :]) ** 2
                dc = (ci[:, 1:2] - gc[None, :]) ** 2
                torch.add(dr[:, :, None], dc[:, None, :], out=s.view(rows, gr.numel(), gc.numel())).sqrt_()
            else:
                s.copy_(_spatial(ci, cj, None))
        if spatial == "additive" or s is None:
            if s is not None:
                d.add_(s, alpha=w_spatial)
            a, k, _ = _softmax_relative_(d, band_width, ws.get(2, rows) if keep else None)
            return a, a, d, k
        a_feat, k, _ = _softmax_relative_(d, band_width, ws.get(2, rows) if keep else None)
        a_sp, _, _ = _softmax_relative_(s, band_width)
        a_all = a_sp.mul_(w_spatial).add_(a_feat, alpha=1.0 - w_spatial)
        return a_all, a_feat, d, k

    @staticmethod
    def forward(ctx, p, t, ci, cj, grid_rows, grid_cols, w_spatial, band_width, distance, spatial, chunk):
        n, m = p.shape[0], t.shape[0]
        grid = (grid_rows, grid_cols) if grid_rows is not None else None
        t_sq = (t * t).sum(1) if distance == "l2" else None
        ws = _Workspace(min(chunk, n), m, p, 2)
        colmax = torch.full((m,), -1.0, dtype=p.dtype, device=p.device)
        owner = torch.zeros((m,), dtype=torch.long, device=p.device)
        for cid, start in enumerate(range(0, n, chunk)):
            stop = min(n, start + chunk)
            a = _ChunkedContextual._affinity(ws, stop - start, p[start:stop], t, ci[start:stop], cj, grid, t_sq,
                                             w_spatial, band_width, distance, spatial, keep=False)[0]
            cmax = a.amax(dim=0)  # (an index-returning max over dim 0 is ~10x slower)
            better = cmax > colmax
            colmax = torch.where(better, cmax, colmax)
            owner = torch.where(better, torch.full_like(owner, cid), owner)
        ctx.save_for_backward(p, t, ci, cj, owner, grid_rows, grid_cols)
        ctx.params = (w_spatial, band_width, distance, spatial, chunk)
        return colmax

    @staticmethod
    def backward(ctx, grad_colmax):
        p, t, ci, cj, owner, grid_rows, grid_cols = ctx.saved_tensors
        w_spatial, band_width, distance, spatial, chunk = ctx.params
        grid = (grid_rows, grid_cols) if grid_rows is not None else None
        n, (m, c) = p.shape[0], t.shape
        t_sq = (t * t).sum(1) if distance == "l2" else None
        # In blend mode A = (1 - w) A_feat + w A_sp and only A_feat depends on the features.
        g_col = grad_colmax * ((1.0 - w_spatial) if (spatial == "blend" and w_spatial != 0) else 1.0)
        ws = _Workspace(min(chunk, n), m, p, 3)
        grad_p = torch.zeros_like(p)
        grad_t = torch.zeros_like(t)
        for cid, start in enumerate(range(0, n, chunk)):
            cols = torch.nonzero(owner == cid).squeeze(1)
            if cols.numel() == 0:
                continue  # no column takes its maximum in these rows: no gradient here
            stop = min(n, start + chunk)
            a_all, a_soft, dist, k = _ChunkedContextual._affinity(
                ws, stop - start, p[start:stop], t, ci[start:stop], cj, grid, t_sq, w_spatial, band_width,
                distance, spatial, keep=True)
            arg = a_all[:, cols].argmax(dim=0)  # local arg-max row of each owned column
            rows, r_loc = torch.unique(arg, return_inverse=True)
            a = a_soft[rows]
            dist_r = dist[rows]
            k = k[rows].squeeze(1)
            amin = dist_r.argmin(dim=1)
            pr = p[start:stop][rows]
            a_g = a[r_loc, cols] * g_col[cols]  # a_ij g_ij at the sparse entries
            r = torch.zeros_like(k).index_add_(0, r_loc, a_g)
            coef = k * r
            a_dist = torch.einsum("ij,ij->i", a, dist_r)
            sparse_dist = torch.zeros_like(k).index_add_(0, r_loc, a_g * dist_r[r_loc, cols])
            grad_min = -(k * k) * band_width * (r * a_dist - sparse_dist)
            e_rows = torch.cat([r_loc, torch.arange(rows.numel(), device=p.device)])
            e_cols = torch.cat([cols, amin])
            e_vals = torch.cat([-k[r_loc] * a_g, grad_min])
            gp = (a @ t).mul_(coef[:, None])  # dense part of G t
            gp.index_add_(0, e_rows, e_vals[:, None] * t[e_cols])
            gt = a.T @ (pr * coef[:, None])  # dense part of G^T p
            gt.index_add_(0, e_cols, e_vals[:, None] * pr[e_rows])
            idx = rows + start
            if distance == "cosine":  # D = 1 - p t^T
                grad_p.index_add_(0, idx, -gp)
                grad_t -= gt
            else:  # D = (|p|^2 + |t|^2 - 2 p t^T) / C
                s2 = 2.0 / c
                row_sum = coef * a.sum(1) + torch.zeros_like(coef).index_add_(0, e_rows, e_vals)
                grad_p.index_add_(0, idx, s2 * (row_sum[:, None] * pr - gp))
                col_sum = (a.T @ coef).index_add_(0, e_cols, e_vals)
                grad_t += s2 * (col_sum[:, None] * t - gt)
        return grad_p, grad_t, None, None, None, None, None, None, None, None, None


def _check(pred: torch.Tensor, target: torch.Tensor, distance: str, spatial: str, band_width: float) -> None:
    if pred.ndim != 4 or target.ndim != 4:
        raise ValueError(f"pred and target must be (B, C, H, W), got {tuple(pred.shape)} and {tuple(target.shape)}")
    if pred.shape[:2] != target.shape[:2]:
        raise ValueError(f"pred and target need the same batch and channels, got {tuple(pred.shape)} and "
                         f"{tuple(target.shape)}")
    if distance not in DISTANCES:
        raise ValueError(f"distance must be one of {DISTANCES}, got {distance!r}")
    if spatial not in SPATIAL_MODES:
        raise ValueError(f"spatial must be one of {SPATIAL_MODES}, got {spatial!r}")
    if band_width <= 0:
        raise ValueError(f"band_width must be positive, got {band_width}")


def _auto_chunk(n: int, m: int, memory_mb: float) -> int:
    """Rows per chunk so that ~6 chunk x M float32 matrices fit in ``memory_mb``."""
    rows = int(memory_mb * 2**20 / (6 * 4 * max(m, 1)))
    return max(1, min(n, rows))


def cobi_loss(
    pred: torch.Tensor,
    target: torch.Tensor,
    *,
    w_spatial: float = 0.1,
    band_width: float = 0.5,
    distance: str = "cosine",
    spatial: str = "additive",
    max_samples: int | None = None,
    chunk_rows: int | None = None,
    memory_mb: float = 256.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """CoBi between feature maps ``pred`` (B, C, H, W) and ``target`` (B, C, H2, W2); batch mean.

    ``max_samples=K`` uses K random positions of each map when it has more
    (the same indices when the shapes match), keeping their true
    coordinates. ``chunk_rows`` (default: from ``memory_mb``) bounds memory.
    Returns a 0-d tensor; differentiable w.r.t. both inputs.
    """
    _check(pred, target, distance, spatial, band_width)
    b, c, h, w = pred.shape
    h2, w2 = target.shape[2:]
    dtype = pred.dtype if pred.dtype in (torch.float32, torch.float64) else torch.float32
    ci_all = _grid(h, w, pred.device, dtype)
    cj_all = _grid(h2, w2, pred.device, dtype)
    cj_rows = torch.arange(h2, device=pred.device, dtype=dtype) / max(h2, w2)
    cj_cols = torch.arange(w2, device=pred.device, dtype=dtype) / max(h2, w2)
    losses = []
    for k in range(b):
        p = pred[k].reshape(c, -1).T.to(dtype)  # (N, C)
        t = target[k].reshape(c, -1).T.to(dtype)  # (M, C)
        ci, cj = ci_all, cj_all
        if max_samples is not None and (p.shape[0] > max_samples or t.shape[0] > max_samples):
            idx_p = torch.randperm(p.shape[0], generator=generator, device="cpu")[:max_samples].to(p.device)
            if (h, w) == (h2, w2):
                idx_t = idx_p
            else:
                idx_t = torch.randperm(t.shape[0], generator=generator, device="cpu")[:max_samples].to(p.device)
            p, ci = p[idx_p], ci[idx_p]
            t, cj = t[idx_t], cj[idx_t]
        # Centre both by the target mean: cosine needs it, and for l2 (shift-invariant) it
        # shrinks |p|^2 and |t|^2 so the expanded |p|^2 + |t|^2 - 2 p.t cancels less.
        mu = t.mean(dim=0, keepdim=True)
        p = p - mu
        t = t - mu
        if distance == "cosine":
            # Zero vectors stay zero instead of dividing by 0 (no NaN for zero features).
            p = p / p.norm(dim=1, keepdim=True).clamp_min(1e-12)
            t = t / t.norm(dim=1, keepdim=True).clamp_min(1e-12)
        chunk = chunk_rows or _auto_chunk(p.shape[0], t.shape[0], memory_mb)
        grid = (cj_rows, cj_cols) if cj is cj_all else (None, None)
        colmax = _ChunkedContextual.apply(p, t, ci, cj, grid[0], grid[1], float(w_spatial), float(band_width),
                                          distance, spatial, int(chunk))
        cx = colmax.mean()
        losses.append(-torch.log(cx.clamp_min(1e-30)))
    return torch.stack(losses).mean().to(pred.dtype)


def contextual_loss(pred: torch.Tensor, target: torch.Tensor, *, band_width: float = 0.5, distance: str = "cosine",
                    max_samples: int | None = None, **kwargs) -> torch.Tensor:
    """CX: the contextual loss without the spatial term (``w_spatial = 0``)."""
    return cobi_loss(pred, target, w_spatial=0.0, band_width=band_width, distance=distance,
                     max_samples=max_samples, **kwargs)


class CoBiLoss(nn.Module):
    """Module twin of :func:`cobi_loss` (same argument names)."""

    def __init__(self, *, w_spatial: float = 0.1, band_width: float = 0.5, distance: str = "cosine",
                 spatial: str = "additive", max_samples: int | None = None, memory_mb: float = 256.0) -> None:
        super().__init__()
        _check(torch.zeros(1, 1, 1, 1), torch.zeros(1, 1, 1, 1), distance, spatial, band_width)
        self.kwargs = dict(w_spatial=w_spatial, band_width=band_width, distance=distance, spatial=spatial,
                           max_samples=max_samples, memory_mb=memory_mb)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return cobi_loss(pred, target, **self.kwargs)


class ContextualLoss(nn.Module):
    """Module twin of :func:`contextual_loss`."""

    def __init__(self, *, band_width: float = 0.5, distance: str = "cosine", max_samples: int | None = None) -> None:
        super().__init__()
        self.kwargs = dict(band_width=band_width, distance=distance, max_samples=max_samples)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return contextual_loss(pred, target, **self.kwargs)
