"""The tanh/sigmoid LSTM fast path agrees with the generic fused path in float32.

``lstm_sequence`` runs the default activations in a transposed, gate-reordered layout
(``_lstm_tanh_sigmoid``); every other activation pair takes ``_lstm_generic``. Both must
give the same numbers up to float32 rounding, forward and backward, masked or not.
"""

import numpy as np
import pytest

from kcore.backend.autodiff import GradientTape
from kcore.backend.tensor import Variable
from kcore import ops
from kcore.ops import recurrent


def _run(impl, args, **kw):
    x, h0, c0, k, r, b = (Variable(a) if a is not None else None for a in args)
    params = [v for v in (x, h0, c0, k, r, b) if v is not None]
    cot = np.random.default_rng(3)

    def op(*vals):
        return recurrent.lstm_sequence(*vals, **kw)

    with GradientTape() as tape:
        for p in params:
            tape.watch(p)
        y, h, c = op(x, h0, c0, k, r, b)
        gy = cot.standard_normal(y.shape).astype(np.float32)
        loss = ops.sum(y * gy) + ops.sum(h * 0.5) + ops.sum(c * 0.25)
    grads = tape.gradient(loss, params)
    return [np.asarray(y.value), np.asarray(h.value), np.asarray(c.value)] + \
        [np.asarray(getattr(g, "value", g)) for g in grads]


@pytest.mark.parametrize("kw", [
    {}, {"return_sequences": False}, {"go_backwards": True},
    {"mask": "m"}, {"mask": "m", "go_backwards": True, "return_sequences": False},
    {"mask": "m", "zero_output_for_mask": True}, {"bias": False},
])
# The backward pass sums the weight and input gradients over chunks of 16 steps: T = 1 and
# 9 fit in one chunk, 32 is two whole chunks, 37 two whole ones and a partial one.
@pytest.mark.parametrize("T", [9, 1, 32, 37])
def test_fast_path_matches_generic_path(kw, T, monkeypatch):
    assert recurrent._GateGradSums.STEPS == 16
    rng = np.random.default_rng(0)
    B, n, u = 5, 6, 7
    f = np.float32
    args = [rng.standard_normal((B, T, n)).astype(f), rng.standard_normal((B, u)).astype(f) * 0.3,
            rng.standard_normal((B, u)).astype(f) * 0.3,
            rng.standard_normal((n, 4 * u)).astype(f) * 0.4,
            rng.standard_normal((u, 4 * u)).astype(f) * 0.4,
            rng.standard_normal(4 * u).astype(f) * 0.2]
    kw = dict(kw)
    if kw.pop("bias", True) is False:
        args[-1] = None
    if kw.get("mask") == "m":
        mask = rng.random((B, T)) > 0.3
        mask[0, :min(3, T - 1)] = False
        kw["mask"] = mask
    fast = _run(recurrent.lstm_sequence, args, **kw)
    monkeypatch.setattr(recurrent, "_lstm_tanh_sigmoid",
                        lambda x, h0, c0, k, r, b, *rest: recurrent._lstm_generic(
                            x, h0, c0, k, r, b, *rest, "tanh", "sigmoid"))
    generic = _run(recurrent.lstm_sequence, args, **kw)
    for a, b in zip(fast, generic):
        assert a.dtype == np.float32 and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)
