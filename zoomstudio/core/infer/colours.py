"""The zoom output's colours: the camera's (default), LibRaw's, or the network's own.

The network renders colour the way the camera of its training data did. For
any other camera that is wrong, so by default its colours are replaced, keeping
its detail (design.md section 7, approaches (b) and (c)):

1. ``libraw``: a global :class:`ColourLook` fitted from the output, averaged
   down to the packed grid, onto the colour module's rendering of the same
   input (the file's white balance and colour matrix, sRGB curve) is applied
   to the full-resolution output; then what a global transform cannot undo (a
   per-hue error of the network: a blue the network renders too saturated) is
   taken out locally: the difference between that rendering and the output,
   both at the packed grid, low-passed (Gaussian, :data:`LOCAL_SIGMA` packed
   pixels) and upsampled, is added. Only the colour's low frequencies move;
   the network's detail above them is kept (design.md section 7, approach (b));
2. ``camera``: then the camera's own look, fitted on the whole frame from
   that rendering to the camera's JPEG (sibling or embedded), is applied. A
   file with no usable JPEG stays at ``libraw`` and says so;
3. ``model``: the network's output as it is (the paper's SR-RAW models render
   their Sony camera's look).

The bicubic baseline gets the same colour treatment, so a comparison measures
detail, not colour.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..colour import ColourLook, apply_looks, bicubic_camera_rgb, colour_of, fit_look, render_camera_rgb, render_packed
from ..colour.camera_look import fit_camera_look

log = logging.getLogger(__name__)

COLOUR_MODES = ("camera", "libraw", "model")
#: Low-pass (Gaussian sigma, packed pixels: 32 output pixels at 4X) of the local colour correction.
#: Smaller follows the rendering closer but lets its noise back in as blotches; on the Canon's
#: ColorChecker 2 / 4 / 6 give patch means 0.17 / 0.2 / 0.25 CIEDE2000 (2.68 without; benchmarks/README.md).
LOCAL_SIGMA = 4.0


@dataclass(frozen=True)
class Coloured:
    """``image`` (H, W, 3) float32 sRGB in [0, 1]; ``bicubic`` the same size or ``None``;
    ``mode`` the colours actually given; ``note`` why they differ from those asked for (or "")."""

    image: np.ndarray
    bicubic: np.ndarray | None
    mode: str
    note: str


def _soft(rgb: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.GaussianBlur(rgb, (0, 0), 1.0)


def colour_output(output: np.ndarray, packed_roi: np.ndarray, raw, mode: str = "camera", *,
                  with_bicubic: bool = False) -> Coloured:
    """Give a zoom ``output`` (H, W, 3), the network's rendering of ``packed_roi`` (4, h, w) at
    ``H / h`` times the packed grid, the colours ``mode`` asks for.

    A contiguous, writable float32 ``output`` is overwritten with the result (an 18 MP image is not
    copied); ``raw`` is the file's ``RawImage`` (its metadata gives the colorimetry,
    its whole frame the camera look).
    """
    import cv2

    if mode not in COLOUR_MODES:
        raise ValueError(f"colour must be one of {', '.join(COLOUR_MODES)}, got {mode!r}")
    h, w = packed_roi.shape[1:]
    if output.ndim != 3 or output.shape[2] != 3 or output.shape[0] % h or output.shape[1] % w:
        raise ValueError(f"output {output.shape} is not a multiple of the packed region {packed_roi.shape}")
    colour = colour_of(raw.meta)
    rendering = render_packed(packed_roi, colour)
    down = cv2.resize(output, (w, h), interpolation=cv2.INTER_AREA)  # exact block means
    up = None
    if with_bicubic:
        from ..raw.pack import channel_offsets

        cam = bicubic_camera_rgb(packed_roi, channel_offsets(raw.meta.cfa_pattern), output.shape[0] // h)
        up = render_camera_rgb(cam, colour)
    if mode == "model":
        bicubic = None
        if up is not None:
            try:
                bicubic = fit_look(_soft(rendering), _soft(down)).apply(up)
            except ValueError:
                bicubic = up
        return Coloured(output, bicubic, "model", "")
    try:
        to_libraw = fit_look(_soft(down), _soft(rendering))
    except ValueError as exc:
        return Coloured(output, up, "model", f"kept the model's colours: {exc}")
    camera_look, note = camera_look_of(raw) if mode == "camera" else (None, "")
    # in place when the caller's array allows it (an 18 MP image is not copied)
    in_place = output.dtype == np.float32 and output.flags.c_contiguous and output.flags.writeable
    image = apply_looks(output, [to_libraw], output if in_place else None)
    _match_locally(image, rendering)
    if camera_look is None:
        np.clip(image, 0.0, 1.0, out=image)
        return Coloured(image, up, "libraw", note)
    return Coloured(camera_look.apply(image, image), None if up is None else camera_look.apply(up), "camera", "")


def _match_locally(image: np.ndarray, rendering: np.ndarray, sigma: float = LOCAL_SIGMA) -> None:
    """Add to ``image`` (H, W, 3) the low frequencies by which it differs from ``rendering`` (h, w, 3), an
    image of the same scene at an integer fraction of its size (in place; values may leave [0, 1])."""
    import cv2

    h, w = rendering.shape[:2]
    difference = rendering - cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)  # exact block means
    correction = cv2.resize(cv2.GaussianBlur(difference, (0, 0), sigma), (image.shape[1], image.shape[0]),
                            interpolation=cv2.INTER_LINEAR)
    image += correction


def camera_look_of(raw) -> tuple[ColourLook | None, str]:
    """The camera look of a ``RawImage`` (from its sibling or embedded JPEG), or ``None`` and why not."""
    from ..raw.preview import camera_rendering

    path = Path(raw.meta.path)
    rendering = camera_rendering(raw)
    if rendering is None:
        return None, "LibRaw's colours: no camera JPEG in the file or beside it"
    try:
        fitted = fit_camera_look(raw.packed(), colour_of(raw.meta), rendering.image, raw.meta.colour_crop)
    except ValueError as exc:
        log.warning("%s: %s", path, exc)
        return None, f"LibRaw's colours: {rendering.source} unusable ({exc})"
    log.info("%s: camera look from the %s (correlation %.3f, residual %.4f)", path.name, rendering.source,
             fitted.correlation, fitted.residual)
    return fitted.look, ""


def camera_view(raw, roi: tuple[int, int, int, int], out_hw: tuple[int, int] | None = None) -> tuple[np.ndarray, str]:
    """The camera's own rendering of sensor region ``roi`` (x, y, w, h) of a ``RawImage``, at ``out_hw``
    (default: the region's sensor size): its JPEG (sibling or embedded) placed by crop and scale, else
    LibRaw's rendering. Returns ``(image float32 (h, w, 3) sRGB, source)``; what zoom output colours are
    judged against."""
    import cv2

    from ..colour.camera_look import rendering_region
    from ..raw.preview import camera_rendering, libraw_rendering

    x, y, w, h = roi
    out_hw = out_hw or (h, w)
    rendering = camera_rendering(raw)
    if rendering is not None:
        return rendering_region(rendering.image, raw.mosaic.shape, roi, out_hw, raw.meta.colour_crop), rendering.source
    region = libraw_rendering(raw.meta.path)[y : y + h, x : x + w]
    if region.shape[:2] != tuple(out_hw):
        region = cv2.resize(region, (out_hw[1], out_hw[0]), interpolation=cv2.INTER_AREA)
    return region, "LibRaw's rendering"
