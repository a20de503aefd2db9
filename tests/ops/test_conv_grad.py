"""Gradient behaviour of convolution and pooling beyond the numerical checks.

The central-difference checks of every conv primitive run from ``tests/ops/cases_conv.py``
in ``test_gradcheck.py``.
"""

import numpy as np
import pytest

from kcore import ops
from kcore.backend.autodiff import GradientTape
from kcore.backend.tensor import Variable


@pytest.mark.parametrize("pool_size, strides, padding", [(2, None, "valid"), (3, 2, "same")])
def test_max_pool_tie_sends_gradient_to_first_maximum(pool_size, strides, padding):
    x = Variable(np.zeros((1, 4, 4, 1)), dtype="float32")
    with GradientTape() as tape:
        y = ops.max_pool(x, pool_size, strides, padding)
    grad = tape.gradient(y, x).numpy()[0, :, :, 0]
    want = np.zeros((4, 4), "float32")
    for i in range(0, 4, pool_size if strides is None else strides):
        for j in range(0, 4, pool_size if strides is None else strides):
            want[i, j] += 1  # every window starts at a real cell, which wins the tie
    np.testing.assert_array_equal(grad, want)


def test_float32_gradients_stay_float32():
    x = Variable(np.ones((2, 6, 6, 3)), dtype="float32")
    w = Variable(np.ones((3, 3, 3, 4)), dtype="float32")
    with GradientTape() as tape:
        y = ops.max_pool(ops.conv(x, w, padding="same"), 2)
    gx, gw = tape.gradient(y, [x, w])
    assert gx.dtype == gw.dtype == "float32"
