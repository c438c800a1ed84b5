"""The batch zoom: a model loaded once, then every file zoomed in turn. One job for both front ends:
the command line writes each result, the app keeps it for its panes."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..events import CancelToken, Cancelled, Problem, Progress, Result


def load_zoom_model(model: str | Path | None, scale: int, device: str = "cpu"):
    """The requested model (or the bundled one for ``scale``), checked to zoom ``scale``X.

    Returns (the network's inference form on ``device``: :func:`~..nets.inference.for_inference`, made
    once here rather than per file; its file name). Raises ``ValueError`` with one line naming the
    file and the reason (missing, not a model, another zoom factor).
    """
    from ..nets import load_net
    from ..nets.inference import for_inference
    from ..resources import default_model_path

    path = Path(model) if model else default_model_path(scale)
    if not path.exists():
        raise ValueError(f"{path}: no such model" + ("" if model else f" (no bundled {scale}X model; pass --model)"))
    net, _ = load_net(path, device)  # WeightsError is a ValueError naming the file
    if net.config.zoom != scale:
        raise ValueError(f"{path}: a {net.config.zoom}X model cannot zoom {scale}X")
    return for_inference(net, device), path.name


class ZoomModels:
    """The last zoom model loaded, kept while its file is unchanged, so a queue run after another one
    (the app zooms each drop as it comes) does not read and build the network again.

    Used by one job at a time (the app's zoom job); ``loads`` counts real loads.
    """

    def __init__(self) -> None:
        self.loads = 0
        self._key: tuple | None = None
        self._loaded: tuple | None = None

    def get(self, model: str | Path | None, scale: int, device: str = "cpu"):
        """As :func:`load_zoom_model`, from the kept network when file, scale and device are the same."""
        from ..resources import default_model_path

        path = Path(model) if model else default_model_path(scale)
        try:
            st = path.stat()
            key = (str(path.resolve()), st.st_mtime_ns, st.st_size, scale, device)
        except OSError:
            key = None  # load_zoom_model names the problem
        if key is not None and key == self._key:
            return self._loaded
        self._key, self._loaded = None, None  # the old network is released before the new one is built
        loaded = load_zoom_model(model, scale, device)
        self.loads += 1
        self._key, self._loaded = key, loaded
        return loaded


def zoom_files(files: list[Path], net, options, *, model_name: str = "", cancel: CancelToken | None = None,
               read=None) -> Iterator[Progress | Problem | Result | Cancelled]:
    """Zoom each of ``files`` with ``net`` and ``options`` (a ZoomOptions); ``read`` as
    :func:`~.zoom.zoom_raw`'s (e.g. the app's :class:`~..raw.cache.DecodedRaws`).

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
            for ev in zoom_raw(path, net, options, model_name=model_name, cancel=cancel, read=read):
                if isinstance(ev, Progress):
                    yield Progress(i * 3 + ev.done, 3 * len(files), ev.message)
                elif isinstance(ev, Cancelled):
                    yield ev
                    return
                else:
                    yield ev
        except (RawReadError, ValueError, OSError) as exc:
            yield Problem(str(path), exc.reason if isinstance(exc, RawReadError) else str(exc))


def zoom_queue(files: list[Path], model: str | Path | None, scale: int, options, *, models: ZoomModels,
               read=None, cancel: CancelToken | None = None) -> Iterator[Progress | Problem | Result | Cancelled]:
    """The app's zoom run: the device resolved (``"auto"``: CUDA when present), the model from ``models``
    (loaded once across runs), then :func:`zoom_files`. A device or model problem is one ``Problem``
    (item: the device or the model file) and nothing is zoomed."""
    import dataclasses

    from ..device import pick_device

    try:
        options = dataclasses.replace(options, device=str(pick_device(options.device)))
    except (ValueError, RuntimeError) as exc:
        yield Problem(f"device {options.device}", str(exc))
        return
    try:
        net, model_name = models.get(model, scale, options.device)
    except (ValueError, OSError) as exc:
        yield Problem(str(model), f"cannot load the model ({exc})")
        return
    yield from zoom_files(files, net, options, model_name=model_name, cancel=cancel, read=read)
