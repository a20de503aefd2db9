"""``kcore.layers``: every layer, with Keras 3 names, arguments and weight layouts."""

from kcore.layers.activations import ELU, LeakyReLU, PReLU, ReLU, Softmax
from kcore.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from kcore.layers.conv_depthwise import (DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D,
                                         SeparableConv2D, SeparableConvolution1D,
                                         SeparableConvolution2D)
from kcore.layers.convolutional import (Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D,
                                        Conv3DTranspose, Convolution1D, Convolution1DTranspose,
                                        Convolution2D, Convolution2DTranspose, Convolution3D,
                                        Convolution3DTranspose)
from kcore.layers.core import Activation, Dense, Identity, Masking
from kcore.layers.einsum_dense import EinsumDense
from kcore.layers.embedding import Embedding
from kcore.layers.input_layer import Input, InputLayer, KerasTensor
from kcore.layers.input_spec import InputSpec
from kcore.layers.lambda_layer import Lambda
from kcore.layers.layer import Layer
from kcore.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply,
                                  Subtract, add, average, concatenate, dot, maximum, minimum,
                                  multiply, subtract)
from kcore.layers.normalization import (BatchNormalization, GroupNormalization,
                                        LayerNormalization, RMSNormalization, UnitNormalization)
from kcore.layers.preprocessing import (CategoryEncoding, CenterCrop, Discretization, Hashing,
                                        IntegerLookup, Normalization, RandomBrightness,
                                        RandomContrast, RandomCrop, RandomFlip, RandomRotation,
                                        RandomTranslation, RandomZoom, Rescaling, Resizing,
                                        StringLookup, TextVectorization)
from kcore.layers.regularization import (ActivityRegularization, AlphaDropout, Dropout,
                                         GaussianDropout, GaussianNoise, SpatialDropout1D,
                                         SpatialDropout2D, SpatialDropout3D)
from kcore.layers.reshaping import (Cropping1D, Cropping2D, Cropping3D, Flatten, Permute,
                                    RepeatVector, Reshape, UpSampling1D, UpSampling2D,
                                    UpSampling3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D)
from kcore.layers.pooling import (AveragePooling1D, AveragePooling2D, AveragePooling3D, AvgPool1D,
                                  AvgPool2D, AvgPool3D, GlobalAveragePooling1D,
                                  GlobalAveragePooling2D, GlobalAveragePooling3D, GlobalAvgPool1D,
                                  GlobalAvgPool2D, GlobalAvgPool3D, GlobalMaxPool1D,
                                  GlobalMaxPool2D, GlobalMaxPool3D, GlobalMaxPooling1D,
                                  GlobalMaxPooling2D, GlobalMaxPooling3D, MaxPool1D, MaxPool2D,
                                  MaxPool3D, MaxPooling1D, MaxPooling2D, MaxPooling3D)
from kcore.layers.recurrent import (GRU, LSTM, RNN, Bidirectional, GRUCell, LSTMCell, SimpleRNN,
                                    SimpleRNNCell, StackedRNNCells, TimeDistributed, Wrapper)
from kcore.backend.serialization import (deserialize_keras_object, register_builtins,
                                         register_kind, serialize_keras_object)

# A layer config may name only a Layer subclass; an activation may also be a layer.
register_kind("layer", bases=(Layer,))
register_kind("activation", bases=(Layer,))
register_builtins("keras.layers", {name: obj for name, obj in dict(globals()).items()
                                   if isinstance(obj, type) and issubclass(obj, Layer)},
                  kind="layer")


def serialize(layer):
    """The Keras 3 config dict of ``layer`` (``{"module", "class_name", "config", ...}``)."""
    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """Rebuilds a layer (or a model) from ``serialize``'s output.

    Raises:
        ValueError: an unknown class name. TypeError: a name that is not a Layer subclass.

    Example:
        >>> cfg = kcore.layers.serialize(kcore.layers.Dense(3))
        >>> kcore.layers.deserialize(cfg).units
        3
    """
    return deserialize_keras_object(config, custom_objects=custom_objects, kind="layer",
                                    printable_module_name="layer")
