"""Recurrent layers against real Keras 3 (``tests/fixtures/keras/layers``).

Each case is rebuilt from the ``get_config()`` Keras wrote (so ``from_config`` must accept
Keras's keys), given Keras's weights, and compared on outputs and on the gradients of
``sum(y * c)`` with respect to the input and every weight.
"""

import json
import pathlib

import numpy as np
import pytest

from kcore import ops
from kcore.backend.autodiff import GradientTape
from kcore.layers import recurrent

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "keras" / "layers"
CLASSES = set(recurrent.__all__)


def _cases():
    index = FIXTURES / "index.json"
    if not index.exists():
        return []
    return [c for c in json.loads(index.read_text())["cases"] if c["class_name"] in CLASSES]


CASES = _cases()


def _call(layer, case, xs, x0):
    kwargs = dict(case["call_kwargs"])
    if case["call_style"] == "kwargs":
        kwargs.update(zip(case["input_names"][1:], xs[1:]))
    out = layer(x0, **kwargs)
    return list(out) if isinstance(out, (list, tuple)) else [out]


@pytest.mark.skipif(not CASES, reason="no Keras fixtures")
@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_matches_keras(case):
    data = np.load(FIXTURES / f"{case['case']}.npz")
    layer = getattr(recurrent, case["class_name"]).from_config(case["config"])
    xs = [data[f"x{i}"] for i in range(case["n_inputs"])]
    _call(layer, case, xs, xs[0])
    assert [w.path for w in layer.weights] == case["weight_names"]
    layer.set_weights([data[f"w{i}"] for i in range(case["n_weights"])])
    single = case["n_outputs"] == 1
    expected = [data["y"]] if single else [data[f"y{i}"] for i in range(case["n_outputs"])]
    cotangents = [data["c"]] if single else [data[f"c{i}"] for i in range(case["n_outputs"])]
    x0 = ops.convert_to_tensor(xs[0])
    with GradientTape() as tape:
        tape.watch(x0)
        outs = _call(layer, case, xs, x0)
        loss = sum(ops.sum(ops.multiply(o, c)) for o, c in zip(outs, cotangents))
    for got, want in zip(outs, expected):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
    weights = layer.trainable_weights
    grads = tape.gradient(loss, [x0] + weights)
    if 0 in case["grad_inputs"]:
        np.testing.assert_allclose(grads[0].numpy(), data["gx0"], rtol=1e-4, atol=1e-5)
    for j in case["grad_weights"]:
        np.testing.assert_allclose(grads[1 + j].numpy(), data[f"gw{j}"], rtol=1e-4, atol=1e-5,
                                   err_msg=case["weight_names"][j])
