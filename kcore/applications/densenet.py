"""``kcore.applications.densenet``: DenseNet121, DenseNet169 and DenseNet201 (Huang et al.,
2017), layer for layer as Keras builds them."""

from kcore import layers
from kcore.applications import imagenet_utils

__all__ = ["DenseNet121", "DenseNet169", "DenseNet201", "preprocess_input",
           "decode_predictions"]

_URL = "https://storage.googleapis.com/tensorflow/keras-applications/densenet/"
_EPS = 1.001e-5
_FILE_STEMS = {(6, 12, 24, 16): "densenet121", (6, 12, 32, 32): "densenet169",
               (6, 12, 48, 32): "densenet201"}


def _bn(name):
    return layers.BatchNormalization(axis=3, epsilon=_EPS, name=name)


def conv_block(x, growth_rate, name):
    """BN-ReLU-1x1 conv (4x growth), BN-ReLU-3x3 conv (growth), concatenated onto ``x``."""
    x1 = _bn(f"{name}_0_bn")(x)
    x1 = layers.Activation("relu", name=f"{name}_0_relu")(x1)
    x1 = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(x1)
    x1 = _bn(f"{name}_1_bn")(x1)
    x1 = layers.Activation("relu", name=f"{name}_1_relu")(x1)
    x1 = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(x1)
    return layers.Concatenate(axis=3, name=f"{name}_concat")([x, x1])


def dense_block(x, blocks, name):
    """``blocks`` conv blocks with growth rate 32."""
    for i in range(blocks):
        x = conv_block(x, 32, name=f"{name}_block{i + 1}")
    return x


def transition_block(x, reduction, name):
    """BN-ReLU, a 1x1 convolution keeping ``reduction`` of the channels, 2x2 average pool."""
    x = _bn(f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    x = layers.Conv2D(int(x.shape[3] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def DenseNet(blocks, include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name="densenet"):
    """A DenseNet with ``blocks[i]`` conv blocks in dense block i; other arguments as
    ``DenseNet121``."""
    imagenet_utils.check_weights(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, data_format="channels_last",
        require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_shape, input_tensor)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = _bn("conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for i, n in enumerate(blocks):
        x = dense_block(x, n, name=f"conv{i + 2}")
        if i < 3:
            x = transition_block(x, 0.5, name=f"pool{i + 2}")
    x = _bn("bn")(x)
    x = layers.Activation("relu", name="relu")(x)
    if include_top:
        x = imagenet_utils.dense_classifier(x, classes, classifier_activation, weights)
    else:
        x = imagenet_utils.pool_features(x, pooling, named=True)
    stem = _FILE_STEMS.get(tuple(blocks))
    imagenet_file = None
    if stem is not None:
        fname = f"{stem}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
        imagenet_file = (fname, _URL + fname)
    return imagenet_utils.build_model(img_input, x, name, weights, input_tensor, imagenet_file,
                                      "DenseNet")


_DOC = """{name}: a 7x7 stem, four dense blocks of {blocks} conv blocks (growth rate 32)
    joined by transition blocks, then BN-ReLU.

    Args:
        include_top: whether to add the classifier (``avg_pool`` and ``predictions``).
        weights: ``None``, ``"imagenet"`` (the published file must be on disk already; kcore
            does not download it) or the path to a weights file.
        input_tensor: optional symbolic tensor to use as the image input.
        input_shape: ``(height, width, channels)``; at least 32x32. Default ``(224, 224, 3)``
            with ``include_top``, else ``(None, None, 3)``.
        pooling: without the top, ``None``, ``"avg"`` or ``"max"``.
        classes: number of classes (with ``include_top``).
        classifier_activation: activation of the ``predictions`` layer.
        name: the model's name.

    Returns:
        A Functional model.

    Example:
        >>> model = {name}(weights=None, include_top=False, input_shape=(32, 32, 3))
        >>> model.output_shape[-1]
        {channels}
"""


def DenseNet121(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="densenet121"):
    return DenseNet([6, 12, 24, 16], include_top, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation, name)


def DenseNet169(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="densenet169"):
    return DenseNet([6, 12, 32, 32], include_top, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation, name)


def DenseNet201(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="densenet201"):
    return DenseNet([6, 12, 48, 32], include_top, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation, name)


DenseNet121.__doc__ = _DOC.format(name="DenseNet121", blocks="6, 12, 24, 16", channels=1024)
DenseNet169.__doc__ = _DOC.format(name="DenseNet169", blocks="6, 12, 32, 32", channels=1664)
DenseNet201.__doc__ = _DOC.format(name="DenseNet201", blocks="6, 12, 48, 32", channels=1920)


def preprocess_input(x, data_format=None):
    """``imagenet_utils.preprocess_input`` in ``"torch"`` mode: pixels scaled to [0, 1], then
    normalised with the ImageNet mean and standard deviation of each channel."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")


def decode_predictions(preds, top=5):
    """See ``kcore.applications.imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
