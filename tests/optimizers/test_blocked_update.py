"""Adam's update of a large variable runs block by block (``Optimizer._blocks``): the
result is bit-identical to the same twelve passes over the whole arrays, and it matches
the formula of ``test_update_formulas.adam``."""

import numpy as np
import pytest

from kcore import optimizers
from kcore.backend.tensor import Variable
from kcore.optimizers.base import BLOCK

from .test_update_formulas import adam as adam_formula


def _whole_array_adam(w, g, m, v, v_hat, t, lr=0.01, b1=0.9, b2=0.999, eps=1e-7):
    """kcore's passes, in float32, over whole arrays (the code before blocking)."""
    alpha = lr * np.sqrt(1 - float(np.float32(b2)) ** t) / (1 - float(np.float32(b1)) ** t)
    tmp = np.empty_like(w)
    np.subtract(g, m, out=tmp)
    tmp *= 1 - b1
    m += tmp
    np.multiply(g, g, out=tmp)
    tmp -= v
    tmp *= 1 - b2
    v += tmp
    if v_hat is not None:
        np.maximum(v_hat, v, out=v_hat)
        v = v_hat
    np.sqrt(v, out=tmp)
    tmp += eps
    np.divide(m, tmp, out=tmp)
    tmp *= float(alpha)
    w -= tmp


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("transposed_gradient", [False, True])
def test_blocked_equals_whole_array_passes(amsgrad, transposed_gradient):
    rng = np.random.default_rng(0)
    shape = (3 * BLOCK // 256 + 1, 256)  # several blocks and a short last one
    w0 = rng.standard_normal(shape).astype(np.float32)
    var = Variable(w0.copy())
    opt = optimizers.Adam(learning_rate=0.01, amsgrad=amsgrad)
    w, m, v = w0.copy(), np.zeros(shape, np.float32), np.zeros(shape, np.float32)
    v_hat = np.zeros(shape, np.float32) if amsgrad else None
    for t in range(1, 4):
        g = rng.standard_normal(shape[::-1] if transposed_gradient else shape).astype(np.float32)
        g = g.T if transposed_gradient else g  # a non-contiguous gradient is copied, not used in blocks
        opt.apply([g], [var])
        _whole_array_adam(w, np.ascontiguousarray(g), m, v, v_hat, t)
    assert np.array_equal(np.asarray(var.value), w)
    assert np.array_equal(np.asarray(opt._momentums[0].value), m)
    assert np.array_equal(np.asarray(opt._velocities[0].value), v)


def test_blocked_update_matches_the_formula():
    rng = np.random.default_rng(1)
    shape = (2 * BLOCK + 5,)
    w = rng.standard_normal(shape)
    var = Variable(w.copy(), dtype="float64")
    lr = 2.0 ** -6  # exact in the optimizer's float32 learning-rate variable
    opt = optimizers.Adam(learning_rate=lr)
    state = {}
    for t in range(1, 4):
        g = rng.standard_normal(shape)
        opt.apply([g], [var])
        w = adam_formula(w, g, state, t, lr)
    np.testing.assert_allclose(np.asarray(var.value), w, rtol=1e-10, atol=1e-12)
