"""``kcore.applications``: Keras's image-classification networks, built layer for layer as
Keras 3 builds them (same layer names, order and weight shapes), so that Keras's published
``.h5`` weight files load with ``weights="/path/to/file.h5"``.

Each module (``vgg16``, ``resnet``, ``mobilenet_v2``...) also has the ``preprocess_input``
and ``decode_predictions`` that go with its networks. kcore never downloads: for
``weights="imagenet"`` the published file must already be in ``$KCORE_HOME/models`` or
``~/.keras/models`` (the error message says where to get it).

Example:
    >>> base = kcore.applications.MobileNet(weights=None, alpha=0.25, include_top=False,
    ...                                     input_shape=(32, 32, 3), pooling="avg")
    >>> base.output_shape
    (None, 256)
"""

from kcore.applications import (densenet, efficientnet, imagenet_utils, inception_resnet_v2,
                                inception_v3, mobilenet, mobilenet_v2, mobilenet_v3, resnet,
                                resnet50, resnet_v2, vgg16, vgg19, xception)
from kcore.applications.densenet import DenseNet121, DenseNet169, DenseNet201
from kcore.applications.efficientnet import (EfficientNetB0, EfficientNetB1, EfficientNetB2,
                                             EfficientNetB3, EfficientNetB4, EfficientNetB5,
                                             EfficientNetB6, EfficientNetB7)
from kcore.applications.inception_resnet_v2 import InceptionResNetV2
from kcore.applications.inception_v3 import InceptionV3
from kcore.applications.mobilenet import MobileNet
from kcore.applications.mobilenet_v2 import MobileNetV2
from kcore.applications.mobilenet_v3 import MobileNetV3Large, MobileNetV3Small
from kcore.applications.resnet import ResNet50, ResNet101, ResNet152
from kcore.applications.resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from kcore.applications.vgg16 import VGG16
from kcore.applications.vgg19 import VGG19
from kcore.applications.xception import Xception

__all__ = ["DenseNet121", "DenseNet169", "DenseNet201", "EfficientNetB0", "EfficientNetB1",
           "EfficientNetB2", "EfficientNetB3", "EfficientNetB4", "EfficientNetB5",
           "EfficientNetB6", "EfficientNetB7", "InceptionResNetV2", "InceptionV3", "MobileNet",
           "MobileNetV2", "MobileNetV3Large", "MobileNetV3Small", "ResNet50", "ResNet101",
           "ResNet152", "ResNet50V2", "ResNet101V2", "ResNet152V2", "VGG16", "VGG19", "Xception",
           "densenet", "efficientnet", "imagenet_utils", "inception_resnet_v2", "inception_v3",
           "mobilenet", "mobilenet_v2", "mobilenet_v3", "resnet", "resnet50", "resnet_v2",
           "vgg16", "vgg19", "xception"]
