"""The batch zoom: a model loaded once, then every file zoomed in turn. One job for both front ends:
the command line writes each result, the app keeps it for its panes."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..events import CancelToken, Cancelled, Problem, Progress, Result


def load_zoom_model(model: str | Path | None, scale: int, device: str = "cpu"):
    """The requested model (or the bundled one for ``scale``), checked to zoom ``scale``X.

    Returns (net in eval mode on ``device``, file name). Raises ``ValueError`` with one line naming the
    file and the reason (missing, not a model, another zoom factor).
    """
    from ..nets import load_net
    from ..resources import default_model_path

    path = Path(model) if model else default_model_path(scale)
    if not path.exists():
        raise ValueError(f"{path}: no such model" + ("" if model else f" (no bundled {scale}X model; pass --model)"))
    net, _ = load_net(path, device)  # WeightsError is a ValueError naming the file
    if net.config.zoom != scale:
        raise ValueError(f"{path}: a {net.config.zoom}X model cannot zoom {scale}X")
    return net, path.name


def zoom_files(files: list[Path], net, options, *, model_name: str = "",
               cancel: CancelToken | None = None) -> Iterator[Progress | Problem | Result | Cancelled]:
    """Zoom each of ``files`` with ``net`` and ``options`` (a ZoomOptions).

    Yields ``Progress`` over the whole batch, one ``Result`` per zoomed file (``item`` = its path,
    ``values`` as :func:`~.zoom.zoom_raw`'s), a ``Problem`` per file that cannot be zoomed (the others
    still run), and ``Cancelled`` (a normal return) when ``cancel`` is set.
    """
    from ..raw import RawReadError
    from .zoom import zoom_raw

    for i, path in enumerate(files):
        if cancel is not None and cancel.cancelled:
            yield Cancelled(f"zoom cancelled after {i} of {len(files)} files")
            return
        try:
            for ev in zoom_raw(path, net, options, model_name=model_name, cancel=cancel):
                if isinstance(ev, Progress):
                    yield Progress(i * 3 + ev.done, 3 * len(files), ev.message)
                elif isinstance(ev, Cancelled):
                    yield ev
                    return
                else:
                    yield ev
        except (RawReadError, ValueError, OSError) as exc:
            yield Problem(str(path), exc.reason if isinstance(exc, RawReadError) else str(exc))
