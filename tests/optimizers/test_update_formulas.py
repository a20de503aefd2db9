"""Every optimizer's update against its formula, written out by hand below in float64.

One case table (``CASES``) parametrises every test, in the style of torch's
``common_optimizers.py``. Each reference takes one variable's weights ``w``, gradient
``g``, a dict ``s`` of its state, the step ``t`` (from 1) and the learning rate, and
returns the new weights. kcore runs on float64 variables, so the comparison is tight; a
float32 run is checked too, at float32 tolerance.
"""

import math

import numpy as np
import pytest

from kcore import optimizers
from kcore.backend.tensor import Variable


def sgd(w, g, s, t, lr, momentum=0.0, nesterov=False):
    if momentum == 0:
        return w - lr * g
    s["m"] = momentum * s.get("m", 0.0) - lr * g
    return w + momentum * s["m"] - lr * g if nesterov else w + s["m"]


def rmsprop(w, g, s, t, lr, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    s["v"] = rho * s.get("v", 0.0) + (1 - rho) * g ** 2
    if centered:
        s["a"] = rho * s.get("a", 0.0) + (1 - rho) * g
        increment = lr * g / np.sqrt(s["v"] - s["a"] ** 2 + epsilon)
    else:
        increment = lr * g / np.sqrt(s["v"] + epsilon)
    if momentum > 0:
        s["m"] = momentum * s.get("m", 0.0) + increment
        return w - s["m"]
    return w - increment


def adam(w, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    s["m"] = beta_1 * s.get("m", 0.0) + (1 - beta_1) * g
    s["v"] = beta_2 * s.get("v", 0.0) + (1 - beta_2) * g ** 2
    v = s["v"]
    if amsgrad:
        s["v_hat"] = v = np.maximum(s.get("v_hat", 0.0), s["v"])
    alpha = lr * math.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    return w - alpha * s["m"] / (np.sqrt(v) + epsilon)


def adagrad(w, g, s, t, lr, initial_accumulator_value=0.1, epsilon=1e-7):
    s["acc"] = s.get("acc", initial_accumulator_value) + g ** 2
    return w - lr * g / np.sqrt(s["acc"] + epsilon)


def adadelta(w, g, s, t, lr, rho=0.95, epsilon=1e-7):
    s["eg"] = rho * s.get("eg", 0.0) + (1 - rho) * g ** 2
    delta = -np.sqrt(s.get("edx", 0.0) + epsilon) * g / np.sqrt(s["eg"] + epsilon)
    s["edx"] = rho * s.get("edx", 0.0) + (1 - rho) * delta ** 2
    return w + lr * delta


def adamax(w, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    s["m"] = beta_1 * s.get("m", 0.0) + (1 - beta_1) * g
    s["u"] = np.maximum(beta_2 * s.get("u", 0.0), np.abs(g))
    return w - lr * s["m"] / ((1 - beta_1 ** t) * (s["u"] + epsilon))


def nadam(w, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    def u(step):
        return beta_1 * (1 - 0.5 * 0.96 ** step)

    s["product"] = s.get("product", 1.0) * u(t)
    s["m"] = beta_1 * s.get("m", 0.0) + (1 - beta_1) * g
    s["v"] = beta_2 * s.get("v", 0.0) + (1 - beta_2) * g ** 2
    m_hat = (u(t + 1) * s["m"] / (1 - s["product"] * u(t + 1))
             + (1 - u(t)) * g / (1 - s["product"]))
    v_hat = s["v"] / (1 - beta_2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + epsilon)


def ftrl(w, g, s, t, lr, learning_rate_power=-0.5, initial_accumulator_value=0.1,
         l1_regularization_strength=0.0, l2_regularization_strength=0.0,
         l2_shrinkage_regularization_strength=0.0, beta=0.0):
    p, l1 = learning_rate_power, l1_regularization_strength
    l2 = l2_regularization_strength + beta / (2 * lr)
    n = s.get("n", np.full_like(w, initial_accumulator_value))
    z = s.get("z", np.zeros_like(w))
    n_new = n + g ** 2
    z = z + g + 2 * l2_shrinkage_regularization_strength * w - (n_new ** -p - n ** -p) / lr * w
    s["n"], s["z"] = n_new, z
    return (np.clip(z, -l1, l1) - z) / (n_new ** -p / lr + 2 * l2)


def lion(w, g, s, t, lr, beta_1=0.9, beta_2=0.99):
    m = s.get("m", 0.0)
    new_w = w - lr * np.sign(beta_1 * m + (1 - beta_1) * g)
    s["m"] = beta_2 * m + (1 - beta_2) * g
    return new_w


# (id, class, hyperparameters given to both the class and the reference, common kwargs)
CASES = [
    ("sgd", optimizers.SGD, sgd, {}, {"learning_rate": 0.1}),
    ("sgd_momentum", optimizers.SGD, sgd, {"momentum": 0.9}, {"learning_rate": 0.05}),
    ("sgd_nesterov", optimizers.SGD, sgd, {"momentum": 0.8, "nesterov": True}, {"learning_rate": 0.05}),
    ("sgd_weight_decay", optimizers.SGD, sgd, {"momentum": 0.5}, {"learning_rate": 0.1, "weight_decay": 0.1}),
    ("rmsprop", optimizers.RMSprop, rmsprop, {}, {"learning_rate": 0.01}),
    ("rmsprop_momentum", optimizers.RMSprop, rmsprop, {"rho": 0.8, "momentum": 0.5}, {"learning_rate": 0.01}),
    ("rmsprop_centered", optimizers.RMSprop, rmsprop, {"centered": True, "epsilon": 1e-3}, {"learning_rate": 0.01}),
    ("rmsprop_centered_momentum", optimizers.RMSprop, rmsprop,
     {"centered": True, "momentum": 0.3}, {"learning_rate": 0.01}),
    ("adam", optimizers.Adam, adam, {}, {"learning_rate": 0.01}),
    ("adam_betas", optimizers.Adam, adam, {"beta_1": 0.5, "beta_2": 0.7, "epsilon": 1e-2}, {"learning_rate": 0.1}),
    ("adam_amsgrad", optimizers.Adam, adam, {"amsgrad": True}, {"learning_rate": 0.01}),
    ("adamw", optimizers.AdamW, adam, {}, {"learning_rate": 0.01, "weight_decay": 0.2}),
    ("adamw_amsgrad", optimizers.AdamW, adam, {"amsgrad": True}, {"learning_rate": 0.01}),
    ("adagrad", optimizers.Adagrad, adagrad, {}, {"learning_rate": 0.1}),
    ("adagrad_init", optimizers.Adagrad, adagrad, {"initial_accumulator_value": 1.0}, {"learning_rate": 0.1}),
    ("adadelta", optimizers.Adadelta, adadelta, {}, {"learning_rate": 1.0}),
    ("adadelta_rho", optimizers.Adadelta, adadelta, {"rho": 0.5, "epsilon": 1e-4}, {"learning_rate": 0.5}),
    ("adamax", optimizers.Adamax, adamax, {}, {"learning_rate": 0.01}),
    ("adamax_betas", optimizers.Adamax, adamax, {"beta_1": 0.6, "beta_2": 0.5}, {"learning_rate": 0.01}),
    ("nadam", optimizers.Nadam, nadam, {}, {"learning_rate": 0.01}),
    ("nadam_betas", optimizers.Nadam, nadam, {"beta_1": 0.7, "beta_2": 0.9}, {"learning_rate": 0.01}),
    ("ftrl", optimizers.Ftrl, ftrl, {}, {"learning_rate": 0.1}),
    ("ftrl_regularized", optimizers.Ftrl, ftrl,
     {"initial_accumulator_value": 0.3, "l1_regularization_strength": 0.05,
      "l2_regularization_strength": 0.1, "l2_shrinkage_regularization_strength": 0.02, "beta": 0.2},
     {"learning_rate": 0.1}),
    ("ftrl_power", optimizers.Ftrl, ftrl, {"learning_rate_power": -0.3}, {"learning_rate": 0.1}),
    ("lion", optimizers.Lion, lion, {}, {"learning_rate": 0.01}),
    ("lion_betas", optimizers.Lion, lion, {"beta_1": 0.5, "beta_2": 0.7}, {"learning_rate": 0.01, "weight_decay": 0.1}),
]
CASE_IDS = [c[0] for c in CASES]
STEPS = 5


def _grads(dtype):
    rng = np.random.default_rng(0)
    return [[rng.normal(size=(3, 4)).astype(dtype) * (1 + step), rng.normal(size=(4,)).astype(dtype)]
            for step in range(STEPS)]


def _initial(dtype):
    rng = np.random.default_rng(1)
    return [rng.normal(size=(3, 4)).astype(dtype), rng.normal(size=(4,)).astype(dtype)]


def _reference(cls, ref, hyper, common):
    """The expected weights after each step, by the formula, in float64."""
    lr = float(np.float32(common["learning_rate"]))  # the learning rate lives in a float32 variable
    wd = common.get("weight_decay", 0.004 if cls is optimizers.AdamW else None)
    weights, states, history = _initial(np.float64), [{}, {}], []
    for t, grads in enumerate(_grads(np.float64), start=1):
        for i, g in enumerate(grads):
            w = weights[i]
            if wd is not None:
                w = w - w * wd * lr
            weights[i] = ref(w, g, states[i], t, lr, **hyper)
        history.append([w.copy() for w in weights])
    return history


def _run(cls, hyper, common, dtype):
    opt = cls(**hyper, **common)
    variables = [Variable(v, dtype=dtype, name=f"v{i}") for i, v in enumerate(_initial(dtype))]
    history = []
    for grads in _grads(dtype):
        opt.apply(grads, variables)
        history.append([v.numpy() for v in variables])
    return opt, variables, history


@pytest.mark.parametrize("case_id, cls, ref, hyper, common", CASES, ids=CASE_IDS)
def test_update_matches_formula_float64(case_id, cls, ref, hyper, common):
    _, _, got = _run(cls, hyper, common, "float64")
    for step, (g_step, e_step) in enumerate(zip(got, _reference(cls, ref, hyper, common))):
        for g, e in zip(g_step, e_step):
            np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12, err_msg=f"{case_id} step {step}")


@pytest.mark.parametrize("case_id, cls, ref, hyper, common", CASES, ids=CASE_IDS)
def test_update_matches_formula_float32(case_id, cls, ref, hyper, common):
    opt, variables, got = _run(cls, hyper, common, "float32")
    assert all(v.value.dtype == np.float32 for v in variables)
    assert all(v.value.dtype == np.float32 for v in opt.variables[2:])
    for g_step, e_step in zip(got, _reference(cls, ref, hyper, common)):
        for g, e in zip(g_step, e_step):
            np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5, err_msg=case_id)


@pytest.mark.parametrize("case_id, cls, ref, hyper, common", CASES, ids=CASE_IDS)
def test_update_is_in_place(case_id, cls, ref, hyper, common):
    opt = cls(**hyper, **common)
    variables = [Variable(v, name=f"v{i}") for i, v in enumerate(_initial(np.float32))]
    arrays = [v.value for v in variables]
    opt.build(variables)
    slot_arrays = [v.value for v in opt.variables]
    before = [a.copy() for a in arrays]
    for grads in _grads(np.float32)[:2]:
        opt.apply(grads, variables)
    assert all(v.value is a for v, a in zip(variables, arrays))
    assert all(v.value is a for v, a in zip(opt.variables, slot_arrays))
    assert any(not np.array_equal(a, b) for a, b in zip(arrays, before))


def test_every_optimizer_has_a_case():
    covered = {c[1] for c in CASES}
    exported = {getattr(optimizers, n) for n in optimizers.__all__
                if isinstance(getattr(optimizers, n), type)
                and issubclass(getattr(optimizers, n), optimizers.Optimizer)}
    assert exported - {optimizers.Optimizer} <= covered, exported - covered


class _PerVariableAdam(optimizers.Adam):
    """Adam through the base class's per-variable loop (update_step overridden)."""

    calls = 0

    def update_step(self, gradient, variable, learning_rate):
        type(self).calls += 1
        super().update_step(gradient, variable, learning_rate)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_step_over_all_variables_equals_update_step_per_variable(amsgrad):
    # Adam computes the step's scalars once per dtype for all variables; the numbers must
    # be those of update_step called per variable (float32, float64, float16, and a
    # gradient that is neither contiguous nor of the variable's dtype).
    rng = np.random.default_rng(3)
    values = [rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=5),
              rng.normal(size=(2, 2)).astype("float16"), rng.normal(size=(3, 4)).astype("float32")]
    grads = [rng.normal(size=v.shape).astype(v.dtype) for v in values[:3]]
    grads.append(rng.normal(size=(4, 3)).T)                # float64, transposed view
    results = []
    _PerVariableAdam.calls = 0
    for cls in (optimizers.Adam, _PerVariableAdam):
        variables = [Variable(v.copy()) for v in values]
        opt = cls(learning_rate=0.01, amsgrad=amsgrad)
        for _ in range(3):
            opt.apply(grads, variables)
        results.append([v.numpy() for v in variables])
    assert _PerVariableAdam.calls == 3 * len(values)       # the override ran per variable
    for fused, per_variable in zip(*results):
        assert fused.dtype == per_variable.dtype
        np.testing.assert_array_equal(fused, per_variable)
