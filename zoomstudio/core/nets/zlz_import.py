"""Import the authors' released TF1 checkpoint (design.md section 8) into a :class:`~.zlz.ZlzNet`.

Reading the checkpoint uses TensorFlow's own reader (``tf.train.load_checkpoint``; ``pip install
zoomstudio[tf]``): the tensor-bundle format (an SSTable index of protobuf entries) is TensorFlow's
internal format, and its reader is the one that is exact for every variant of it. Nothing of the
checkpoint's graph (``.meta``) is executed. Layouts: conv [kh, kw, in, out] -> [out, in, kh, kw];
transposed conv [kh, kw, out, in] -> [in, out, kh, kw]; no spatial flip.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .config import NetConfig
from .zlz import ZlzNet

#: the variable scope every generator variable sits under (any outer scopes before it are accepted)
SCOPE = "generator_unit/"
#: the released 4X model's network
RELEASED = NetConfig(arch="zlz", zoom=4, in_channels=4, width=64, blocks=16, up_width=256, norm="batch",
                     batch_stats_at_inference=True, skip="none")


class ZlzImportError(ValueError):
    """A checkpoint that is not the authors' network; ``str()`` names the variable and the reason."""


def variable_map(config: NetConfig = RELEASED) -> dict[str, tuple[str, str]]:
    """TF variable name (under :data:`SCOPE`) -> (PyTorch parameter name, layout: conv, deconv or vector)."""
    m = {"input_stage/conv/Conv/weights": ("head.0.weight", "conv"),
         "input_stage/conv/Conv/biases": ("head.0.bias", "vector"),
         "input_stage/Prelu/alpha": ("head.1.weight", "vector")}
    for k in range(1, config.blocks + 1):
        s, t = f"resblock_{k}/", f"body.{k - 1}."
        m.update({s + "conv_1/Conv/weights": (t + "conv_1.weight", "conv"),
                  s + "BatchNorm/beta": (t + "bn_1.beta", "vector"),
                  s + "Prelu/alpha": (t + "act.weight", "vector"),
                  s + "conv_2/Conv/weights": (t + "conv_2.weight", "conv"),
                  s + "BatchNorm_1/beta": (t + "bn_2.beta", "vector")})
    m.update({"resblock_output/conv/Conv/weights": ("body_tail.0.weight", "conv"),
              "resblock_output/BatchNorm/beta": ("body_tail.1.beta", "vector")})
    stages = int(round(np.log2(config.upscale)))
    for s_idx in range(stages):
        s = f"deconv_stage{s_idx + 1}/"
        m.update({s + "conv/Conv/weights": (f"upsample.{3 * s_idx}.weight", "conv"),
                  s + "conv/Conv/biases": (f"upsample.{3 * s_idx}.bias", "vector"),
                  s + "deconv/Conv2d_transpose/weights": (f"upsample.{3 * s_idx + 1}.weight", "deconv"),
                  s + "deconv/Conv2d_transpose/biases": (f"upsample.{3 * s_idx + 1}.bias", "vector"),
                  s + "Prelu/alpha": (f"upsample.{3 * s_idx + 2}.weight", "vector")})
    m.update({"deconv_output_stage/conv/Conv/weights": ("tail.weight", "conv"),
              "deconv_output_stage/conv/Conv/biases": ("tail.bias", "vector")})
    return m


def _to_torch(value: np.ndarray, layout: str) -> torch.Tensor:
    if layout == "conv":  # [kh, kw, in, out] -> [out, in, kh, kw]
        value = value.transpose(3, 2, 0, 1)
    elif layout == "deconv":  # [kh, kw, out, in] -> [in, out, kh, kw]
        value = value.transpose(3, 2, 0, 1)
    return torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32))


def _reader(model_dir: Path):
    import os

    from ..native_output import quiet_stderr

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        with quiet_stderr():  # TensorFlow's native start-up chatter is not for the user
            import tensorflow as tf
    except ImportError:
        raise ZlzImportError("reading a TensorFlow checkpoint needs TensorFlow: pip install 'zoomstudio[tf]' "
                             "(or pip install tensorflow-cpu)") from None
    path = model_dir
    if model_dir.is_dir():
        latest = tf.train.latest_checkpoint(str(model_dir))
        if latest is None:
            found = sorted(model_dir.glob("*.index"))
            if not found:
                raise ZlzImportError(f"{model_dir}: no TensorFlow checkpoint (no 'checkpoint' file, no *.index)")
            latest = str(found[0].with_suffix(""))
        path = Path(latest)
    try:
        with quiet_stderr():
            return tf.train.load_checkpoint(str(path)), path
    except Exception as exc:  # NotFoundError, DataLossError, ...: one line
        raise ZlzImportError(f"{path}: not a readable TensorFlow checkpoint ({' '.join(str(exc).split())[:200]})"
                             ) from None


def import_zlz(model_dir: str | Path, config: NetConfig = RELEASED) -> tuple[ZlzNet, dict]:
    """Build a :class:`ZlzNet` holding the checkpoint's weights; returns (net in eval mode, info).

    Raises :class:`ZlzImportError` naming the first missing or mismatched variable.
    """
    model_dir = Path(model_dir)
    if not model_dir.exists():
        raise ZlzImportError(f"{model_dir}: no such folder or checkpoint")
    reader, path = _reader(model_dir)
    shapes = reader.get_variable_to_shape_map()
    prefix = {name[: name.index(SCOPE) + len(SCOPE)] for name in shapes if SCOPE in name}
    if not prefix:
        raise ZlzImportError(f"{path}: not the authors' zoom network (no variables under '{SCOPE}')")
    if len(prefix) > 1:
        raise ZlzImportError(f"{path}: several generators in one checkpoint ({', '.join(sorted(prefix))})")
    prefix = prefix.pop()
    net = ZlzNet(config)
    params = dict(net.named_parameters())
    state = {}
    for tf_name, (pt_name, layout) in variable_map(config).items():
        full = prefix + tf_name
        if full not in shapes:
            raise ZlzImportError(f"{path}: variable {full} is missing (an incomplete checkpoint, or another "
                                 "network)")
        value = _to_torch(np.asarray(reader.get_tensor(full)), layout)
        want = tuple(params[pt_name].shape)
        if tuple(value.shape) != want:
            raise ZlzImportError(f"{path}: variable {full} has shape {list(shapes[full])}, the authors' "
                                 f"network needs {list(want)} (as PyTorch {pt_name})")
        state[pt_name] = value
    net.load_state_dict(state, strict=True)
    extra = sorted(n for n in shapes if n.startswith(prefix) and n[len(prefix):] not in variable_map(config)
                   and not any(k in n for k in ("moving_mean", "moving_variance", "Adam", "global_step")))
    info = {"source": str(path), "imported": "Zoom to Learn, Learn to Zoom (Zhang et al., CVPR 2019), "
                                             "released TF1 checkpoint",
            "unused_variables": extra[:20]}
    return net.eval(), info
