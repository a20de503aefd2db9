"""kcore.regularizers and kcore.constraints: values by hand, gradients, configs, names."""

import numpy as np
import pytest

from kcore import constraints as C
from kcore import regularizers as R
from kcore.backend.autodiff import GradientTape
from kcore.backend.tensor import Tensor, Variable

W = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])

# -- regularizers -----------------------------------------------------------------------------


@pytest.mark.parametrize("reg, expected", [
    (R.L1(0.1), 0.1 * 7.5),
    (R.L2(0.1), 0.1 * 15.25),
    (R.L1L2(l1=0.1, l2=0.2), 0.1 * 7.5 + 0.2 * 15.25),
    (R.L1L2(l2=0.2), 0.2 * 15.25),
    (R.L1L2(), 0.0),
    (R.L1(), 0.01 * 7.5),
    (R.L2(), 0.01 * 15.25),
])
def test_penalty_values(reg, expected):
    assert float(reg(W.astype(np.float32))) == pytest.approx(expected, rel=1e-6)


def _orthogonal_penalty(w, factor, mode):
    n = w / np.linalg.norm(w, axis=1 if mode == "rows" else 0, keepdims=True)
    if mode == "columns":
        n = n.T
    p = n @ n.T
    size = p.shape[0]
    return factor * 0.5 * np.abs(p - np.diag(np.diag(p))).sum() / (size * (size - 1) / 2)


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_orthogonal_regularizer(mode):
    w = np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0]])
    got = float(R.OrthogonalRegularizer(factor=0.2, mode=mode)(w))
    assert got == pytest.approx(_orthogonal_penalty(w, 0.2, mode), rel=1e-6)
    with pytest.raises(ValueError, match="rank 2"):
        R.OrthogonalRegularizer()(np.ones(3))
    with pytest.raises(ValueError, match="mode"):
        R.OrthogonalRegularizer(mode="diag")


@pytest.mark.parametrize("reg, grad", [
    (R.L1(0.1), lambda w: 0.1 * np.sign(w)),
    (R.L2(0.1), lambda w: 0.2 * w),
    (R.L1L2(0.1, 0.2), lambda w: 0.1 * np.sign(w) + 0.4 * w),
])
def test_penalties_are_differentiable(reg, grad):
    w = np.array([[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]])
    v = Variable(w, dtype="float64")
    with GradientTape() as tape:
        penalty = reg(v)
    np.testing.assert_allclose(tape.gradient(penalty, v).numpy(), grad(w), rtol=1e-12)


def test_orthogonal_regularizer_gradient_matches_central_differences():
    w = np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0]])
    reg = R.OrthogonalRegularizer(factor=0.3)
    v = Variable(w, dtype="float64")
    with GradientTape() as tape:
        penalty = reg(v)
    g = tape.gradient(penalty, v).numpy()
    numeric = np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        d = np.zeros_like(w)
        d[idx] = 1e-6
        numeric[idx] = (_orthogonal_penalty(w + d, 0.3, "rows")
                        - _orthogonal_penalty(w - d, 0.3, "rows")) / 2e-6
    np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-8)


def test_penalty_arguments_are_validated():
    for bad in (-1.0, float("nan"), "0.1"):
        with pytest.raises(ValueError, match="non-negative"):
            R.L2(bad)


@pytest.mark.parametrize("name, cls", [("l1", R.L1), ("l2", R.L2), ("l1_l2", R.L1L2), ("L1L2", R.L1L2),
                                       ("L2", R.L2), ("orthogonal_regularizer", R.OrthogonalRegularizer)])
def test_regularizer_names(name, cls):
    assert type(R.get(name)) is cls


def test_regularizer_config_round_trip_and_get():
    for reg in (R.L1(0.3), R.L2(0.2), R.L1L2(0.1, 0.4), R.OrthogonalRegularizer(0.5, "columns")):
        config = R.serialize(reg)
        assert config["module"] == "keras.regularizers"
        restored = R.deserialize(config)
        assert type(restored) is type(reg) and restored.get_config() == reg.get_config()
    assert R.L2(0.2).get_config() == {"l2": 0.2}
    assert R.get(None) is None
    assert isinstance(R.get(R.L1), R.L1)
    with pytest.raises(ValueError, match="Did you mean 'l2'"):
        R.get("l22")
    with pytest.raises(ValueError, match="Could not interpret regularizer"):
        R.get(0.1)


# -- constraints --------------------------------------------------------------------------------

EPS = 1e-7


def _col_norms(w, axis=0):
    return np.sqrt((w ** 2).sum(axis=axis, keepdims=True))


def test_max_norm():
    w = np.array([[3.0, 0.3], [4.0, 0.4]])  # column norms 5 and 0.5
    got = C.MaxNorm(max_value=2.0)(w)
    np.testing.assert_allclose(got, w * np.minimum(_col_norms(w), 2.0) / (EPS + _col_norms(w)), rtol=1e-12)
    np.testing.assert_allclose(_col_norms(got), [[2.0, 0.5]], rtol=1e-6)
    row = C.MaxNorm(max_value=1.0, axis=1)(w)
    np.testing.assert_allclose(_col_norms(row, axis=1), [[1.0], [1.0]], rtol=1e-6)


def test_min_max_norm():
    w = np.array([[3.0, 0.3], [4.0, 0.4]])
    got = C.MinMaxNorm(min_value=1.0, max_value=2.0, rate=0.5)(w)
    norms = _col_norms(w)
    desired = 0.5 * np.clip(norms, 1.0, 2.0) + 0.5 * norms
    np.testing.assert_allclose(got, w * desired / (EPS + norms), rtol=1e-12)
    np.testing.assert_allclose(_col_norms(got), [[3.5, 0.75]], rtol=1e-6)


def test_non_neg_and_unit_norm():
    np.testing.assert_array_equal(C.NonNeg()(W), np.maximum(W, 0))
    got = C.UnitNorm()(W)
    np.testing.assert_allclose(got, W / (EPS + _col_norms(W)), rtol=1e-12)
    conv = np.random.default_rng(0).normal(size=(3, 3, 2, 4))
    np.testing.assert_allclose(_col_norms(C.UnitNorm(axis=[0, 1, 2])(conv), axis=(0, 1, 2)), 1.0, rtol=1e-6)


def test_constraints_keep_the_kind_and_dtype_of_their_input():
    v = Variable(W, name="w")
    out = C.MaxNorm(1.0)(v)
    assert isinstance(out, Tensor) and out.dtype == "float32"
    assert isinstance(C.NonNeg()(W), np.ndarray)
    v.assign(C.UnitNorm()(v))
    np.testing.assert_allclose(_col_norms(v.value), 1.0, rtol=1e-6)


@pytest.mark.parametrize("name, cls", [("max_norm", C.MaxNorm), ("MaxNorm", C.MaxNorm),
                                       ("non_neg", C.NonNeg), ("unit_norm", C.UnitNorm),
                                       ("min_max_norm", C.MinMaxNorm)])
def test_constraint_names(name, cls):
    assert type(C.get(name)) is cls


def test_constraint_config_round_trip_and_get():
    for c in (C.MaxNorm(3, axis=1), C.MinMaxNorm(0.5, 2.0, 0.7, axis=[0, 1]), C.NonNeg(), C.UnitNorm(axis=1)):
        config = C.serialize(c)
        assert config["module"] == "keras.constraints"
        restored = C.deserialize(config)
        assert type(restored) is type(c) and restored.get_config() == c.get_config()
    assert C.MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert C.get(None) is None
    with pytest.raises(ValueError, match="Did you mean 'max_norm'"):
        C.get("max_nrom")
