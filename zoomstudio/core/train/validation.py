"""Validation during training: metrics on the held-out pairs and a preview of the first one."""

from __future__ import annotations

import numpy as np
import torch


def to_uint8_hwc(t: torch.Tensor, size: int) -> np.ndarray:
    """A (3, H, W) tensor in [0, 1] -> uint8 (h, w, 3) whose long side is at most ``size``."""
    import cv2

    img = t.detach().float().clamp(0, 1).permute(1, 2, 0).cpu().numpy()
    h, w = img.shape[:2]
    scale = size / max(h, w)
    if scale < 1:
        img = cv2.resize(img, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    return np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)


def packed_preview(packed: torch.Tensor, out_hw) -> torch.Tensor:
    """A quick RGB look at a packed RAW batch (B, 4, h, w) -> (B, 3, *out_hw) in [0, 1], bicubic.

    Rendered by the colour module; patches carry no metadata, so without white
    balance or colour matrix (camera RGB shown as sRGB, as the targets are
    white-balance normalised).
    """
    from ..colour import CameraColour, render_packed

    neutral = CameraColour(np.ones(3), np.eye(3), "training preview")
    rgb = np.stack([render_packed(p, neutral) for p in packed.detach().float().cpu().numpy()])
    rgb = torch.from_numpy(rgb).permute(0, 3, 1, 2)
    return torch.nn.functional.interpolate(rgb, size=tuple(out_hw), mode="bicubic", align_corners=False).clamp(0, 1)


def input_preview(batch: torch.Tensor, out_hw) -> torch.Tensor:
    """An RGB look at a batch of network inputs (packed RAW, or a png control's JPEG) on the output grid."""
    if batch.shape[1] == 3:
        return torch.nn.functional.interpolate(batch.detach().float().cpu(), size=tuple(out_hw), mode="bicubic",
                                               align_corners=False).clamp(0, 1)
    return packed_preview(batch, out_hw)


def validate(net: torch.nn.Module, val_data, cfg, device: torch.device, amp: bool) -> tuple[dict, dict]:
    """PSNR / SSIM (and LPIPS when ``cfg.val_lpips``) of ``net`` on every validation pair, each target
    shift-aligned to the output as the loss does; and uint8 previews (input, output, target) of the first.

    Returns ``(metrics, preview)``; the network is back in training mode afterwards.
    """
    from ..losses.zoom_loss import shift_align
    from ..metrics import psnr, ssim

    net.eval()
    outs, tgts, ins = [], [], []
    with torch.no_grad():
        for i in range(len(val_data)):
            item = val_data[i]
            x = item["input"][None].to(device)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                y = net(x).float()
            t = item["target"][None].to(device)
            outs.append(y.clamp(0, 1))
            tgts.append(shift_align(y.clamp(0, 1), t, cfg.loss.max_shift))
            ins.append(x)
    out = torch.cat(outs)
    tgt = torch.cat(tgts)
    metrics = {"psnr": psnr(out, tgt), "ssim": ssim(out, tgt)}
    if cfg.val_lpips:
        try:
            from ..metrics import LPIPSMetric

            metrics["lpips"] = float(LPIPSMetric("alex").to(device)(out, tgt))
        except Exception as exc:  # LPIPS unavailable: say so, keep training
            metrics["lpips_unavailable"] = str(exc)
    net.train()
    preview = {
        "input": to_uint8_hwc(input_preview(ins[0], out.shape[2:])[0], cfg.preview_size),
        "output": to_uint8_hwc(out[0], cfg.preview_size),
        "target": to_uint8_hwc(tgt[0], cfg.preview_size),
    }
    return metrics, preview
