"""``kcore.layers``: every layer, with Keras 3 names, arguments and weight layouts."""

from kcore.layers.activations import ELU, LeakyReLU, PReLU, ReLU, Softmax
from kcore.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
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
from kcore.layers.regularization import (ActivityRegularization, AlphaDropout, Dropout,
                                         GaussianDropout, GaussianNoise, SpatialDropout1D,
                                         SpatialDropout2D, SpatialDropout3D)
from kcore.layers.reshaping import (Cropping1D, Cropping2D, Cropping3D, Flatten, Permute,
                                    RepeatVector, Reshape, UpSampling1D, UpSampling2D,
                                    UpSampling3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D)
