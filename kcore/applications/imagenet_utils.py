"""``kcore.applications.imagenet_utils``: ImageNet input preprocessing, decoding of
predictions, and the argument checks every application shares.

kcore never downloads at import or build time. Files that Keras downloads on first use (the
ImageNet weights and the class index) are looked up in ``$KCORE_HOME/models`` and in Keras's
own cache ``~/.keras/models``; when neither has them, the error names the file, the URL to
fetch it from, and where to put it (or, for weights, to pass its path as ``weights=``).
"""

import json
import os
import warnings
from pathlib import Path

import numpy as np

from kcore import activations, layers, ops
from kcore.backend.config import floatx, image_data_format
from kcore.layers.input_layer import Input, KerasTensor
from kcore.models.functional import Functional

__all__ = ["preprocess_input", "decode_predictions"]

CLASS_INDEX_URL = ("https://storage.googleapis.com/download.tensorflow.org/data/"
                   "imagenet_class_index.json")
CLASS_INDEX_FILE = "imagenet_class_index.json"
_CAFFE_MEAN = (103.939, 116.779, 123.68)  # BGR
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)
_class_index = None


def model_dirs():
    """Where downloaded model files are looked for: kcore's cache, then Keras's."""
    kcore_home = Path(os.environ.get("KCORE_HOME") or "~/.kcore").expanduser()
    keras_home = Path(os.environ.get("KERAS_HOME") or "~/.keras").expanduser()
    return [kcore_home / "models", keras_home / "models"]


def _find_cached(fname):
    for folder in model_dirs():
        if (folder / fname).is_file():
            return folder / fname
    return None


def preprocess_input(x, data_format=None, mode="caffe"):
    """Preprocesses a batch of images (a numpy array or a tensor) for an ImageNet model.

    Args:
        x: images, 3D or 4D with 3 colour channels, values in [0, 255]. A floating point
            numpy array is preprocessed in place (and returned), as Keras does; pass a copy
            to keep the original. Other numpy dtypes are converted to ``floatx()`` first.
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``kcore.backend.image_data_format()``.
        mode: ``"caffe"`` (RGB to BGR, then subtract the ImageNet mean of each channel),
            ``"tf"`` (scale to [-1, 1]) or ``"torch"`` (scale to [0, 1], then normalise each
            channel with the ImageNet mean and standard deviation).

    Returns:
        The preprocessed images.

    Raises:
        ValueError: for an unknown ``mode`` or ``data_format``.

    Example:
        >>> x = np.full((1, 2, 2, 3), 255.0, dtype="float32")
        >>> preprocess_input(x, mode="tf")[0, 0, 0]
        array([1., 1., 1.], dtype=float32)
    """
    if mode not in ("caffe", "tf", "torch"):
        raise ValueError("Expected mode to be one of `caffe`, `tf` or `torch`. "
                         f"Received: mode={mode}")
    if data_format is None:
        data_format = image_data_format()
    elif data_format not in ("channels_first", "channels_last"):
        raise ValueError("Expected data_format to be one of `channels_first` or "
                         f"`channels_last`. Received: data_format={data_format}")
    if isinstance(x, np.ndarray):
        return _preprocess_numpy(x, data_format, mode)
    return _preprocess_tensor(x, data_format, mode)


def _channel_index(x, data_format, channel):
    if data_format == "channels_last":
        return (Ellipsis, channel)
    return (channel,) if x.ndim == 3 else (slice(None), channel)


def _preprocess_numpy(x, data_format, mode):
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(floatx())
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    if mode == "torch":
        x /= 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        axis = -1 if data_format == "channels_last" else (0 if x.ndim == 3 else 1)
        x = np.flip(x, axis=axis)
        mean, std = _CAFFE_MEAN, None
    for c in range(3):
        idx = _channel_index(x, data_format, c)
        x[idx] -= mean[c]
        if std is not None:
            x[idx] /= std[c]
    return x


def _preprocess_tensor(x, data_format, mode):
    if not isinstance(x, KerasTensor):
        x = ops.convert_to_tensor(x)
    ndim = len(x.shape)
    if mode == "tf":
        return x / 127.5 - 1.0
    channel_axis = ndim - 1 if data_format == "channels_last" else (0 if ndim == 3 else 1)
    stats_shape = [1] * ndim
    stats_shape[channel_axis] = 3
    if mode == "torch":
        x = x / 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        reverse = [slice(None)] * ndim
        reverse[channel_axis] = slice(None, None, -1)
        x = x[tuple(reverse)]  # RGB -> BGR
        mean, std = _CAFFE_MEAN, None
    x = x - np.reshape(np.asarray(mean, dtype=x.dtype), stats_shape)
    if std is not None:
        x = x / np.reshape(np.asarray(std, dtype=x.dtype), stats_shape)
    return x


def _load_class_index():
    global _class_index
    if _class_index is None:
        path = _find_cached(CLASS_INDEX_FILE)
        if path is None:
            places = " or ".join(str(d) for d in model_dirs())
            raise FileNotFoundError(
                f"decode_predictions needs the ImageNet class index '{CLASS_INDEX_FILE}', "
                f"which kcore does not download. Download it from {CLASS_INDEX_URL} and put "
                f"it in {places}.")
        with open(path, encoding="utf-8") as f:
            _class_index = json.load(f)
    return _class_index


def decode_predictions(preds, top=5):
    """Decodes the predictions of an ImageNet model into ``(class_id, name, score)``.

    Args:
        preds: array of shape ``(samples, 1000)``.
        top: how many of the most likely classes to return per sample.

    Returns:
        One list per sample of ``(class_id, class_name, score)`` tuples, most likely first.

    Raises:
        ValueError: if ``preds`` is not of shape ``(samples, 1000)``.
        FileNotFoundError: if ``imagenet_class_index.json`` is in neither
            ``$KCORE_HOME/models`` nor ``~/.keras/models``.
    """
    preds = np.asarray(ops.convert_to_numpy(preds))
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError("`decode_predictions` expects a batch of predictions (i.e. a 2D "
                         f"array of shape (samples, 1000)). Received array with shape: "
                         f"{preds.shape}")
    index = _load_class_index()
    results = []
    for pred in preds:
        best = pred.argsort()[-top:][::-1]
        rows = [tuple(index[str(i)]) + (pred[i],) for i in best]
        rows.sort(key=lambda row: row[2], reverse=True)
        results.append(rows)
    return results


# --- what every application constructor shares -------------------------------------------

def check_weights(weights, include_top, classes):
    """Validates ``weights`` (``None``, ``"imagenet"`` or an existing file) and ``classes``."""
    if not (weights is None or weights == "imagenet" or
            (isinstance(weights, (str, os.PathLike)) and os.path.isfile(weights))):
        raise ValueError(
            "The `weights` argument should be either `None` (random initialization), "
            "'imagenet' (pre-training on ImageNet), or the path to the weights file to be "
            f"loaded (no such file was found). Received: weights={weights}")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError("If using `weights='imagenet'` with `include_top=True`, `classes` "
                         f"should be 1000.  Received classes={classes}")


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten,
                       weights=None):
    """The model's input shape: ``input_shape`` checked, or the default one."""
    channels_first = data_format == "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if channels_first else input_shape[-1]
        if channels not in (1, 3):
            warnings.warn("This model usually expects 1 or 3 input channels. However, it was "
                          f"passed an input_shape with {channels} input channels.",
                          stacklevel=3)
        channels_ = channels
    else:
        channels_ = 3
    default = ((channels_, default_size, default_size) if channels_first
               else (default_size, default_size, channels_))
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default:
            raise ValueError("When setting `include_top=True` and loading `imagenet` weights, "
                             f"`input_shape` should be {default}.  Received: "
                             f"input_shape={input_shape}")
        return default
    if input_shape:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError("`input_shape` must be a tuple of three integers. "
                             f"Received: input_shape={input_shape}")
        channels = input_shape[0] if channels_first else input_shape[-1]
        if channels != 3 and weights == "imagenet":
            raise ValueError("The input must have 3 channels; Received "
                             f"`input_shape={input_shape}`")
        spatial = input_shape[1:] if channels_first else input_shape[:2]
        if any(d is not None and d < min_size for d in spatial):
            raise ValueError(f"Input size must be at least {min_size}x{min_size}; Received: "
                             f"input_shape={input_shape}")
    elif require_flatten:
        input_shape = default
    else:
        input_shape = (3, None, None) if channels_first else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError("If `include_top` is True, you should specify a static `input_shape`. "
                         f"Received: input_shape={input_shape}")
    return input_shape


def image_input(input_shape, input_tensor):
    """The image tensor the network starts from (a new ``Input`` unless one is given)."""
    if input_tensor is None:
        return Input(shape=input_shape)
    if not isinstance(input_tensor, KerasTensor):
        raise ValueError("`input_tensor` must be a symbolic tensor, such as the output of "
                         f"`kcore.Input(shape=...)`. Received: input_tensor={input_tensor!r}")
    return input_tensor


def source_inputs(tensor):
    """The ``Input`` tensors ``tensor`` was computed from, in graph order."""
    found, seen, stack = [], set(), [tensor]
    while stack:
        t = stack.pop()
        layer, node_index, _ = t._keras_history
        node = layer._inbound_nodes[node_index]
        if node.is_input:
            if id(t) not in seen:
                seen.add(id(t))
                found.append(t)
            continue
        stack.extend(reversed(node.input_tensors))
    return found[0] if len(found) == 1 else found


def correct_pad(inputs, kernel_size):
    """Zero padding that makes a stride-2 ``valid`` convolution centre as ``same`` would."""
    axis = 2 if image_data_format() == "channels_first" else 1
    size = inputs.shape[axis:axis + 2]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    correct = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1]))


def validate_activation(classifier_activation, weights):
    """Pretrained weights allow only a ``softmax`` or linear classifier."""
    if weights is None:
        return
    if activations.get(classifier_activation) not in (activations.get("softmax"),
                                                      activations.get(None)):
        raise ValueError("Only `None` and `softmax` activations are allowed for the "
                         "`classifier_activation` argument when using pretrained weights, "
                         f"with `include_top=True`; Received: "
                         f"classifier_activation={classifier_activation}")


def dense_classifier(x, classes, classifier_activation, weights, pool_name="avg_pool"):
    """The usual top: global average pooling (named ``pool_name``), then the ``predictions``
    Dense layer, its activation checked against ``weights``."""
    x = layers.GlobalAveragePooling2D(name=pool_name)(x)
    validate_activation(classifier_activation, weights)
    return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)


def pool_features(x, pooling, named=False):
    """Without the top: global ``"avg"`` or ``"max"`` pooling, or the feature map for ``None``.

    ``named`` gives the layers the names ``avg_pool``/``max_pool``, as Keras does for some
    architectures; the others keep automatic names, as in Keras.
    """
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name="avg_pool" if named else None)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name="max_pool" if named else None)(x)
    return x


def imagenet_weights_path(fname, url, constructor):
    """The local copy of the published weights file ``fname``, or a clear error."""
    path = _find_cached(fname)
    if path is None:
        places = " or ".join(str(d) for d in model_dirs())
        raise FileNotFoundError(
            f"{constructor}(weights='imagenet') needs the pretrained weights file '{fname}', "
            f"which kcore does not download. Download it from {url}, then either pass its "
            f"path, {constructor}(weights='/path/to/{fname}', ...), or put it in {places}.")
    return path


def build_model(inputs, outputs, name, weights, input_tensor, imagenet_file=None,
                constructor=None):
    """The Functional model from ``inputs`` to ``outputs``, with ``weights`` loaded.

    ``imagenet_file`` is ``(file name, URL)`` of the published weights, used when
    ``weights="imagenet"``.
    """
    if input_tensor is not None:
        inputs = source_inputs(input_tensor)
    model = Functional(inputs, outputs, name=name)
    if weights == "imagenet":
        if imagenet_file is None:
            raise ValueError(f"{constructor} has no published ImageNet weights for these "
                             "arguments; use weights=None or the path to a weights file.")
        model.load_weights(imagenet_weights_path(*imagenet_file, constructor))
    elif weights is not None:
        model.load_weights(weights)
    return model
