"""The row-gather gradient (embeddings) sums repeated ids exactly like ``np.add.at``."""

import numpy as np
import pytest

from kcore import ops
from kcore.backend.autodiff import GradientTape
from kcore.backend.tensor import Variable


@pytest.mark.parametrize("ids", [
    np.random.default_rng(0).integers(0, 50, (16, 20)),                 # many short runs
    np.minimum(np.random.default_rng(1).zipf(1.3, (8, 64)), 49),         # one id ~hundreds of times
    np.zeros((3, 5), np.int64),                                          # a single run
    np.arange(40).reshape(4, 10) - 20,                                   # no repeats, negative ids
])
def test_embedding_gradient_matches_add_at(ids):
    rng = np.random.default_rng(2)
    table = Variable(rng.standard_normal((50, 6)).astype(np.float32))
    cot = rng.standard_normal(ids.shape + (6,)).astype(np.float32)
    with GradientTape() as tape:
        loss = ops.sum(ops.take(table, ids, axis=0) * cot)
    grad = np.asarray(tape.gradient(loss, [table])[0].value)
    expected = np.zeros((50, 6), np.float64)
    np.add.at(expected, ids.reshape(-1), cot.reshape(-1, 6).astype(np.float64))
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-5)
