"""kcore.activations: formulas in numpy, real-Keras outputs and gradients, name lookup."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from kcore import activations, ops
from kcore.backend.autodiff import GradientTape
from kcore.backend.tensor import Tensor

X = np.linspace(-4.0, 4.0, 33).reshape(3, 11)
_erf = np.vectorize(math.erf)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x):
    return np.log1p(np.exp(x))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805

FORMULAS = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)),
    "softplus": _softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))),
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "exponential": np.exp,
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "hard_silu": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "hard_swish": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "linear": lambda x: x,
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "softmax": _softmax,
    "log_softmax": lambda x: np.log(_softmax(x)),
    "log_sigmoid": lambda x: np.log(_sigmoid(x)),
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "celu": lambda x: np.maximum(x, 0) + np.minimum(0, np.expm1(x)),
    "glu": lambda x: np.split(x, 2, axis=-1)[0] * _sigmoid(np.split(x, 2, axis=-1)[1]),
}


def test_every_activation_has_a_formula():
    assert set(activations.ALL_OBJECTS_DICT) <= set(FORMULAS)


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_activation_matches_formula(name):
    x = X[:, :10] if name == "glu" else X  # glu halves the last axis
    got = activations.get(name)(x.astype(np.float32))
    got = got.numpy() if isinstance(got, Tensor) else got
    np.testing.assert_allclose(got, FORMULAS[name](x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kwargs, expected", [
    ({"max_value": 1.0}, lambda x: np.clip(x, 0, 1)),
    ({"threshold": 1.0}, lambda x: np.where(x > 1.0, x, 0.0)),
    ({"negative_slope": 0.1}, lambda x: np.where(x > 0, x, 0.1 * x)),
    ({"negative_slope": 0.1, "max_value": 2.0, "threshold": 0.5},
     lambda x: np.where(x >= 2.0, 2.0, np.where(x > 0.5, x, 0.1 * (x - 0.5)))),
    ({"max_value": 6}, lambda x: np.clip(x, 0, 6)),
])
def test_relu_options(kwargs, expected):
    got = activations.relu(X.astype(np.float32), **kwargs).numpy()
    np.testing.assert_allclose(got, expected(X), rtol=1e-6, atol=1e-6)


def test_gelu_defaults_to_the_exact_form_and_approximate_is_tanh():
    x = X.astype(np.float32)
    approx = 0.5 * X * (1 + np.tanh(np.sqrt(2 / np.pi) * (X + 0.044715 * X ** 3)))
    np.testing.assert_allclose(activations.gelu(x, approximate=True).numpy(), approx, rtol=1e-5, atol=1e-6)
    assert not np.allclose(activations.gelu(x).numpy(), approx, rtol=1e-7, atol=1e-7)


def test_softmax_axis_and_elu_alpha():
    np.testing.assert_allclose(activations.softmax(X, axis=0).numpy(), _softmax(X, axis=0), rtol=1e-6)
    np.testing.assert_allclose(activations.elu(X, alpha=0.5).numpy(),
                               np.where(X > 0, X, 0.5 * np.expm1(X)), rtol=1e-6)
    np.testing.assert_allclose(activations.leaky_relu(X, negative_slope=0.3).numpy(),
                               np.where(X > 0, X, 0.3 * X), rtol=1e-6)


def test_activations_are_differentiable():
    x = Tensor(X.astype(np.float32))
    with GradientTape() as tape:
        tape.watch(x)
        y = ops.sum(activations.mish(x))
    g = tape.gradient(y, x).numpy()
    eps = 1e-6
    numeric = (FORMULAS["mish"](X + eps) - FORMULAS["mish"](X - eps)) / (2 * eps)
    np.testing.assert_allclose(g, numeric, rtol=1e-4, atol=1e-5)


# -- real Keras outputs and input gradients (tests/fixtures/keras/layers) -------------------

LAYERS = Path(__file__).resolve().parent / "fixtures" / "keras" / "layers"
_INDEX = json.loads((LAYERS / "index.json").read_text()) if (LAYERS / "index.json").exists() else {"cases": []}


def _keras_activation_cases():
    cases = []
    for c in _INDEX["cases"]:
        cfg = c["config"]
        if c["class_name"] == "Activation":
            cases.append((c["case"], activations.get(cfg["activation"]), {}))
        elif c["class_name"] == "ReLU":
            cases.append((c["case"], activations.relu, {k: cfg[k] for k in ("max_value", "negative_slope", "threshold")}))
        elif c["class_name"] == "LeakyReLU":
            cases.append((c["case"], activations.leaky_relu, {"negative_slope": cfg["negative_slope"]}))
        elif c["class_name"] == "ELU":
            cases.append((c["case"], activations.elu, {"alpha": cfg["alpha"]}))
        elif c["class_name"] == "Softmax":
            cases.append((c["case"], activations.softmax, {"axis": cfg["axis"]}))
    return cases


@pytest.mark.parametrize("case, fn, kwargs", _keras_activation_cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_activation_matches_keras(case, fn, kwargs):
    data = np.load(LAYERS / f"{case}.npz")
    x = Tensor(data["x0"])
    with GradientTape() as tape:
        tape.watch(x)
        y = fn(x, **kwargs)
        y = y if isinstance(y, Tensor) else Tensor(np.asarray(y))
        loss = ops.sum(ops.multiply(y, data["c"]))
    np.testing.assert_allclose(y.numpy(), data["y"], rtol=1e-5, atol=1e-6)
    if fn is not activations.linear:
        np.testing.assert_allclose(tape.gradient(loss, x).numpy(), data["gx0"], rtol=1e-4, atol=1e-5)


# -- lookup and serialization -------------------------------------------------------------------


def test_get_resolves_none_names_callables_and_dicts():
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is activations.relu
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu
    fn = lambda x: x  # noqa: E731
    assert activations.get(fn) is fn
    assert activations.get({"module": "keras.activations", "class_name": "function",
                            "config": "tanh", "registered_name": "tanh"}) is activations.tanh


def test_get_unknown_name_lists_known_names():
    with pytest.raises(ValueError, match="Did you mean 'relu'.*Known activation functions:.*sigmoid"):
        activations.get("rellu")
    with pytest.raises(ValueError, match="Could not interpret activation"):
        activations.get(3)


def test_serialize_gives_keras_names():
    assert activations.serialize(activations.relu) == "relu"
    assert activations.serialize(activations.swish) == "silu"
    assert activations.serialize(None) == "linear"
    assert activations.deserialize("gelu") is activations.gelu
    for name in activations.ALL_OBJECTS_DICT:
        fn = activations.get(name)
        assert activations.get(activations.serialize(fn)) is fn
