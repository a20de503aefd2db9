"""Forward values, dtypes, Tensor/Variable operators, GradientTape semantics, kcore.random."""

import numpy as np
import pytest

import kcore.random as krandom
from kcore import ops
from kcore.backend.autodiff import GradientTape
from kcore.backend.tensor import Tensor, Variable

_rng = np.random.default_rng(0)
X = _rng.standard_normal((3, 4)).astype(np.float32)
Y = _rng.standard_normal((3, 4)).astype(np.float32)
P = _rng.uniform(0.5, 2.0, (3, 4)).astype(np.float32)


def _close(a, b, **kw):
    np.testing.assert_allclose(ops.convert_to_numpy(a), b, rtol=kw.get("rtol", 1e-5),
                               atol=kw.get("atol", 1e-6))


# -- forward values against numpy ------------------------------------------------------------
UNARY = [
    ("negative", np.negative, X), ("abs", np.abs, X), ("sign", np.sign, X),
    ("square", np.square, X), ("sqrt", np.sqrt, P), ("rsqrt", lambda a: 1 / np.sqrt(a), P),
    ("exp", np.exp, X), ("expm1", np.expm1, X), ("log", np.log, P), ("log1p", np.log1p, P),
    ("log2", np.log2, P), ("log10", np.log10, P), ("sin", np.sin, X), ("cos", np.cos, X),
    ("tan", np.tan, X * 0.5), ("tanh", np.tanh, X), ("sinh", np.sinh, X), ("cosh", np.cosh, X),
    ("arctan", np.arctan, X), ("arcsin", np.arcsin, X * 0.3), ("arccos", np.arccos, X * 0.3),
    ("round", np.round, X * 3), ("floor", np.floor, X * 3), ("ceil", np.ceil, X * 3),
    ("reciprocal", np.reciprocal, P), ("isnan", np.isnan, X), ("isfinite", np.isfinite, X),
    ("logical_not", np.logical_not, X > 0), ("ravel", np.ravel, X),
    ("cumsum", lambda a: np.cumsum(a), X), ("flip", np.flip, X),
]


@pytest.mark.parametrize("name,ref,x", UNARY, ids=[u[0] for u in UNARY])
def test_unary_matches_numpy_and_keeps_float32(name, ref, x):
    out = getattr(ops, name)(x)
    _close(out, ref(x))
    assert out.dtype == np.asarray(ref(x)).dtype.name


BINARY = [
    ("add", np.add), ("subtract", np.subtract), ("multiply", np.multiply),
    ("divide", np.divide), ("maximum", np.maximum), ("minimum", np.minimum),
    ("power", lambda a, b: np.power(np.abs(a), b)), ("mod", np.mod),
    ("floor_divide", np.floor_divide), ("arctan2", np.arctan2), ("equal", np.equal),
    ("not_equal", np.not_equal), ("greater", np.greater), ("less_equal", np.less_equal),
    ("greater_equal", np.greater_equal), ("less", np.less),
]


@pytest.mark.parametrize("name,ref", BINARY, ids=[b[0] for b in BINARY])
def test_binary_matches_numpy_with_broadcasting(name, ref):
    a, b = (np.abs(X), Y[0]) if name == "power" else (X, Y[:1] + 2.5 if name in ("mod", "floor_divide") else Y[0])
    out = getattr(ops, name)(a, b)
    _close(out, ref(a, b))
    assert out.dtype == ref(a, b).dtype.name


def test_erf_is_accurate():
    import math

    x = np.linspace(-4, 4, 41)
    _close(ops.erf(x), [math.erf(v) for v in x], rtol=1e-12, atol=1e-15)
    assert ops.erf(x.astype(np.float32)).dtype == "float32"


def test_reductions_match_numpy():
    for name in ("sum", "mean", "max", "min", "prod", "var", "std", "argmax", "argmin"):
        for axis in (None, 0, -1, (0, 1)):
            if name.startswith("arg") and isinstance(axis, tuple):
                continue
            _close(getattr(ops, name)(X, axis=axis), getattr(np, name)(X, axis=axis), rtol=1e-5)
    _close(ops.sum(X, axis=1, keepdims=True), X.sum(1, keepdims=True))
    _close(ops.logsumexp(X, axis=1), np.log(np.exp(X).sum(1)), rtol=1e-6)
    _close(ops.cumprod(X, axis=0), np.cumprod(X, axis=0))
    _close(ops.count_nonzero(np.array([[0, 1], [2, 0]]), axis=0), [1, 1])
    _close(ops.average(X, axis=1, weights=np.arange(4.0)), np.average(X, axis=1, weights=np.arange(4.0)))
    assert bool(ops.all(X == X)) and not bool(ops.any(X != X))


@pytest.mark.parametrize("ord,axis", [(None, None), (2, 1), (1, 0), (np.inf, 1), (-np.inf, 1),
                                      (0, 1), (3, 1), ("fro", (0, 1)), (1, (0, 1)),
                                      (np.inf, (0, 1))])
def test_norm_matches_numpy(ord, axis):
    _close(ops.norm(X, ord=ord, axis=axis), np.linalg.norm(X, ord=ord, axis=axis), rtol=1e-5)


def test_shape_ops_match_numpy():
    a = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)
    _close(ops.reshape(a, (4, -1)), a.reshape(4, -1))
    _close(ops.transpose(a, (2, 0, 1)), a.transpose(2, 0, 1))
    _close(ops.expand_dims(a, (0, -1)), a[None, ..., None])
    _close(ops.squeeze(a[:, :1], 1), a[:, 0])
    _close(ops.concatenate([a, a], axis=-1), np.concatenate([a, a], -1))
    _close(ops.stack([a, a], axis=1), np.stack([a, a], 1))
    for got, want in zip(ops.split(a, [1, 3], axis=2), np.split(a, [1, 3], axis=2)):
        _close(got, want)
    _close(ops.tile(a, (1, 2, 1)), np.tile(a, (1, 2, 1)))
    _close(ops.repeat(a, 2, axis=0), np.repeat(a, 2, axis=0))
    for mode in ("constant", "reflect", "symmetric", "edge", "wrap"):
        _close(ops.pad(a, ((0, 1), (2, 1), (1, 0)), mode=mode), np.pad(a, ((0, 1), (2, 1), (1, 0)), mode=mode))
    _close(ops.take(a, [2, 0, 2], axis=2), np.take(a, [2, 0, 2], axis=2))
    idx = np.argsort(a, axis=1)
    _close(ops.take_along_axis(a, idx, axis=1), np.take_along_axis(a, idx, axis=1))
    _close(ops.broadcast_to(a[:, :1], (2, 3, 4)), np.broadcast_to(a[:, :1], (2, 3, 4)))
    _close(ops.swapaxes(a, 0, 2), np.swapaxes(a, 0, 2))
    _close(ops.moveaxis(a, 0, -1), np.moveaxis(a, 0, -1))
    _close(ops.moveaxis(a, (0, 1), (2, 0)), np.moveaxis(a, (0, 1), (2, 0)))
    _close(ops.slice(a, (1, 0, 1), (1, 2, 3)), a[1:2, 0:2, 1:4])
    _close(ops.slice_update(a, (0, 1, 1), np.zeros((1, 2, 2))), _updated(a))
    _close(ops.tril(a[0]), np.tril(a[0]))
    _close(ops.triu(a[0], 1), np.triu(a[0], 1))
    _close(ops.diag(a[0, 0]), np.diag(a[0, 0]))
    _close(ops.diagonal(a, 1, 1, 2), np.diagonal(a, 1, 1, 2))
    _close(ops.roll(a, 2, axis=-1), np.roll(a, 2, axis=-1))
    assert ops.shape(a) == (2, 3, 4) and ops.size(a) == 24


def _updated(a):
    b = a.copy()
    b[0:1, 1:3, 1:3] = 0
    return b


def test_sort_argsort_top_k():
    x = np.array([[3.0, 1.0, 3.0, 2.0]], np.float32)
    _close(ops.sort(x), np.sort(x))
    _close(ops.argsort(x), [[1, 3, 0, 2]])
    values, indices = ops.top_k(x, 2)
    _close(values, [[3.0, 3.0]])
    _close(indices, [[0, 2]])  # ties: lower index first


def test_scatter():
    out = ops.scatter(np.array([[0, 1], [0, 1], [2, 0]]), np.array([1.0, 2.0, 3.0]), (3, 2))
    _close(out, [[0, 3], [0, 0], [3, 0]])
    out = ops.scatter_update(np.zeros((2, 2)), np.array([[1, 1]]), np.array([5.0]))
    _close(out, [[0, 0], [0, 5]])


def test_linalg_matches_numpy():
    a, b = X, Y.T
    _close(ops.matmul(a, b), a @ b, rtol=1e-5)
    _close(ops.dot(a[0], b[:, 0]), a[0] @ b[:, 0], rtol=1e-5)
    c = _rng.standard_normal((2, 3, 4))
    d = _rng.standard_normal((5, 4, 2))
    _close(ops.dot(c, d), np.dot(c, d))
    _close(ops.tensordot(c, d, axes=([2], [1])), np.tensordot(c, d, axes=([2], [1])))
    _close(ops.einsum("bij,kjl->bikl", c, d), np.einsum("bij,kjl->bikl", c, d))
    _close(ops.einsum("...j,j", c, c[0, 0]), np.einsum("...j,j", c, c[0, 0]))
    _close(ops.einsum("ii", c[0, :, :3]), np.trace(c[0, :, :3]))
    _close(ops.outer(a[0], a[1]), np.outer(a[0], a[1]))
    _close(ops.inner(c, c), np.inner(c, c))
    _close(ops.trace(c[0, :, :3]), np.trace(c[0, :, :3]))
    _close(ops.vdot(a, a), np.vdot(a, a), rtol=1e-5)


def test_creation_defaults_to_floatx():
    for t in (ops.zeros((2,)), ops.ones(3), ops.full((2,), 1.5), ops.eye(3), ops.identity(2),
              ops.tri(3), ops.linspace(0, 1, 5), ops.arange(0.0, 1.0, 0.25)):
        assert t.dtype == "float32"
    assert ops.arange(4).dtype == "int32"
    _close(ops.arange(1, 7, 2), [1, 3, 5])
    assert ops.zeros_like(np.zeros(2, np.int64)).dtype == "int64"
    assert ops.ones_like(X, dtype="float64").dtype == "float64"
    assert ops.full_like(X, 2).dtype == "float32"
    assert ops.convert_to_tensor([1.0, 2.0]).dtype == "float32"
    assert ops.convert_to_tensor([1, 2]).dtype == "int64"
    _close(ops.eye(3, 4, k=1), np.eye(3, 4, 1))


def test_one_hot_and_multi_hot():
    _close(ops.one_hot(np.array([0, 2, -1]), 3), [[1, 0, 0], [0, 0, 1], [0, 0, 0]])
    assert ops.one_hot(np.array([1]), 2).dtype == "float32"
    _close(ops.one_hot(np.array([0, 1]), 3, axis=0), np.eye(3)[[0, 1]].T)
    _close(ops.multi_hot(np.array([[0, 2], [1, 1]]), 3), [[1, 0, 1], [0, 1, 0]])
    _close(ops.multi_hot(np.array([0, 2]), 3), [1, 0, 1])


# -- activations and losses ------------------------------------------------------------------
def _sig(x):
    return 1 / (1 + np.exp(-x))


ACTIVATIONS = [
    ("relu", lambda x: np.maximum(x, 0)), ("relu6", lambda x: np.clip(x, 0, 6)),
    ("sigmoid", _sig), ("hard_sigmoid", lambda x: np.clip(x + 3, 0, 6) / 6),
    ("hard_silu", lambda x: x * np.clip(x + 3, 0, 6) / 6),
    ("softplus", lambda x: np.log1p(np.exp(x))), ("softsign", lambda x: x / (1 + np.abs(x))),
    ("elu", lambda x: np.where(x > 0, x, np.expm1(x))),
    ("selu", lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))),
    ("gelu", lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))),
    ("silu", lambda x: x * _sig(x)), ("leaky_relu", lambda x: np.where(x > 0, x, 0.2 * x)),
    ("log_sigmoid", lambda x: np.log(_sig(x))), ("mish", lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    ("softmax", lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
    ("log_softmax", lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True))),
]


@pytest.mark.parametrize("name,ref", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_matches_reference(name, ref):
    x = X * 4
    out = getattr(ops, name)(x)
    assert out.dtype == "float32"
    _close(out, ref(x.astype(np.float64)), rtol=1e-5, atol=1e-6)


def test_gelu_exact():
    import math

    x = np.linspace(-3, 3, 7)
    _close(ops.gelu(x, approximate=False), [0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x])


EXTREME = np.array([-300.0, -30.0, 0.0, 30.0, 300.0], np.float32)


@pytest.mark.parametrize("name", ["sigmoid", "softplus", "log_sigmoid", "softmax", "log_softmax",
                                  "logsumexp", "silu", "gelu", "elu", "selu", "mish", "tanh",
                                  "softsign", "hard_sigmoid"])
def test_extreme_inputs_are_finite_without_warnings(name):
    fn = getattr(ops, name)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        x = Tensor(EXTREME)
        with GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
        g = tape.gradient(y, x)
    assert np.all(np.isfinite(y.numpy())) and y.dtype == "float32"
    assert np.all(np.isfinite(g.numpy()))


def test_extreme_values_are_right():
    _close(ops.sigmoid(EXTREME), [0, 9.357623e-14, 0.5, 1, 1], atol=0)
    _close(ops.softplus(EXTREME), [0, 9.357623e-14, np.log(2), 30, 300])
    _close(ops.log_sigmoid(EXTREME), [-300, -30, -np.log(2), -9.357623e-14, 0])
    _close(ops.logsumexp(np.array([300.0, 300.0], np.float32)), 300 + np.log(2))
    _close(ops.logsumexp(np.array([-300.0, -300.0], np.float32)), -300 + np.log(2))
    _close(ops.softmax(np.array([300.0, -300.0], np.float32)), [1, 0])


def test_crossentropies_at_extremes():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        logits = Tensor(np.array([[300.0, -300.0], [-300.0, 300.0]], np.float32))
        with GradientTape(persistent=True) as tape:
            tape.watch(logits)
            cce = ops.categorical_crossentropy(np.array([[0.0, 1.0], [0.0, 1.0]]), logits, from_logits=True)
            scce = ops.sparse_categorical_crossentropy(np.array([1, 1]), logits, from_logits=True)
            bce = ops.binary_crossentropy(np.array([[0.0, 1.0], [1.0, 1.0]], np.float32), logits,
                                          from_logits=True)
        _close(cce, [600, 0])
        _close(scce, [600, 0])
        _close(bce, [[300, 300], [300, 0]])
        for loss in (cce, scce, bce):
            assert loss.dtype == "float32"
            assert np.all(np.isfinite(tape.gradient(loss, logits).numpy()))
        _close(tape.gradient(cce, logits), [[1, -1], [0, 0]])
        probs = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
        eps = 1e-7
        _close(ops.categorical_crossentropy(np.array([[0.0, 1.0]]), probs[:1]), [-np.log(eps)], rtol=1e-3)
        _close(ops.binary_crossentropy(np.array([1.0, 0.0]), probs[0]), [-np.log(1 - eps), -np.log(1 - eps)], rtol=1e-3)
        assert np.isfinite(ops.sparse_categorical_crossentropy(np.array([1]), probs[:1]).numpy()).all()


def test_crossentropy_values():
    t = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], np.float32)
    logits = X[:2, :3]
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    _close(ops.categorical_crossentropy(t, logits, from_logits=True), -(t * logp).sum(-1))
    _close(ops.categorical_crossentropy(t, np.exp(logp)), -(t * logp).sum(-1), rtol=1e-5)
    _close(ops.sparse_categorical_crossentropy(np.array([1, 0]), logits, from_logits=True), -(t * logp).sum(-1))
    _close(ops.sparse_categorical_crossentropy(np.array([[1], [0]]), np.exp(logp)), -(t * logp).sum(-1), rtol=1e-5)
    p = _sig(logits)
    _close(ops.binary_crossentropy(t, logits, from_logits=True), -(t * np.log(p) + (1 - t) * np.log(1 - p)), rtol=1e-5)
    _close(ops.binary_crossentropy(t, p), -(t * np.log(p) + (1 - t) * np.log(1 - p)), rtol=1e-5)


def test_moments_batch_normalization_normalize():
    m, v = ops.moments(X, axes=[0])
    _close(m, X.mean(0))
    _close(v, X.var(0))
    m, v = ops.moments(X, axes=(0, 1), keepdims=True)
    assert m.shape == (1, 1)
    mean, var = X.mean(0), X.var(0)
    gamma, beta = np.arange(4.0, dtype=np.float32), np.ones(4, np.float32)
    out = ops.batch_normalization(X, mean, var, axis=-1, offset=beta, scale=gamma, epsilon=1e-3)
    _close(out, (X - mean) / np.sqrt(var + 1e-3) * gamma + beta, rtol=1e-5)
    assert out.dtype == "float32"
    _close(ops.normalize(X), X / np.linalg.norm(X, axis=-1, keepdims=True))
    _close(ops.normalize(X, axis=0, order=1), X / np.abs(X).sum(0))
    _close(ops.normalize(np.zeros((1, 3), np.float32)), np.zeros((1, 3)))


# -- ties and subgradients ----------------------------------------------------------------------
def _grad(fn, *arrays):
    ts = [Tensor(np.asarray(a, np.float64)) for a in arrays]
    with GradientTape() as tape:
        tape.watch(ts)
        y = fn(*ts)
    return [None if g is None else g.numpy() for g in tape.gradient(y, ts)]


def test_tie_conventions():
    g1, g2 = _grad(ops.maximum, [1.0, 2.0], [1.0, 3.0])
    _close(g1, [1, 0]) and _close(g2, [0, 1])
    g1, g2 = _grad(ops.minimum, [1.0], [1.0])
    _close(g1, [1])
    _close(g2, [0])
    (g,) = _grad(lambda x: ops.clip(x, 0.0, 1.0), [0.0, 0.5, 1.0, 1.5, -1.0])
    _close(g, [1, 1, 1, 0, 0])
    (g,) = _grad(ops.max, [1.0, 3.0, 3.0])
    _close(g, [0, 0.5, 0.5])
    (g,) = _grad(ops.relu, [0.0, 1.0, -1.0])
    _close(g, [0, 1, 0])
    (g,) = _grad(ops.abs, [0.0, -2.0])
    _close(g, [0, -1])
    (g,) = _grad(lambda x: ops.elu(x), [1000.0, -1.0])
    assert np.all(np.isfinite(g))


def test_nondifferentiable_ops_give_no_gradient():
    for fn in (ops.round, ops.floor, ops.ceil, ops.sign, lambda x: ops.argmax(x),
               lambda x: ops.cast(ops.greater(x, 0), "float64")):
        (g,) = _grad(fn, [0.3, 1.7])
        assert g is None


# -- dtypes ----------------------------------------------------------------------------------
def test_float32_stays_float32_with_python_scalars():
    x = Tensor(X)
    for out in (x + 1.5, 2.0 * x, x / 3.0, x - 1, x ** 2, 2.0 ** x, ops.clip(x, -1.0, 1.0),
                ops.where(x > 0, x, 0.0), ops.maximum(x, 0.0), ops.mean(x), ops.std(x, axis=0),
                ops.logsumexp(x), ops.norm(x), ops.gelu(x), ops.selu(x), ops.log2(P), ops.erf(x)):
        assert out.dtype == "float32", out


def test_int_and_bool_tensors():
    i = Tensor(np.arange(6, dtype=np.int32).reshape(2, 3))
    for out in (i + 1, i * 2, -i, i // 2, i % 4, ops.sum(i, axis=0), ops.max(i), ops.reshape(i, (3, 2)),
                i[0], i[:, [0, 2]], ops.concatenate([i, i]), ops.transpose(i), ops.abs(i)):
        assert out.dtype == "int32", out
    assert ops.mean(i).dtype == "float32"
    assert (i > 2).dtype == "bool"
    assert ops.logical_and(i > 1, i < 4).dtype == "bool"
    assert ((i > 1) & (i < 4)).dtype == "bool" and (~(i > 1)).dtype == "bool"
    assert ops.argmax(X, axis=1).dtype.startswith("int")


def test_float64_end_to_end():
    x = Variable(np.ones((2, 3)), dtype="float64")
    w = Variable(np.full((3, 2), 0.5), dtype="float64")
    with GradientTape() as tape:
        y = ops.mean(ops.softmax(ops.matmul(x, w) * 2.0 + 1.0))
        loss = ops.categorical_crossentropy(np.eye(2), ops.matmul(x, w), from_logits=True)
    assert y.dtype == "float64" and loss.dtype == "float64"
    gw = tape.gradient(loss, w)
    assert gw.dtype == "float64"


# -- operators on Tensor and Variable -----------------------------------------------------------
@pytest.mark.parametrize("make", [Tensor, lambda a: Variable(a)], ids=["Tensor", "Variable"])
def test_operators(make):
    a, b = make(X), make(P)
    _close(a + b, X + P)
    _close(a - b, X - P)
    _close(a * b, X * P)
    _close(a / b, X / P)
    _close(a // b, X // P)
    _close(a % b, X % P)
    _close(b ** a, P ** X, rtol=1e-5)
    _close(a @ b.T, X @ P.T, rtol=1e-5)
    _close(1.0 - a, 1.0 - X)
    _close(2.0 / b, 2.0 / P)
    _close(X @ b.T, X @ P.T, rtol=1e-5)
    _close(-a, -X)
    _close(abs(a), np.abs(X))
    for op in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"):
        _close(getattr(a, op)(0.0), getattr(X, op)(0.0))
    _close(a[1:, ::2], X[1:, ::2])
    _close(a[np.array([2, 0, 2])], X[[2, 0, 2]])
    _close(a[X > 0], X[X > 0])
    _close(a[a > 0], X[X > 0])
    _close(a[..., None, 1], X[..., None, 1])
    _close(a[Tensor(np.array([1, 0]))], X[[1, 0]])
    _close(a.T, X.T)
    assert a.shape == (3, 4) and a.dtype == "float32" and a.ndim == 2 and len(a) == 3
    assert isinstance(a.numpy(), np.ndarray)
    np.testing.assert_array_equal(np.asarray(a), X)
    assert np.asarray(a, dtype=np.float64).dtype == np.float64
    _close(a.reshape(4, 3), X.reshape(4, 3))
    assert a.astype("float64").dtype == "float64"


def test_scalar_variable_keeps_shape():
    v = Variable(np.float32(2.5))
    assert v.shape == () and float(v) == 2.5


def test_cast_accepts_numpy_dtype_objects():
    assert ops.cast(np.ones(2, np.float32), np.dtype("float64")).dtype == "float64"


def test_scalar_tensor_conversions():
    t = Tensor(np.float32(2.5))
    assert float(t) == 2.5 and t.shape == () and f"{t:.1f}" == "2.5"


def test_getitem_gradients():
    x = Tensor(np.arange(4.0))
    with GradientTape(persistent=True) as tape:
        tape.watch(x)
        rep = x[np.array([1, 1, 3])]
        msk = x[x.numpy() > 1]
        sl = x[1:3]
    _close(tape.gradient(rep, x), [0, 2, 0, 1])
    _close(tape.gradient(msk, x), [0, 0, 1, 1])
    _close(tape.gradient(sl, x), [0, 1, 1, 0])


# -- GradientTape semantics ---------------------------------------------------------------------
def test_tape_variables_watched_automatically_and_constants_not():
    v = Variable(np.array([2.0, 3.0]))
    c = Tensor(np.array([1.0, 1.0], np.float32))
    with GradientTape() as tape:
        y = ops.sum(v * v + c)
    gv, gc = tape.gradient(y, [v, c])
    _close(gv, [4, 6])
    assert gc is None


def test_tape_watch_and_nested_sources():
    x = Tensor(np.array(3.0, np.float32))
    v = Variable(np.array(1.0))
    with GradientTape() as tape:
        tape.watch(x)
        y = x * x * v
    grads = tape.gradient(y, {"a": [x], "b": (v,)})
    _close(grads["a"][0], 6.0)
    _close(grads["b"][0], 9.0)


def test_tape_persistent_and_non_persistent():
    v = Variable(np.array(2.0))
    with GradientTape() as tape:
        y = v * v
    tape.gradient(y, v)
    with pytest.raises(RuntimeError):
        tape.gradient(y, v)
    with GradientTape(persistent=True) as tape:
        y = v * v
        z = y * v
    _close(tape.gradient(y, v), 4.0)
    _close(tape.gradient(z, v), 12.0)


def test_tape_stop_recording_unconnected_and_zero():
    v = Variable(np.array(2.0))
    u = Variable(np.array([1.0, 2.0]))
    with GradientTape(persistent=True) as tape:
        with tape.stop_recording():
            a = v * v
        b = v * 3.0
    assert tape.gradient(a, v) is None
    assert tape.gradient(b, u) is None
    _close(tape.gradient(b, u, unconnected_gradients="zero"), [0, 0])
    _close(tape.gradient(b, v), 3.0)


def test_tape_watch_accessed_variables_false_and_non_trainable():
    v = Variable(np.array(2.0))
    frozen = Variable(np.array(2.0), trainable=False)
    with GradientTape(watch_accessed_variables=False) as tape:
        y = v * v
    assert tape.gradient(y, v) is None
    with GradientTape() as tape:
        y = frozen * v
    assert tape.watched_variables() == [v]
    assert tape.gradient(y, frozen) is None


def test_tape_int_tensors_give_none():
    i = Tensor(np.array([1, 2]))
    with GradientTape() as tape:
        tape.watch(i)
        y = ops.sum(i * 2)
    assert tape.gradient(y, i) is None


def test_tape_accumulates_through_reuse_and_broadcasting():
    b = Variable(np.zeros(3))
    x = np.ones((4, 3), np.float32)
    with GradientTape() as tape:
        y = ops.sum(x + b) + ops.sum(b * 2.0)
    _close(tape.gradient(y, b), [6, 6, 6])


def test_multi_output_primitive_gradients():
    x = Tensor(np.arange(6.0))
    with GradientTape() as tape:
        tape.watch(x)
        a, b, c = ops.split(x, 3)
        y = ops.sum(a) + 2.0 * ops.sum(c)
    _close(tape.gradient(y, x), [1, 1, 0, 0, 2, 2])


# -- kcore.random ------------------------------------------------------------------------------
def test_random_seeded_reproducibility():
    for fn in (lambda s: krandom.normal((3,), seed=s), lambda s: krandom.uniform((3,), seed=s),
               lambda s: krandom.truncated_normal((3,), seed=s),
               lambda s: krandom.randint((3,), 0, 10, seed=s)):
        np.testing.assert_array_equal(fn(7).numpy(), fn(7).numpy())
        assert not np.array_equal(fn(7).numpy(), fn(8).numpy())
    assert krandom.normal((2,), seed=1).dtype == "float32"


def test_seed_generator_advances_and_restarts():
    gen = krandom.SeedGenerator(42)
    a, b = krandom.normal((4,), seed=gen), krandom.normal((4,), seed=gen)
    assert not np.array_equal(a.numpy(), b.numpy())
    gen2 = krandom.SeedGenerator(42)
    np.testing.assert_array_equal(krandom.normal((4,), seed=gen2).numpy(), a.numpy())


def test_dropout_scaling():
    x = np.ones((200, 50), np.float32)
    y = krandom.dropout(x, 0.25, seed=3).numpy()
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)
    assert abs(kept.mean() - 0.75) < 0.02
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, krandom.dropout(x, 0.25, seed=3).numpy())


def test_integer_inputs_of_float_ops_give_floatx_as_keras():
    ints = np.arange(1, 4)
    for fn in (ops.sqrt, ops.exp, ops.log, ops.tanh, ops.sin):
        assert fn(ints).dtype == "float32", fn.__name__
    assert ops.divide(ints, ints).dtype == "float32"
    assert ops.add(ints, 1.5).dtype == "float32"
    assert ops.multiply(2.5, ints).dtype == "float32"
    assert ops.add(ints, 1).dtype == "int64"  # int + int stays int


@pytest.mark.parametrize("channels", [3, 6])  # window-major and position-major patches
@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv_with_bias_and_relu_is_conv_then_add_then_relu(channels, relu, data_format):
    """The Conv layers' fused op (bias as a GEMM row, relu in place) computes the same."""
    rng = np.random.default_rng(5)
    shape = (2, 7, 6, channels) if data_format == "channels_last" else (2, channels, 7, 6)
    x = rng.standard_normal(shape).astype("float32")
    kernel = rng.standard_normal((3, 2, channels, 5)).astype("float32")
    bias = rng.standard_normal(5).astype("float32") * 3
    fused = ops.conv(x, kernel, padding="same", data_format=data_format, bias=bias, relu=relu)
    b = bias if data_format == "channels_last" else bias[:, None, None]
    plain = ops.conv(x, kernel, padding="same", data_format=data_format).numpy() + b
    if relu:
        plain = np.maximum(plain, 0)
    np.testing.assert_allclose(fused.numpy(), plain, rtol=1e-5, atol=1e-5)
