"""``kcore.applications.vgg19``: VGG19, layer for layer as Keras."""

from kcore.applications.vgg16 import decode_predictions, preprocess_input, vgg

__all__ = ["VGG19", "preprocess_input", "decode_predictions"]


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg19"):
    """VGG19: 16 convolutions in five blocks; arguments as ``kcore.applications.VGG16``.

    Example:
        >>> model = VGG19(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
        >>> model.output_shape
        (None, 512)
    """
    return vgg((2, 2, 4, 4, 4), name, include_top, weights, input_tensor, input_shape, pooling,
               classes, classifier_activation, "VGG19")
