"""One harness that checks every layer the same way.

Each family of layers contributes a ``CASES`` list of ``LayerCase``s in a
``tests/layers/cases_<family>.py`` module; ``test_layer_harness.py`` runs every case through
``run_all_checks`` and fails when a public layer has no case.
"""

import dataclasses

import numpy as np

import kcore
from kcore.backend.autodiff import GradientTape
from kcore.backend.tensor import Tensor


@dataclasses.dataclass
class LayerCase:
    """A layer configuration to check.

    Attributes:
        cls: the layer class.
        kwargs: constructor arguments.
        input_shape: one shape (with batch axis) or a list of shapes for multi-input layers.
        expected_output_shape: the output shape for that input (a list for several outputs).
        input_dtype: ``"float32"`` or an integer dtype (integer inputs are drawn in
            ``[0, int_high)`` and are not differentiated).
        call_kwargs: extra call arguments (not ``training``).
        training_differs: whether ``training=True`` changes the output (dropout, BN...).
        random_in_training: the training output is random, so it is not gradient-checked.
        grad_check: whether to run the numerical gradient check.
        id: a readable test id.
    """

    cls: type
    kwargs: dict
    input_shape: object
    expected_output_shape: object = None
    input_dtype: str = "float32"
    int_high: int = 5
    call_kwargs: dict = dataclasses.field(default_factory=dict)
    training_differs: bool = False
    random_in_training: bool = False
    grad_check: bool = True
    rtol: float = 1e-4
    atol: float = 1e-5
    id: str = ""
    input_as_list: bool = False
    input_fn: object = None

    def __str__(self):
        return self.id or self.cls.__name__


def _shapes(case):
    s = case.input_shape
    if isinstance(s, list):
        return s
    return [s]


def make_inputs(case, dtype="float32", seed=0):
    rng = np.random.default_rng(seed)
    if case.input_fn is not None:
        out = case.input_fn(rng, dtype)
        return out if isinstance(out, list) else [out]
    xs = []
    for shape in _shapes(case):
        if np.dtype(case.input_dtype).kind in "iu":
            xs.append(rng.integers(0, case.int_high, size=shape).astype(case.input_dtype))
        else:
            xs.append(rng.normal(size=shape).astype(dtype))
    return xs


def call_layer(layer, case, xs, training=False):
    if len(xs) == 1 and not case.input_as_list:
        return layer(xs[0], training=training, **case.call_kwargs)
    return layer(list(xs), training=training, **case.call_kwargs)


def _flat_outputs(out):
    if isinstance(out, (list, tuple)):
        return [o for item in out for o in _flat_outputs(item)]
    if isinstance(out, dict):
        return [o for v in out.values() for o in _flat_outputs(v)]
    return [out]


def _np(t):
    return np.asarray(t.value if isinstance(t, Tensor) else t)


def check_output_shape(case):
    layer = case.cls(**case.kwargs)
    xs = make_inputs(case)
    out = call_layer(layer, case, xs)
    got = [tuple(_np(o).shape) for o in _flat_outputs(out)]
    if case.expected_output_shape is not None:
        want = case.expected_output_shape
        want = [tuple(w) for w in want] if isinstance(want, list) else [tuple(want)]
        assert got == want, f"{case}: output shape {got}, expected {want}"
    # Symbolic call: batch axis unknown, other axes as in the eager call.
    inputs = [kcore.Input(batch_shape=(None,) + tuple(s[1:]), dtype=case.input_dtype)
              for s in _shapes(case)] if case.input_fn is None else None
    if inputs is not None:
        layer2 = case.cls(**case.kwargs)
        sym = layer2(inputs[0] if len(inputs) == 1 and not case.input_as_list else inputs,
                     **case.call_kwargs)
        sym_shapes = [tuple(o.shape) for o in _flat_outputs(sym)]
        for s, g in zip(sym_shapes, got):
            assert s[1:] == g[1:], f"{case}: symbolic shape {s} vs eager {g}"
    return layer, xs, out


def check_config_round_trip(case):
    layer = case.cls(**case.kwargs)
    xs = make_inputs(case)
    out = call_layer(layer, case, xs)
    config = layer.get_config()
    clone = case.cls.from_config(config)
    assert clone.get_config() == config, f"{case}: config changed in a round trip"
    call_layer(clone, case, xs)
    clone.set_weights(layer.get_weights())
    for a, b in zip(_flat_outputs(out), _flat_outputs(call_layer(clone, case, xs))):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-6, atol=1e-6)


def check_weights_round_trip(case):
    layer = case.cls(**case.kwargs)
    xs = make_inputs(case)
    out = call_layer(layer, case, xs)
    weights = layer.get_weights()
    assert len(weights) == len(layer.weights)
    other = case.cls(**case.kwargs)
    call_layer(other, case, xs)
    other.set_weights(weights)
    for a, b in zip(_flat_outputs(out), _flat_outputs(call_layer(other, case, xs))):
        np.testing.assert_array_equal(_np(a), _np(b))
    if weights:
        bad = [np.zeros(np.shape(w) + (1,)) for w in weights]
        try:
            other.set_weights(bad)
        except ValueError as e:
            assert layer.weights[0].name in str(e) or "shape" in str(e)
        else:
            raise AssertionError(f"{case}: set_weights accepted wrongly shaped arrays")


def check_training_vs_inference(case):
    layer = case.cls(**case.kwargs)
    xs = make_inputs(case)
    a = [_np(o).copy() for o in _flat_outputs(call_layer(layer, case, xs, training=False))]
    b = [_np(o) for o in _flat_outputs(call_layer(layer, case, xs, training=True))]
    same = all(np.allclose(x, y) for x, y in zip(a, b))
    if case.training_differs:
        assert not same, f"{case}: training=True should change the output"
    else:
        assert same, f"{case}: training=True should not change the output"


def check_gradients(case, eps=1e-6):
    """Numerical gradient check (float64, central differences, random cotangent)."""
    if not case.grad_check:
        return
    kwargs = dict(case.kwargs)
    kwargs["dtype"] = "float64"
    layer = case.cls(**kwargs)
    xs = make_inputs(case, dtype="float64", seed=1)
    float_inputs = [np.dtype(x.dtype).kind == "f" for x in xs]
    training = False
    out = call_layer(layer, case, [kcore.ops.convert_to_tensor(x) for x in xs], training)
    rng = np.random.default_rng(2)
    cots = [rng.normal(size=_np(o).shape) for o in _flat_outputs(out)]

    def objective(values):
        res = call_layer(layer, case, [kcore.ops.convert_to_tensor(v) for v in values], training)
        return sum(float(np.sum(_np(o) * c)) for o, c in zip(_flat_outputs(res), cots))

    tensors = [kcore.ops.convert_to_tensor(x) for x in xs]
    variables = layer.trainable_weights
    with GradientTape() as tape:
        for t, is_float in zip(tensors, float_inputs):
            if is_float:
                tape.watch(t)
        res = call_layer(layer, case, tensors, training)
        total = None
        for o, c in zip(_flat_outputs(res), cots):
            term = kcore.ops.sum(kcore.ops.multiply(o, c))
            total = term if total is None else total + term
    sources = [t for t, f in zip(tensors, float_inputs) if f] + list(variables)
    grads = tape.gradient(total, sources)

    def numeric(get, set_):
        base = get().copy()
        g = np.zeros_like(base)
        flat = base.reshape(-1)
        idx = range(flat.size) if flat.size <= 60 else rng.choice(flat.size, 60, replace=False)
        for i in idx:
            orig = flat[i]
            flat[i] = orig + eps
            set_(base)
            up = objective_current()
            flat[i] = orig - eps
            set_(base)
            down = objective_current()
            flat[i] = orig
            set_(base)
            g.reshape(-1)[i] = (up - down) / (2 * eps)
        return g, list(idx)

    current = [x.copy() for x in xs]

    def objective_current():
        return objective(current)

    k = 0
    for i, is_float in enumerate(float_inputs):
        if not is_float:
            continue
        num, idx = numeric(lambda i=i: current[i], lambda v, i=i: current.__setitem__(i, v.copy()))
        got = _np(grads[k]) if grads[k] is not None else np.zeros_like(num)
        np.testing.assert_allclose(got.reshape(-1)[idx], num.reshape(-1)[idx], rtol=case.rtol,
                                   atol=case.atol, err_msg=f"{case}: gradient wrt input {i}")
        k += 1
    for v in variables:
        num, idx = numeric(lambda v=v: v.numpy(), lambda arr, v=v: v.assign(arr))
        g = grads[k]
        got = _np(g) if g is not None else np.zeros_like(num)
        np.testing.assert_allclose(got.reshape(-1)[idx], num.reshape(-1)[idx], rtol=case.rtol,
                                   atol=case.atol, err_msg=f"{case}: gradient wrt {v.path}")
        k += 1


CHECKS = {
    "output_shape": check_output_shape,
    "config_round_trip": check_config_round_trip,
    "weights_round_trip": check_weights_round_trip,
    "training_vs_inference": check_training_vs_inference,
    "gradients": check_gradients,
}
