"""Gradient-check cases for the convolution and pooling primitives (``kcore/ops/conv.py``).

Each case names the primitive it covers and calls the public op with float64 arrays;
``check_vjp`` compares the tape's VJP with central differences for a random cotangent.
"""

import numpy as np

from kcore import ops
from tests.ops.gradcheck import Case

_rng = np.random.default_rng(0)


def _a(*shape):
    return _rng.standard_normal(shape)


def _case(name, fn, args, **kwargs):
    return Case(name, fn, tuple(args), kwargs)


def _conv_bias_relu(x, kernel, bias, **kwargs):
    return ops.conv(x, kernel, bias=bias, relu=True, **kwargs)


def _conv_bias(x, kernel, bias, **kwargs):
    return ops.conv(x, kernel, bias=bias, **kwargs)


CASES = [
    _case("_conv_bias_act", _conv_bias_relu, [_a(2, 6, 5, 3), _a(3, 3, 3, 4), _a(4)],
          padding="same"),
    _case("_conv_bias_act", _conv_bias, [_a(2, 7, 3), _a(3, 3, 4), _a(4)], strides=2),
    _case("_conv_bias_act", _conv_bias_relu, [_a(2, 3, 6, 5), _a(3, 3, 3, 2), _a(2)],
          strides=2, padding="same", data_format="channels_first"),
    # more than _WINDOW_MAJOR_CHANNELS input channels: the position-major patches
    _case("_conv_bias_act", _conv_bias_relu, [_a(2, 5, 4, 6), _a(2, 3, 6, 3), _a(3)],
          padding="same"),
    _case("_conv_bias_act", _conv_bias, [_a(2, 6, 5), _a(3, 5, 2), _a(2)], strides=2),
    _case("_conv", ops.conv, [_a(2, 7, 3), _a(3, 3, 4)], strides=2, padding="same"),
    _case("_conv", ops.conv, [_a(2, 7, 2), _a(2, 2, 3)], padding="causal", dilation_rate=2),
    _case("_conv", ops.conv, [_a(2, 6, 5, 3), _a(3, 2, 3, 4)], strides=(2, 1),
          padding="same"),
    _case("_conv", ops.conv, [_a(1, 7, 7, 2), _a(2, 3, 2, 3)], dilation_rate=(2, 1)),
    _case("_conv", ops.conv, [_a(2, 5, 5, 4), _a(3, 3, 2, 6)], padding="same"),
    _case("_conv", ops.conv, [_a(2, 5, 4, 6), _a(2, 3, 6, 2)], strides=(2, 1),
          padding="same"),
    _case("_conv", ops.conv, [_a(1, 5, 5, 10), _a(3, 2, 5, 4)], padding="same"),
    _case("_conv", ops.conv, [_a(1, 4, 4, 6), _a(1, 1, 6, 3)]),
    _case("_conv", ops.conv, [_a(2, 3, 6, 5), _a(3, 3, 3, 2)], strides=2, padding="same",
          data_format="channels_first"),
    _case("_conv", ops.conv, [_a(1, 4, 5, 4, 2), _a(2, 3, 2, 2, 3)], strides=(1, 2, 1),
          padding="same"),
    _case("_depthwise_conv", ops.depthwise_conv, [_a(2, 6, 5, 3), _a(3, 3, 3, 2)],
          strides=2, padding="same"),
    _case("_depthwise_conv", ops.depthwise_conv, [_a(2, 8, 2), _a(3, 2, 1)],
          dilation_rate=2),
    _case("_depthwise_conv", ops.depthwise_conv, [_a(1, 2, 5, 5), _a(2, 2, 2, 3)],
          data_format="channels_first"),
    _case("_conv_transpose", ops.conv_transpose, [_a(2, 4, 3), _a(3, 2, 3)], strides=2),
    _case("_conv_transpose", ops.conv_transpose, [_a(2, 3, 4, 3), _a(3, 3, 2, 3)],
          strides=2, padding="same"),
    _case("_conv_transpose", ops.conv_transpose, [_a(1, 3, 3, 2), _a(3, 2, 3, 2)],
          strides=(2, 3), padding="same", output_padding=(1, 2)),
    _case("_conv_transpose", ops.conv_transpose, [_a(1, 3, 4, 2), _a(2, 2, 3, 2)],
          strides=2, padding="valid", output_padding=1, dilation_rate=1),
    _case("_conv_transpose", ops.conv_transpose, [_a(1, 2, 3, 3), _a(3, 3, 2, 2)],
          strides=1, padding="same", dilation_rate=2, data_format="channels_first"),
    _case("_conv_transpose", ops.conv_transpose, [_a(1, 2, 3, 2, 2), _a(2, 2, 2, 3, 2)],
          strides=2, padding="same"),
    _case("_max_pool", ops.max_pool, [_a(2, 6, 6, 3)], pool_size=2),
    _case("_max_pool", ops.max_pool, [_a(2, 7, 5, 3)], pool_size=(3, 2), strides=2,
          padding="same"),
    _case("_max_pool", ops.max_pool, [_a(2, 9, 2)], pool_size=3, strides=2),
    _case("_max_pool", ops.max_pool, [_a(1, 2, 5, 4, 3)], pool_size=2, strides=1,
          padding="same", data_format="channels_first"),
    _case("_average_pool", ops.average_pool, [_a(2, 6, 7, 3)], pool_size=2),
    _case("_average_pool", ops.average_pool, [_a(2, 7, 5, 3)], pool_size=3, strides=2,
          padding="same"),
    _case("_average_pool", ops.average_pool, [_a(2, 3, 9)], pool_size=2, strides=1,
          padding="same", data_format="channels_first"),
    _case("_average_pool", ops.average_pool, [_a(1, 4, 3, 5, 2)], pool_size=(2, 3, 2),
          strides=(2, 1, 2), padding="same"),
]
