"""One optimisation step: forward (bfloat16 autocast on CUDA when asked), loss, backward, clip, update."""

from __future__ import annotations

import torch


class NonFiniteLoss(ArithmeticError):
    """The loss became NaN or infinite; ``value`` is what it was. Nothing was updated."""

    def __init__(self, value: float) -> None:
        super().__init__(f"loss became {value}")
        self.value = value


def optimisation_step(model: torch.nn.Module, params, loss_fn, optimizer: torch.optim.Optimizer, scheduler,
                      batch: dict, device: torch.device, *, amp: bool = False,
                      grad_clip: float = 0.0, channels_last: bool = False) -> tuple[float, dict[str, float]]:
    """Train ``model`` on ``batch`` (``input`` (B, C, h, w), ``target`` (B, 3, H, W), float32 in [0, 1]).

    ``params``: the parameters to clip (the bare network's when ``model`` is a DDP wrapper).
    ``channels_last``: the input goes to the network in NHWC memory (a model in that layout then never
    converts). Returns ``(loss, terms)`` as floats. Raises :class:`NonFiniteLoss` before any update.
    """
    layout = torch.channels_last if channels_last else torch.preserve_format
    x = batch["input"].to(device, memory_format=layout)
    t = batch["target"].to(device)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
        y = model(x)
    loss, terms = loss_fn(y.float(), t)
    if not torch.isfinite(loss):
        raise NonFiniteLoss(loss.item())
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if grad_clip:
        torch.nn.utils.clip_grad_norm_(params, grad_clip)
    optimizer.step()
    scheduler.step()
    return loss.item(), terms
