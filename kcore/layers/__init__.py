"""``kcore.layers``: every layer, with Keras 3 names, arguments and weight layouts."""

from kcore.layers.core import Activation, Dense, Identity
from kcore.layers.input_layer import Input, InputLayer, KerasTensor
from kcore.layers.input_spec import InputSpec
from kcore.layers.layer import Layer
from kcore.layers.regularization import Dropout
from kcore.layers.reshaping import Flatten, Reshape
