"""Every loss against a hand-written float64 numpy formula, every reduction, with and without
sample weights; numerical gradient checks; names, configs and string identifiers."""

import numpy as np
import pytest

import kcore
from kcore import losses

EPS = 1e-7
rng = np.random.default_rng(0)


# -- reference formulas (float64 numpy, written independently of kcore) ------------------
def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _log_softmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def ref_mse(t, p):
    return np.mean((t - p) ** 2, axis=-1)


def ref_mae(t, p):
    return np.mean(np.abs(t - p), axis=-1)


def ref_mape(t, p):
    return 100.0 * np.mean(np.abs(t - p) / np.maximum(np.abs(t), EPS), axis=-1)


def ref_msle(t, p):
    return np.mean((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2, -1)


def ref_cosine(t, p, axis=-1):
    tn = t / np.linalg.norm(t, axis=axis, keepdims=True)
    pn = p / np.linalg.norm(p, axis=axis, keepdims=True)
    return -np.sum(tn * pn, axis=axis)


def ref_huber(t, p, delta=1.0):
    e = np.abs(p - t)
    return np.mean(np.where(e <= delta, 0.5 * e ** 2, delta * e - 0.5 * delta ** 2), axis=-1)


def ref_log_cosh(t, p):
    return np.mean(np.log(np.cosh(p - t)), axis=-1)


def ref_kld(t, p):
    t, p = np.clip(t, EPS, 1), np.clip(p, EPS, 1)
    return np.sum(t * np.log(t / p), axis=-1)


def ref_poisson(t, p):
    return np.mean(p - t * np.log(p + EPS), axis=-1)


def _bce_elementwise(t, p, from_logits):
    if from_logits:
        return np.maximum(p, 0) - p * t + np.log1p(np.exp(-np.abs(p)))
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def ref_bce(t, p, from_logits=False, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    return np.mean(_bce_elementwise(t, p, from_logits), axis=-1)


def ref_bfce(t, p, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
             label_smoothing=0.0):
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        p = _sigmoid(p)
    p_t = t * p + (1 - t) * (1 - p)
    out = (1 - p_t) ** gamma * _bce_elementwise(t, p, False)
    if apply_class_balancing:
        out = (t * alpha + (1 - t) * (1 - alpha)) * out
    return np.mean(out, axis=-1)


def _probs(p, from_logits):
    if from_logits:
        return np.exp(_log_softmax(p))
    return np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)


def ref_cce(t, p, from_logits=False, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    logp = _log_softmax(p) if from_logits else np.log(_probs(p, False))
    return -np.sum(t * logp, axis=-1)


def ref_cfce(t, p, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    q = np.clip(_probs(p, from_logits) / _probs(p, from_logits).sum(-1, keepdims=True),
                EPS, 1 - EPS)
    return np.sum(alpha * (1 - q) ** gamma * -t * np.log(q), axis=-1)


def ref_scce(labels, p, from_logits=False):
    labels = labels.reshape(p.shape[:-1]).astype(int)
    logp = _log_softmax(p) if from_logits else np.log(_probs(p, False))
    return -np.take_along_axis(logp, labels[..., None], axis=-1)[..., 0]


def _to_pm1(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


def ref_hinge(t, p):
    return np.mean(np.maximum(1 - _to_pm1(t) * p, 0), axis=-1)


def ref_squared_hinge(t, p):
    return np.mean(np.maximum(1 - _to_pm1(t) * p, 0) ** 2, axis=-1)


def ref_categorical_hinge(t, p):
    return np.maximum(np.max((1 - t) * p, -1) - np.sum(t * p, -1) + 1, 0)


# -- data --------------------------------------------------------------------------------
def reals(shape=(6, 4)):
    return rng.normal(size=shape), rng.normal(size=shape)


def positives(shape=(6, 4)):
    return rng.uniform(0.1, 3, size=shape), rng.uniform(0.1, 3, size=shape)


def binary(shape=(6, 4)):
    return rng.integers(0, 2, size=shape).astype(float), rng.uniform(0.02, 0.98, size=shape)


def binary_logits(shape=(6, 4)):
    return rng.integers(0, 2, size=shape).astype(float), rng.normal(scale=3, size=shape)


def onehot(shape=(6, 4)):
    t = np.eye(shape[-1])[rng.integers(0, shape[-1], size=shape[:-1])]
    p = rng.uniform(0.05, 1, size=shape)
    return t, p / p.sum(-1, keepdims=True)


def onehot_logits(shape=(6, 4)):
    return onehot(shape)[0], rng.normal(scale=3, size=shape)


def distributions(shape=(6, 4)):
    a, b = rng.uniform(0.05, 1, size=shape), rng.uniform(0.05, 1, size=shape)
    return a / a.sum(-1, keepdims=True), b / b.sum(-1, keepdims=True)


def pm1(shape=(6, 4)):
    return rng.choice([-1.0, 1.0], size=shape), rng.normal(size=shape)


# (class, constructor kwargs, reference, data, function, default name)
CASES = [
    (losses.MeanSquaredError, {}, ref_mse, reals, losses.mean_squared_error,
     "mean_squared_error"),
    (losses.MeanAbsoluteError, {}, ref_mae, reals, losses.mean_absolute_error,
     "mean_absolute_error"),
    (losses.MeanAbsolutePercentageError, {}, ref_mape, positives,
     losses.mean_absolute_percentage_error, "mean_absolute_percentage_error"),
    (losses.MeanSquaredLogarithmicError, {}, ref_msle, positives,
     losses.mean_squared_logarithmic_error, "mean_squared_logarithmic_error"),
    (losses.CosineSimilarity, {}, ref_cosine, reals, losses.cosine_similarity,
     "cosine_similarity"),
    (losses.Huber, {}, ref_huber, reals, losses.huber, "huber_loss"),
    (losses.Huber, {"delta": 0.3}, lambda t, p: ref_huber(t, p, 0.3), reals, None, None),
    (losses.LogCosh, {}, ref_log_cosh, reals, losses.log_cosh, "log_cosh"),
    (losses.KLDivergence, {}, ref_kld, distributions, losses.kl_divergence, "kl_divergence"),
    (losses.Poisson, {}, ref_poisson, positives, losses.poisson, "poisson"),
    (losses.BinaryCrossentropy, {}, ref_bce, binary, losses.binary_crossentropy,
     "binary_crossentropy"),
    (losses.BinaryCrossentropy, {"from_logits": True},
     lambda t, p: ref_bce(t, p, from_logits=True), binary_logits, None, None),
    (losses.BinaryCrossentropy, {"label_smoothing": 0.2},
     lambda t, p: ref_bce(t, p, label_smoothing=0.2), binary, None, None),
    (losses.BinaryCrossentropy, {"from_logits": True, "label_smoothing": 0.1},
     lambda t, p: ref_bce(t, p, True, 0.1), binary_logits, None, None),
    (losses.BinaryFocalCrossentropy, {}, ref_bfce, binary, losses.binary_focal_crossentropy,
     "binary_focal_crossentropy"),
    (losses.BinaryFocalCrossentropy,
     {"apply_class_balancing": True, "alpha": 0.4, "gamma": 3.0, "from_logits": True,
      "label_smoothing": 0.1},
     lambda t, p: ref_bfce(t, p, True, 0.4, 3.0, True, 0.1), binary_logits, None, None),
    (losses.CategoricalCrossentropy, {}, ref_cce, onehot, losses.categorical_crossentropy,
     "categorical_crossentropy"),
    (losses.CategoricalCrossentropy, {"from_logits": True, "label_smoothing": 0.1},
     lambda t, p: ref_cce(t, p, True, 0.1), onehot_logits, None, None),
    (losses.CategoricalFocalCrossentropy, {}, ref_cfce, onehot,
     losses.categorical_focal_crossentropy, "categorical_focal_crossentropy"),
    (losses.CategoricalFocalCrossentropy,
     {"alpha": 0.5, "gamma": 1.0, "from_logits": True, "label_smoothing": 0.2},
     lambda t, p: ref_cfce(t, p, 0.5, 1.0, True, 0.2), onehot_logits, None, None),
    (losses.Hinge, {}, ref_hinge, binary_logits, losses.hinge, "hinge"),
    (losses.Hinge, {}, ref_hinge, pm1, None, None),
    (losses.SquaredHinge, {}, ref_squared_hinge, binary_logits, losses.squared_hinge,
     "squared_hinge"),
    (losses.CategoricalHinge, {}, ref_categorical_hinge, onehot_logits,
     losses.categorical_hinge, "categorical_hinge"),
]
CASE_IDS = [f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)]


def _sparse(shape=(6, 4), from_logits=False):
    labels = rng.integers(0, shape[-1], size=shape[:-1])
    p = rng.normal(scale=3, size=shape) if from_logits else onehot(shape)[1]
    return labels, p


def _expected(per_sample, weights, reduction):
    w = np.ones(per_sample.shape[0]) if weights is None else weights
    w = w.reshape(w.shape + (1,) * (per_sample.ndim - w.ndim))
    weighted = per_sample * w
    if reduction in ("none", None):
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean_with_sample_weight" and weights is not None:
        return weighted.sum() / weights.sum()
    return weighted.sum() / per_sample.size


@pytest.mark.parametrize("cls,kwargs,ref,data,fn,name", CASES, ids=CASE_IDS)
def test_loss_class_matches_formula(cls, kwargs, ref, data, fn, name):
    t, p = data()
    expected = ref(t, p)
    out = cls(reduction=None, **kwargs)(t, p)
    assert out.dtype == "float32"
    np.testing.assert_allclose(out.numpy(), expected, rtol=2e-5, atol=2e-5)
    if fn is not None:
        np.testing.assert_allclose(kcore.ops.convert_to_numpy(fn(t, p, **kwargs)), expected,
                                   rtol=2e-5, atol=2e-5)
        assert cls().name == name


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean",
                                       "mean_with_sample_weight", "none", None])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("cls,kwargs,ref,data", [(c[0], c[1], c[2], c[3]) for c in CASES[::3]],
                         ids=CASE_IDS[::3])
def test_reductions_and_sample_weight(cls, kwargs, ref, data, reduction, weighted):
    t, p = data()
    w = rng.uniform(0, 2, size=t.shape[0]) if weighted else None
    out = cls(reduction=reduction, dtype="float64", **kwargs)(t, p, sample_weight=w)
    np.testing.assert_allclose(out.numpy(), _expected(ref(t, p), w, reduction), rtol=1e-10)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight",
                                       None])
def test_per_sample_weights_apply_over_timesteps(reduction):
    # (batch,) weights against (batch, timesteps) losses: each sample's weight covers all
    # of its time steps (batch == timesteps, where right-aligned broadcasting would be wrong).
    t, p = rng.normal(size=(3, 3, 2)), rng.normal(size=(3, 3, 2))
    w = np.array([0.5, 0.0, 2.0])
    out = losses.MeanSquaredError(reduction=reduction, dtype="float64")(t, p, sample_weight=w)
    per_step = ref_mse(t, p)
    weighted = per_step * w[:, None]
    expected = {"sum_over_batch_size": weighted.sum() / 9, "sum": weighted.sum(),
                "mean_with_sample_weight": weighted.sum() / w.sum(), None: weighted}[reduction]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10)
    full = losses.MeanSquaredError(reduction=reduction, dtype="float64")(
        t, p, sample_weight=np.repeat(w[:, None], 3, axis=1))
    if reduction != "mean_with_sample_weight":
        np.testing.assert_allclose(out.numpy(), full.numpy(), rtol=1e-10)


def test_sample_weight_shapes_as_keras():
    t, p = rng.normal(size=(4, 1)), rng.normal(size=(4, 1))
    loss = losses.MeanAbsoluteError(dtype="float64")
    w = np.array([0.0, 1.0, 2.0, 3.0])
    expected = np.sum(np.abs(t - p)[:, 0] * w) / 4
    np.testing.assert_allclose(loss(t, p, sample_weight=w).numpy(), expected)
    np.testing.assert_allclose(loss(t, p, sample_weight=w[:, None]).numpy(), expected)
    np.testing.assert_allclose(loss(t[:, 0], p, sample_weight=w).numpy(), expected)
    np.testing.assert_allclose(loss(t, p, sample_weight=2.0).numpy(), 2 * np.mean(np.abs(t - p)))
    assert float(loss(t, p, sample_weight=np.zeros(4))) == 0.0
    assert float(losses.MeanAbsoluteError(reduction="mean_with_sample_weight")(
        t, p, sample_weight=np.zeros(4))) == 0.0
    with pytest.raises(ValueError, match="sample_weight"):
        loss(t, p, sample_weight=np.ones(3))


def test_keras_documented_values():
    # Numbers from the Keras 3 docstrings.
    bce = losses.BinaryCrossentropy(from_logits=True)
    y_true, y_pred = np.array([[0, 1], [0, 0]]), np.array([[-18.6, 0.51], [2.94, -12.8]])
    np.testing.assert_allclose(float(bce(y_true, y_pred)), 0.8654, atol=1e-4)
    np.testing.assert_allclose(float(bce(y_true, y_pred, sample_weight=[0.8, 0.2])), 0.243,
                               atol=1e-3)
    cce = losses.CategoricalCrossentropy()
    t, p = np.array([[0, 1, 0], [0, 0, 1]]), np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    np.testing.assert_allclose(float(cce(t, p)), 1.177, atol=1e-3)
    np.testing.assert_allclose(float(cce(t, p, sample_weight=np.array([0.3, 0.7]))), 0.814,
                               atol=1e-3)
    np.testing.assert_allclose(float(losses.CategoricalFocalCrossentropy()(t, p)), 0.23315276,
                               rtol=1e-5)
    np.testing.assert_allclose(float(losses.SparseCategoricalCrossentropy()([1, 2], p)), 1.177,
                               atol=1e-3)
    np.testing.assert_allclose(
        float(losses.BinaryFocalCrossentropy(apply_class_balancing=True, gamma=3,
                                             from_logits=True)(y_true, y_pred, [0.8, 0.2])),
        0.097, atol=1e-3)
    np.testing.assert_allclose(float(losses.huber([[0, 1], [0, 0]],
                                                  [[0.6, 0.4], [0.4, 0.6]]).numpy().mean()),
                               0.155, atol=1e-3)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_shape", ["flat", "column", "float"])
def test_sparse_categorical_crossentropy_labels(from_logits, label_shape):
    labels, p = _sparse(from_logits=from_logits)
    y_true = {"flat": labels, "column": labels[:, None],
              "float": labels.astype("float32")}[label_shape]
    loss = losses.SparseCategoricalCrossentropy(from_logits=from_logits, reduction=None)
    np.testing.assert_allclose(loss(y_true, p).numpy(), ref_scce(labels, p, from_logits),
                               rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(
        losses.sparse_categorical_crossentropy(y_true, p, from_logits=from_logits).numpy(),
        ref_scce(labels, p, from_logits), rtol=2e-5, atol=2e-5)
    onehot_true = np.eye(p.shape[-1])[labels]
    np.testing.assert_allclose(
        float(losses.SparseCategoricalCrossentropy(from_logits=from_logits)(y_true, p)),
        float(losses.CategoricalCrossentropy(from_logits=from_logits)(onehot_true, p)),
        rtol=1e-5)


def test_sparse_categorical_crossentropy_ignore_class():
    labels, p = _sparse((8, 5))
    labels[[1, 4, 5]] = -1
    valid = labels != -1
    per_sample = np.where(valid, ref_scce(np.where(valid, labels, 0), p), 0.0)
    loss = losses.SparseCategoricalCrossentropy(ignore_class=-1, dtype="float64")
    np.testing.assert_allclose(float(loss(labels, p)), per_sample.sum() / valid.sum())
    fn_out = losses.sparse_categorical_crossentropy(labels, p, ignore_class=-1)
    np.testing.assert_allclose(fn_out.numpy(), per_sample, rtol=1e-5)
    w = rng.uniform(size=8)
    np.testing.assert_allclose(float(loss(labels, p, sample_weight=w)),
                               (per_sample * w).sum() / valid.sum())
    summed = losses.SparseCategoricalCrossentropy(ignore_class=-1, reduction="sum",
                                                  dtype="float64")
    np.testing.assert_allclose(float(summed(labels, p)), per_sample.sum())


@pytest.mark.parametrize("cls,kwargs,data", [
    (losses.BinaryCrossentropy, {"from_logits": True}, binary_logits),
    (losses.BinaryFocalCrossentropy, {"from_logits": True}, binary_logits),
    (losses.CategoricalCrossentropy, {"from_logits": True}, onehot_logits),
    (losses.CategoricalFocalCrossentropy, {"from_logits": True}, onehot_logits),
    (losses.SparseCategoricalCrossentropy, {"from_logits": True}, None),
])
def test_extreme_logits_are_finite(cls, kwargs, data):
    logits = np.array([[300.0, -300.0, 0.0], [-300.0, 300.0, 1.0], [0.0, -300.0, 300.0]])
    if data is None:
        y_true = np.array([1, 0, 2])
    else:
        y_true = np.eye(3)[[1, 0, 2]]
    loss = cls(**kwargs)
    value = float(loss(y_true, logits))
    assert np.isfinite(value) and value > 0
    y_pred = kcore.ops.convert_to_tensor(logits)
    with kcore.GradientTape() as tape:
        tape.watch(y_pred)
        out = loss(y_true, y_pred)
    assert np.all(np.isfinite(tape.gradient(out, y_pred).numpy()))


def test_bce_from_logits_is_exact_for_large_logits():
    # A wrong-way logit of 300 costs 300 nats; clipping probabilities would give ~16.1.
    out = losses.binary_crossentropy([[1.0]], [[-300.0]], from_logits=True)
    np.testing.assert_allclose(out.numpy(), [300.0], rtol=1e-6)
    out = losses.categorical_crossentropy([[1.0, 0.0]], [[-300.0, 0.0]], from_logits=True)
    np.testing.assert_allclose(out.numpy(), [300.0], rtol=1e-6)


def test_probabilities_are_clipped_to_epsilon():
    out = losses.binary_crossentropy([[1.0, 0.0]], [[0.0, 1.0]])
    # In float32, 1 - 1e-7 rounds to 1 - 1.19e-7, hence the two slightly different terms.
    low, high = np.float32(EPS), np.float32(1 - EPS)
    expected = -(np.log(low) + np.log(np.float32(1) - high)) / 2
    np.testing.assert_allclose(out.numpy(), [expected], rtol=1e-5)


def _numeric_grad(f, x, cot, h=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        g[i] = (np.sum(f(xp) * cot) - np.sum(f(xm) * cot)) / (2 * h)
    return g


@pytest.mark.parametrize("loss,data", [
    (losses.MeanSquaredError(dtype="float64", reduction=None), reals),
    (losses.Huber(delta=0.5, dtype="float64", reduction=None), reals),
    (losses.LogCosh(dtype="float64", reduction=None), reals),
    (losses.CosineSimilarity(dtype="float64", reduction=None), reals),
    (losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1, dtype="float64",
                               reduction=None), binary_logits),
    (losses.BinaryFocalCrossentropy(gamma=2.0, from_logits=True, dtype="float64",
                                    reduction=None), binary_logits),
    (losses.CategoricalCrossentropy(from_logits=True, dtype="float64", reduction=None),
     onehot_logits),
    (losses.CategoricalCrossentropy(dtype="float64", reduction=None), onehot),
    (losses.CategoricalFocalCrossentropy(from_logits=True, dtype="float64", reduction=None),
     onehot_logits),
    (losses.KLDivergence(dtype="float64", reduction=None), distributions),
    (losses.SquaredHinge(dtype="float64", reduction=None), pm1),
    (losses.MeanSquaredError(dtype="float64", reduction="mean_with_sample_weight"), reals),
], ids=lambda v: getattr(v, "name", getattr(v, "__name__", "")))
def test_gradient_matches_central_differences(loss, data):
    t, p = data((3, 4))
    w = rng.uniform(0.5, 1.5, size=3)

    def f(x):
        return loss(t, x, sample_weight=w).numpy()

    cot = rng.normal(size=np.shape(f(p)))
    y_pred = kcore.ops.convert_to_tensor(p)
    with kcore.GradientTape() as tape:
        tape.watch(y_pred)
        out = loss(t, y_pred, sample_weight=w)
    grad = tape.gradient(out, y_pred, output_gradients=kcore.ops.convert_to_tensor(cot))
    np.testing.assert_allclose(grad.numpy(), _numeric_grad(f, p, cot), rtol=1e-5, atol=1e-7)


def test_sparse_gradient_matches_central_differences():
    labels, p = _sparse((3, 4), from_logits=True)
    labels[1] = 9
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=9,
                                                dtype="float64")
    y_pred = kcore.ops.convert_to_tensor(p)
    with kcore.GradientTape() as tape:
        tape.watch(y_pred)
        out = loss(labels, y_pred)
    grad = tape.gradient(out, y_pred).numpy()
    np.testing.assert_allclose(grad, _numeric_grad(lambda x: loss(labels, x).numpy(), p, 1.0),
                               rtol=1e-5, atol=1e-8)
    assert np.all(grad[1] == 0)


def test_dtype_handling():
    t = np.array([[1, 0, 1]], dtype="int32")
    p = np.array([[0.2, 0.4, 0.9]], dtype="float64")
    assert losses.MeanSquaredError()(t, p).dtype == "float32"
    assert losses.MeanSquaredError(dtype="float64")(t, p).dtype == "float64"
    assert losses.MeanSquaredError().dtype == "float32"
    assert losses.mean_squared_error(t, p).dtype == "float64"


def test_hinge_label_conversion():
    p = np.array([[0.3, -0.8, 1.5]])
    np.testing.assert_allclose(losses.hinge([[0.0, 1.0, 1.0]], p).numpy(),
                               losses.hinge([[-1.0, 1.0, 1.0]], p).numpy())
    np.testing.assert_allclose(losses.hinge([[2.0, 1.0, 0.0]], p).numpy(),
                               [np.mean(np.maximum(1 - np.array([2.0, 1.0, 0.0]) * p, 0))])


def test_reduction_validation():
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="average")


def test_loss_base_subclass_and_wrapper():
    class MyLoss(losses.Loss):
        def call(self, y_true, y_pred):
            return kcore.ops.mean(kcore.ops.square(y_pred - y_true), axis=-1)

    loss = MyLoss()
    assert loss.name.startswith("my_loss")
    assert float(loss([[0.0, 1.0]], [[1.0, 1.0]])) == 0.5
    wrapper = losses.LossFunctionWrapper(losses.huber, delta=2.0, reduction="sum")
    assert wrapper.name.startswith("loss_function_wrapper")
    assert float(wrapper([[0.0]], [[3.0]])) == pytest.approx(4.0)
    cfg = wrapper.get_config()
    # Keras 3's function config (module "builtins", registered_name "function").
    assert cfg["fn"] == {"module": "builtins", "class_name": "function", "config": "huber",
                         "registered_name": "function"}
    assert cfg["delta"] == 2.0 and cfg["reduction"] == "sum"
    clone = losses.LossFunctionWrapper.from_config(cfg)
    assert clone.fn is losses.huber and float(clone([[0.0]], [[3.0]])) == pytest.approx(4.0)


ALL_CLASSES = sorted({c[0] for c in CASES} | {losses.SparseCategoricalCrossentropy},
                     key=lambda c: c.__name__)


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.__name__)
def test_config_round_trip(cls):
    loss = cls(reduction="sum", name="custom")
    cfg = loss.get_config()
    assert cfg["name"] == "custom" and cfg["reduction"] == "sum"
    clone = cls.from_config(cfg)
    assert clone.get_config() == cfg
    restored = losses.deserialize(losses.serialize(loss))
    assert type(restored) is cls and restored.get_config() == cfg
    assert losses.serialize(loss)["module"] == "keras.losses"


def test_config_keeps_constructor_arguments():
    cfg = losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.4, gamma=3.0,
                                         from_logits=True, label_smoothing=0.1).get_config()
    assert cfg == {"name": "binary_focal_crossentropy", "reduction": "sum_over_batch_size",
                   "apply_class_balancing": True, "alpha": 0.4, "gamma": 3.0,
                   "from_logits": True, "label_smoothing": 0.1, "axis": -1}
    assert losses.Huber(delta=0.3).get_config()["delta"] == 0.3
    assert losses.SparseCategoricalCrossentropy(ignore_class=255).get_config()[
        "ignore_class"] == 255
    assert losses.MeanSquaredError(dtype="float64").get_config()["dtype"] == "float64"


@pytest.mark.parametrize("alias,fn", [
    ("bce", losses.binary_crossentropy), ("BCE", losses.binary_crossentropy),
    ("kld", losses.kl_divergence), ("KLD", losses.kl_divergence),
    ("mae", losses.mean_absolute_error), ("MAE", losses.mean_absolute_error),
    ("mse", losses.mean_squared_error), ("MSE", losses.mean_squared_error),
    ("mape", losses.mean_absolute_percentage_error),
    ("MAPE", losses.mean_absolute_percentage_error),
    ("msle", losses.mean_squared_logarithmic_error),
    ("MSLE", losses.mean_squared_logarithmic_error),
    ("huber", losses.huber), ("log_cosh", losses.log_cosh),
    ("sparse_categorical_crossentropy", losses.sparse_categorical_crossentropy),
])
def test_get_function_names(alias, fn):
    assert losses.get(alias) is fn


def test_get_class_names_and_other_identifiers():
    for cls in ALL_CLASSES:
        obj = losses.get(cls.__name__)
        assert type(obj) is cls
    assert losses.get(None) is None
    loss = losses.Huber()
    assert losses.get(loss) is loss
    assert type(losses.get({"class_name": "Huber", "config": {"delta": 2.0}})) is losses.Huber

    def custom(y_true, y_pred):
        return y_pred

    assert losses.get(custom) is custom
    with pytest.raises(ValueError, match="Could not interpret"):
        losses.get(42)


def test_unknown_name_lists_known_and_closest():
    with pytest.raises(ValueError) as err:
        losses.get("mean_sqared_error")
    message = str(err.value)
    assert "mean_squared_error" in message and "Did you mean" in message
    assert "binary_crossentropy" in message
