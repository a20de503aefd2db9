"""kcore.ops on symbolic tensors build Functional models, including ops whose numpy
implementation only indexes its input (``np.flip`` returns the symbolic tensor through
``__getitem__`` instead of raising)."""

import numpy as np
import pytest

import kcore


@pytest.mark.parametrize("op, reference", [
    (lambda t: kcore.ops.flip(t, axis=1), lambda x: x[:, ::-1]),
    (lambda t: kcore.ops.flip(t), lambda x: x[::-1, ::-1, ::-1]),
    (lambda t: kcore.ops.roll(t, 1, axis=2), lambda x: np.roll(x, 1, axis=2)),
])
def test_indexing_ops_on_symbolic_inputs(op, reference):
    inputs = kcore.Input((4, 3))
    outputs = op(inputs)
    model = kcore.Model(inputs, outputs)
    x = np.arange(2 * 4 * 3, dtype="float32").reshape(2, 4, 3)
    assert tuple(outputs.shape)[1:] == (4, 3)
    np.testing.assert_array_equal(model.predict(x, verbose=0), reference(x))
