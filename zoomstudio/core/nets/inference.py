"""Exact algebraic rewrites of a zoom network for inference (issue 12), and the precision it runs in.

What a CPU (or GPU) runs slowly in the paper's decoder, and the equal computation it runs fast:

- a stride-``s`` transposed conv is ``s * s`` small convs, one per output phase, that share their input:
  one conv to ``s * s * C`` channels and a pixel shuffle (sub-pixel decomposition). No zero-stuffed
  input, one dense GEMM instead of a scatter;
- the last stage's PReLU and the 9x9 conv to 3 channels at the full grid become a PReLU and a 5x5 conv
  to ``3 * s * s`` channels on the half grid, then one pixel shuffle: a 3-channel output conv uses
  the vector units badly, a 12-channel one well (1.2x the multiply-adds, several times faster);
- all weights and activations channels-last (NHWC), the layout oneDNN's convolutions run natively;
- the last stage (conv, sub-pixel conv, PReLU, output conv: all on one grid) runs in bands of rows
  (:class:`RowBands`) whose maps stay in the caches instead of travelling to DRAM once per layer.

Each rewrite is the same linear map up to float rounding (tests: random weights, odd sizes, tiled and
untiled, every zoom). :func:`for_inference` returns a rewritten copy; the original is untouched, so a
trained model's weights and checkpoints never change form.
"""

from __future__ import annotations

import copy
import logging
from contextlib import nullcontext

import torch
import torch.nn.functional as F
from torch import nn

from .config import PRECISIONS

log = logging.getLogger(__name__)


def _phase_taps(kernel: int, stride: int, padding: int,
                transposed: bool) -> dict[tuple[int, int], list[tuple[int, int]]]:
    """Per axis: ``{(out_phase, in_phase): [(offset, tap), ...]}`` of a conv seen on a phase grid.

    ``transposed``: a stride-``stride`` transposed conv (input on the coarse grid, one phase) whose
    output ``o = stride*m + r`` sums input ``m + offset`` times tap ``t``. Otherwise a stride-1 conv on
    the fine grid (``stride`` phases in and out) whose output ``o`` reads input ``o + t - padding``.
    """
    taps: dict[tuple[int, int], list] = {}
    for r in range(stride):
        for t in range(kernel):
            if transposed:
                if (r + padding - t) % stride:
                    continue
                key, offset = (r, 0), (r + padding - t) // stride
            else:
                v = r + t - padding
                key, offset = (r, v % stride), v // stride
            taps.setdefault(key, []).append((offset, t))
    return taps


def _phase_weight(weight: torch.Tensor, taps: dict, stride: int, phases_in: int) -> tuple[torch.Tensor, int, int]:
    """Scatter a (O, I, K, K) kernel into the (O*s*s, I*p*p, K', K') kernel of the phase-grid conv.

    Channel order is the pixel shuffle's: channel ``c * s * s + ry * s + rx`` is phase (ry, rx) of
    channel c. Returns the kernel and the padding before / after on each axis.
    """
    offsets = [o for pairs in taps.values() for o, _ in pairs]
    lo, hi = min(offsets), max(offsets)
    o_ch, i_ch = weight.shape[:2]
    s, p = stride, phases_in
    out = weight.new_zeros((o_ch, s, s, i_ch, p, p, hi - lo + 1, hi - lo + 1))
    for (ry, py), ys in taps.items():
        for (rx, px), xs in taps.items():
            for oy, ty in ys:
                for ox, tx in xs:
                    out[:, ry, rx, :, py, px, oy - lo, ox - lo] += weight[:, :, ty, tx]
    return out.reshape(o_ch * s * s, i_ch * p * p, hi - lo + 1, hi - lo + 1), -lo, hi


class PhaseConv(nn.Module):
    """A conv with possibly asymmetric zero padding (``before``, ``after`` on both axes)."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None, before: int, after: int) -> None:
        super().__init__()
        symmetric = before == after  # then the conv pads itself; otherwise forward pads first
        self.conv = nn.Conv2d(weight.shape[1], weight.shape[0], weight.shape[2], bias=bias is not None,
                              padding=before if symmetric else 0)
        with torch.no_grad():
            self.conv.weight.copy_(weight)
            if bias is not None:
                self.conv.bias.copy_(bias)
        self.pad = None if symmetric else (before, after, before, after)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x if self.pad is None else F.pad(x, self.pad))


def _conv_geometry(module: nn.Module) -> tuple[nn.Conv2d, int, int] | None:
    """``(conv, before, after)`` of a stride-1 zero-padded conv (an ``nn.Conv2d`` or a :class:`PhaseConv`)
    with the same padding on both axes, or None."""
    conv = module.conv if isinstance(module, PhaseConv) else module
    if not isinstance(conv, nn.Conv2d) or isinstance(conv.padding, str) or conv.padding[0] != conv.padding[1] \
            or conv.stride != (1, 1) or conv.dilation != (1, 1) or conv.groups != 1 or conv.padding_mode != "zeros":
        return None
    pad = getattr(module, "pad", None)  # a PhaseConv's asymmetric padding, else the conv's own
    before, after = pad[2:] if pad is not None else (conv.padding[0],) * 2
    return conv, before, after


#: Float32-sized bytes of a row band's widest activation in :class:`RowBands`: small enough to stay in
#: the CPU's caches (paper-family last stage, bf16: a whole 256x256 map 125 ms, 64-row bands 85 ms; whole
#: network on a 216x324 packed region: 64 px decoder tiles 2.7 s, 139 px tiles in 16 MB bands 2.2 s).
BAND_BYTES = 16 * 2**20

#: Modules computed pixel by pixel, which a row band passes through unchanged.
POINTWISE = (nn.PReLU, nn.ReLU, nn.LeakyReLU, nn.Identity)


class RowBands(nn.Module):
    """Stride-1 convs and pointwise activations on one grid, run a band of rows at a time.

    The same arithmetic as running ``layers`` one after another on the whole (B, C, H, W) map: each band
    reads the rows of context its convs reach, and zero padding is added only at the map's own top and
    bottom. What changes is memory traffic: a band's intermediate maps stay in the CPU's caches instead
    of going to DRAM (and being freshly allocated) once per layer. ``band_bytes=None`` runs the whole
    map at once (a GPU: no caches to fit, and one large launch per layer is what it runs best).
    """

    def __init__(self, layers: list[nn.Module], band_bytes: int | None = BAND_BYTES) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.band_bytes = band_bytes
        self.geometry = [_conv_geometry(m) for m in layers]
        if any(g is None and not isinstance(m, POINTWISE) for g, m in zip(self.geometry, layers)):
            raise ValueError("RowBands takes stride-1 zero-padded convs and pointwise activations only")
        self.reach_up = sum(g[1] for g in self.geometry if g is not None)
        self.reach_down = sum(g[2] for g in self.geometry if g is not None)
        self.widest = max(max(g[0].in_channels, g[0].out_channels) for g in self.geometry if g is not None)

    def _run(self, x: torch.Tensor, start: int, end: int, height: int) -> tuple[torch.Tensor, int]:
        """Rows ``start:end`` of the input map (of ``height`` rows) -> the output rows they determine,
        and the first one's index."""
        for layer, geometry in zip(self.layers, self.geometry):
            if geometry is None:
                x = layer(x)
                continue
            conv, before, after = geometry
            x = F.conv2d(F.pad(x, (before, after, before if start == 0 else 0, after if end == height else 0)),
                         conv.weight, conv.bias)
            start, end = (start if start == 0 else start + before), (end if end == height else end - after)
        return x, start

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        rows = height if self.band_bytes is None else max(1, self.band_bytes // (width * self.widest * 4))
        if height <= rows + self.reach_up + self.reach_down:
            return self._run(x, 0, height, height)[0]
        bands = []
        for r0 in range(0, height, rows):
            r1 = min(height, r0 + rows)
            start, end = max(0, r0 - self.reach_up), min(height, r1 + self.reach_down)
            y, first = self._run(x[:, :, start:end], start, end, height)
            bands.append(y[:, :, r0 - first : r1 - first])
        return torch.cat(bands, 2)


def _transposed_geometry(module: nn.Module) -> tuple[int, int, int] | None:
    """(kernel, stride, padding) of a transposed conv whose output is exactly ``stride`` x its input
    (the first ``stride * h`` rows and columns of PyTorch's output), or None if it is not one we rewrite."""
    from .zlz import SameConvTranspose3

    if not isinstance(module, nn.ConvTranspose2d) or module.groups != 1 or module.dilation != (1, 1):
        return None
    (k, k2), (s, s2), (p, p2), (op, op2) = module.kernel_size, module.stride, module.padding, module.output_padding
    if k != k2 or s != s2 or p != p2 or op != op2 or s < 2:
        return None
    if isinstance(module, SameConvTranspose3) or type(module) is nn.ConvTranspose2d and k - s - 2 * p + op == 0:
        return k, s, p
    return None


def subpixel(module: nn.Module) -> nn.Module | None:
    """The sub-pixel form of a stride-s transposed conv: conv to ``s*s*C`` channels + pixel shuffle."""
    geometry = _transposed_geometry(module)
    if geometry is None:
        return None
    k, s, p = geometry
    weight = module.weight.detach().transpose(0, 1)  # (I, O, K, K) -> (O, I, K, K), taps not flipped
    phase_weight, before, after = _phase_weight(weight, _phase_taps(k, s, p, transposed=True), s, 1)
    bias = None if module.bias is None else module.bias.detach().repeat_interleave(s * s)
    return nn.Sequential(PhaseConv(phase_weight, bias, before, after), nn.PixelShuffle(s))


def _phase_prelu(act: nn.PReLU, s: int) -> nn.PReLU:
    out = nn.PReLU(act.weight.numel() * s * s)
    with torch.no_grad():
        out.weight.copy_(act.weight.detach().repeat_interleave(s * s))
    return out


def _rewrite_decoder(net: nn.Module, band_bytes: int | None) -> int:
    """Rewrite ``net.upsample`` / ``net.tail`` (the paper family's decoder) in place, its last stage in
    :class:`RowBands` of ``band_bytes``; returns the number of transposed convs rewritten."""
    stages = list(net.upsample)
    rewritten, out = 0, []
    for i, module in enumerate(stages):
        fast = subpixel(module)
        if fast is None:
            out.append(module)
            continue
        rewritten += 1
        last = i == len(stages) - 2 and isinstance(stages[-1], nn.PReLU)
        tail = net.tail
        if last and isinstance(tail, nn.Conv2d) and tail.stride == (1, 1) and tail.dilation == (1, 1) \
                and tail.groups == 1 and tail.kernel_size[0] == tail.kernel_size[1] \
                and tail.padding[0] == tail.padding[1] == tail.kernel_size[0] // 2:
            # stay on the coarse grid: PReLU per phase, the tail conv as a phase conv, one shuffle
            s = fast[1].upscale_factor
            weight, before, after = _phase_weight(
                tail.weight.detach(), _phase_taps(tail.kernel_size[0], s, tail.padding[0], transposed=False), s, s)
            bias = None if tail.bias is None else tail.bias.detach().repeat_interleave(s * s)
            out += [fast[0], _phase_prelu(stages[-1], s)]
            # everything from the last grid change on runs on one grid: in row bands, in the caches
            first = len(out)
            while first > 0 and (isinstance(out[first - 1], POINTWISE) or _conv_geometry(out[first - 1])):
                first -= 1
            net.upsample = nn.Sequential(*out[:first])
            net.tail = nn.Sequential(RowBands(out[first:] + [PhaseConv(weight, bias, before, after)], band_bytes),
                                     nn.PixelShuffle(s))
            return rewritten
        out.append(fast)
    net.upsample = nn.Sequential(*out)
    return rewritten


def for_inference(net: nn.Module, device: torch.device | str = "cpu") -> nn.Module:
    """A copy of ``net`` for inference on ``device``: the decoder's exact rewrites, channels-last, eval
    mode, no gradients. Same inputs, same outputs (up to float rounding), same tiling properties."""
    fast = copy.deepcopy(net).eval()
    if hasattr(fast, "upsample") and hasattr(fast, "tail"):
        # row bands fit CPU caches; elsewhere (a GPU) the last stage runs whole
        n = _rewrite_decoder(fast, BAND_BYTES if torch.device(device).type == "cpu" else None)
        log.debug("rewrote %d transposed convs as sub-pixel convs", n)
    for p in fast.parameters():
        p.requires_grad_(False)
    fast = fast.to(device=torch.device(device), memory_format=torch.channels_last)
    fast.inference_device = str(torch.device(device))
    return fast


def prepared(net: nn.Module, device: torch.device | str = "cpu") -> nn.Module:
    """``net`` itself if it is already :func:`for_inference`'s copy for ``device``, else that copy."""
    if getattr(net, "inference_device", None) == str(torch.device(device)):
        return net
    return for_inference(net, device)


def native_bf16(device: torch.device | str) -> bool:
    """Whether ``device`` runs bfloat16 convolutions natively (CPU: AVX512-BF16 or AMX; CUDA: sm 80+)."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device.type != "cpu":
        return False
    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()
                    and (torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()))
    except (AttributeError, RuntimeError):  # an older torch without these probes: stay exact
        return False


def inference_dtype(precision: str, device: torch.device | str) -> torch.dtype:
    """The dtype a zoom runs in: ``fp32`` always float32; ``auto`` bfloat16 where the device runs it
    natively (checked visually lossless on the real samples: >= 99 % of 8-bit values within one level
    and >= 50 dB PSNR against float32, tests/test_infer_speed.py), else float32."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    return torch.bfloat16 if precision == "auto" and native_bf16(device) else torch.float32


def autocast(dtype: torch.dtype, device: torch.device | str):
    """The context that runs convolutions in ``dtype`` (a no-op for float32)."""
    if dtype == torch.float32:
        return nullcontext()
    return torch.autocast(torch.device(device).type, dtype=dtype)
