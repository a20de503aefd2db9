"""Summary protos for what tensorboardX has no numpy-only API for.

Scalars are batched into one ``Summary`` per event (one queue item instead of
one per metric), the Keras model JSON becomes the ``graph_keras_model`` summary
that TensorBoard's graph dashboard renders as a conceptual graph, and weights
become PNG images without needing Pillow. tensorboardX is imported inside the
functions: this module is imported only once a callback writes something.
"""

import struct
import zlib

import numpy as np


def scalars(values):
    """One ``Summary`` holding every ``{tag: float}`` of ``values`` (TF1 ``simple_value``)."""
    from tensorboardX.proto.summary_pb2 import Summary

    return Summary(value=[Summary.Value(tag=tag, simple_value=value)
                          for tag, value in values.items()])


def keras_model(model_json):
    """The summary Keras writes for ``write_graph=True``: tag ``keras``, plugin ``graph_keras_model``.

    Args:
        model_json: ``model.to_json()``.
    """
    from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboardX.proto.tensor_pb2 import TensorProto
    from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto

    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
        plugin_name="graph_keras_model", content=b"1"))
    tensor = TensorProto(dtype="DT_STRING", string_val=[model_json.encode("utf-8")],
                         tensor_shape=TensorShapeProto())
    return Summary(value=[Summary.Value(tag="keras", metadata=metadata, tensor=tensor)])


def weight_images(tag, weight):
    """Keras's ``write_images`` pictures of one weight, or ``None`` when it has no 2-D view.

    As in Keras: a bias is a 1-pixel-high strip, a dense kernel is shown wide
    (transposed when taller than wide), a 3-D kernel gives one image per
    leading channel (at most 3, TensorBoard's default ``max_outputs``). Unlike
    Keras, which clips float images to [0, 1], values are min-max scaled to
    the full grey range so that weights of any magnitude are visible.

    Args:
        tag: the base tag, ``<weight path>/image``.
        weight: the weight's values.

    Returns:
        A ``Summary`` with tag ``tag`` (``tag/0``, ``tag/1``, ... for several images).
    """
    from tensorboardX.proto.summary_pb2 import Summary

    img = np.squeeze(np.asarray(weight, dtype=np.float64))
    if img.ndim == 1:
        stack = img[None, None, :]
    elif img.ndim == 2:
        stack = (img.T if img.shape[0] > img.shape[1] else img)[None]
    elif img.ndim == 3:
        stack = np.transpose(img, (2, 0, 1))[:3]
    else:
        return None
    values = []
    for i, plane in enumerate(stack):
        name = tag if len(stack) == 1 else f"{tag}/{i}"
        height, width = plane.shape
        image = Summary.Image(height=height, width=width, colorspace=1,
                              encoded_image_string=_png_gray(_to_uint8(plane)))
        values.append(Summary.Value(tag=name, image=image))
    return Summary(value=values)


def hparams(hparam_dict, metric_dict):
    """The three hparams summaries (experiment, session start, session end) for one run.

    Written into the ``train`` run itself (not the time-stamped sub-run that
    ``SummaryWriter.add_hparams`` creates), so the hparams dashboard links the
    session to the run's ``epoch_*`` scalars.
    """
    from tensorboardX.summary import hparams as make_hparams

    return make_hparams(hparam_dict, metric_dict)


def _to_uint8(plane):
    finite = np.isfinite(plane)
    if not finite.any():
        return np.zeros(plane.shape, dtype=np.uint8)
    lo, hi = float(plane[finite].min()), float(plane[finite].max())
    scale = 255.0 / (hi - lo) if hi > lo else 0.0
    return np.clip(np.where(finite, (plane - lo) * scale, 0.0), 0, 255).astype(np.uint8)


def _png_gray(pixels):
    """Encode a 2-D uint8 array as an 8-bit greyscale PNG (filter 0 on every row)."""
    height, width = pixels.shape
    raw = b"".join(b"\x00" + row.tobytes() for row in pixels)

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))

