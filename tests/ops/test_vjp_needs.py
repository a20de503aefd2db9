"""VJPs that skip unneeded input gradients give the same results as full VJPs."""

import numpy as np
import pytest

import kcore
from kcore import ops

CASES = [
    ("matmul", lambda a, b: ops.matmul(a, b), (5, 4), (4, 3)),
    ("matmul-3d", lambda a, b: ops.matmul(a, b), (2, 5, 4), (4, 3)),
    ("conv2d", lambda a, b: ops.conv(a, b, padding="same"), (2, 6, 6, 3), (3, 3, 3, 4)),
    ("depthwise", lambda a, b: ops.depthwise_conv(a, b), (2, 6, 6, 3), (3, 3, 3, 2)),
]


@pytest.mark.parametrize("name,fn,sa,sb", CASES, ids=[c[0] for c in CASES])
def test_weight_only_gradient_matches_full(name, fn, sa, sb):
    rng = np.random.default_rng(0)
    a = rng.normal(size=sa).astype("float32")
    w = kcore.Variable(rng.normal(size=sb).astype("float32"))
    with kcore.GradientTape() as tape:  # data input not watched: its gradient is skipped
        y = fn(a, w)
        loss = ops.sum(y * y)
    g_only = tape.gradient(loss, w).numpy()
    at = ops.convert_to_tensor(a)
    with kcore.GradientTape() as tape:
        tape.watch(at)
        y = fn(at, w)
        loss = ops.sum(y * y)
    g_a, g_full = tape.gradient(loss, [at, w])
    assert g_a is not None
    np.testing.assert_allclose(g_only, g_full.numpy(), rtol=1e-5, atol=1e-5)
