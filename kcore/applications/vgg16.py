"""``kcore.applications.vgg16``: VGG16 (Simonyan & Zisserman, 2014), layer for layer as Keras."""

from kcore import layers
from kcore.applications import imagenet_utils

__all__ = ["VGG16", "preprocess_input", "decode_predictions"]

_URL = "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"


def vgg(convs_per_block, name, include_top, weights, input_tensor, input_shape, pooling,
        classes, classifier_activation, constructor):
    """The VGG family: five blocks of 3x3 convolutions, ``convs_per_block[i]`` in block i."""
    imagenet_utils.check_weights(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, data_format="channels_last",
        require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_shape, input_tensor)
    x = img_input
    for block, (filters, convs) in enumerate(zip((64, 128, 256, 512, 512), convs_per_block), 1):
        for i in range(1, convs + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same",
                              name=f"block{block}_conv{i}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.pool_features(x, pooling, named=False)
    base = constructor.lower()
    fname = f"{base}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    return imagenet_utils.build_model(img_input, x, name, weights, input_tensor,
                                      (fname, _URL.replace("vgg16", base) + fname), constructor)


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg16"):
    """VGG16: 13 convolutions in five blocks, then (with ``include_top``) three dense layers.

    Args:
        include_top: whether to add the classifier (``flatten``, ``fc1``, ``fc2``,
            ``predictions``).
        weights: ``None`` (random initialization), ``"imagenet"`` (the published file, which
            must be on disk already; kcore does not download it) or the path to a weights
            file, e.g. Keras's ``vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5``.
        input_tensor: optional symbolic tensor to use as the image input.
        input_shape: ``(height, width, channels)``; at least 32x32. Default ``(224, 224, 3)``
            with ``include_top``, else ``(None, None, 3)``.
        pooling: without the top, ``None`` (4D output), ``"avg"`` or ``"max"`` (global
            pooling, 2D output).
        classes: number of classes (with ``include_top``).
        classifier_activation: activation of the ``predictions`` layer.
        name: the model's name.

    Returns:
        A Functional model. Inputs are preprocessed with
        ``kcore.applications.vgg16.preprocess_input``.

    Example:
        >>> model = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
        >>> model.output_shape
        (None, 1, 1, 512)
    """
    return vgg((2, 2, 3, 3, 3), name, include_top, weights, input_tensor, input_shape, pooling,
               classes, classifier_activation, "VGG16")


def preprocess_input(x, data_format=None):
    """``imagenet_utils.preprocess_input`` in ``"caffe"`` mode: RGB to BGR, then each channel
    minus its ImageNet mean."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """See ``kcore.applications.imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
