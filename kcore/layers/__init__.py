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
