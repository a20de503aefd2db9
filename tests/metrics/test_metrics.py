"""Core metrics against independent numpy computations; state, configs, names, directions."""

import numpy as np
import pytest

import kcore
from kcore import metrics
from kcore.hooks import registry

rng = np.random.default_rng(1)
EPS = 1e-7


def _weighted_mean(per_sample, weights):
    return np.sum(per_sample * weights) / np.sum(weights)


def _onehot(n, c):
    return np.eye(c)[rng.integers(0, c, size=n)]


def _probs(n, c):
    p = rng.uniform(0.05, 1, size=(n, c))
    return p / p.sum(-1, keepdims=True)


# (metric factory, data factory, per-sample numpy reference)
CASES = {
    "accuracy": (metrics.Accuracy, lambda: (rng.integers(0, 3, (6, 1)), rng.integers(0, 3, (6, 1))),
                 lambda t, p: (t == p).astype(float)[:, 0]),
    "binary_accuracy": (metrics.BinaryAccuracy,
                        lambda: (rng.integers(0, 2, (6, 3)), rng.uniform(size=(6, 3))),
                        lambda t, p: np.mean(t == (p > 0.5), axis=-1)),
    "binary_accuracy_0.7": (lambda: metrics.BinaryAccuracy(threshold=0.7),
                            lambda: (rng.integers(0, 2, (6, 3)), rng.uniform(size=(6, 3))),
                            lambda t, p: np.mean(t == (p > 0.7), axis=-1)),
    "categorical_accuracy": (metrics.CategoricalAccuracy, lambda: (_onehot(6, 4), _probs(6, 4)),
                             lambda t, p: (t.argmax(-1) == p.argmax(-1)).astype(float)),
    "sparse_categorical_accuracy": (
        metrics.SparseCategoricalAccuracy, lambda: (rng.integers(0, 4, 6), _probs(6, 4)),
        lambda t, p: (t == p.argmax(-1)).astype(float)),
    "sparse_categorical_accuracy_column": (
        metrics.SparseCategoricalAccuracy,
        lambda: (rng.integers(0, 4, (6, 1)).astype("float32"), _probs(6, 4)),
        lambda t, p: (t[:, 0] == p.argmax(-1)).astype(float)),
    "mse": (metrics.MeanSquaredError, lambda: (rng.normal(size=(6, 3)), rng.normal(size=(6, 3))),
            lambda t, p: np.mean((t - p) ** 2, -1)),
    "mae": (metrics.MeanAbsoluteError, lambda: (rng.normal(size=(6, 3)), rng.normal(size=(6, 3))),
            lambda t, p: np.mean(np.abs(t - p), -1)),
    "mape": (metrics.MeanAbsolutePercentageError,
             lambda: (rng.uniform(0.5, 2, (6, 3)), rng.uniform(0.5, 2, (6, 3))),
             lambda t, p: 100 * np.mean(np.abs((t - p) / t), -1)),
    "msle": (metrics.MeanSquaredLogarithmicError,
             lambda: (rng.uniform(0.5, 2, (6, 3)), rng.uniform(0.5, 2, (6, 3))),
             lambda t, p: np.mean((np.log1p(t) - np.log1p(p)) ** 2, -1)),
    "bce": (metrics.BinaryCrossentropy,
            lambda: (rng.integers(0, 2, (6, 3)).astype(float), rng.uniform(0.05, 0.95, (6, 3))),
            lambda t, p: -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p), -1)),
    "bce_logits": (lambda: metrics.BinaryCrossentropy(from_logits=True),
                   lambda: (rng.integers(0, 2, (6, 3)).astype(float), rng.normal(size=(6, 3))),
                   lambda t, p: np.mean(np.logaddexp(0, p) - t * p, -1)),
    "cce": (metrics.CategoricalCrossentropy, lambda: (_onehot(6, 4), _probs(6, 4)),
            lambda t, p: -np.sum(t * np.log(p), -1)),
    "cce_smoothing": (lambda: metrics.CategoricalCrossentropy(label_smoothing=0.2),
                      lambda: (_onehot(6, 4), _probs(6, 4)),
                      lambda t, p: -np.sum((t * 0.8 + 0.05) * np.log(p), -1)),
    "scce": (metrics.SparseCategoricalCrossentropy,
             lambda: (rng.integers(0, 4, 6), _probs(6, 4)),
             lambda t, p: -np.log(p[np.arange(len(t)), t])),
    "scce_logits": (lambda: metrics.SparseCategoricalCrossentropy(from_logits=True),
                    lambda: (rng.integers(0, 4, 6), rng.normal(size=(6, 4))),
                    lambda t, p: np.log(np.exp(p).sum(-1)) - p[np.arange(len(t)), t]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_accumulates_weighted_batches(name):
    factory, data, ref = CASES[name]
    metric = factory()
    batches = [data() for _ in range(3)]
    weights = [rng.uniform(0, 2, size=6) for _ in range(3)]
    weights[0][0] = 0.0
    for i, ((t, p), w) in enumerate(zip(batches, weights)):
        metric.update_state(t, p, sample_weight=w)
        per_sample = np.concatenate([ref(*b) for b in batches[:i + 1]])
        expected = _weighted_mean(per_sample, np.concatenate(weights[:i + 1]))
        np.testing.assert_allclose(float(metric.result()), expected, rtol=1e-5, atol=1e-6)
    metric.reset_state()
    assert float(metric.result()) == 0.0
    assert all(float(np.sum(v.numpy())) == 0.0 for v in metric.variables)
    t, p = batches[1]
    np.testing.assert_allclose(float(metric(t, p)), np.mean(ref(t, p)), rtol=1e-5, atol=1e-6)


def test_root_mean_squared_error():
    m = metrics.RootMeanSquaredError()
    t1, p1, t2, p2 = (rng.normal(size=(4, 3)) for _ in range(4))
    w1, w2 = rng.uniform(size=4), rng.uniform(size=4)
    m.update_state(t1, p1, sample_weight=w1)
    m.update_state(t2, p2, sample_weight=w2)
    per_sample = np.concatenate([np.mean((t1 - p1) ** 2, -1), np.mean((t2 - p2) ** 2, -1)])
    np.testing.assert_allclose(float(m.result()),
                               np.sqrt(_weighted_mean(per_sample, np.concatenate([w1, w2]))),
                               rtol=1e-5)
    assert m.direction == "down"


def test_mean_and_sum_values():
    m = metrics.Mean()
    m.update_state([1, 2, 3], sample_weight=[1, 0, 0])
    assert float(m.result()) == 1.0
    m.update_state(np.array([[1.0, 3.0], [5.0, 7.0]]))
    # (batch, d) values count as 2 samples with their row means 2 and 6.
    assert float(m.result()) == pytest.approx((1 + 2 + 6) / 3)
    m.update_state(10.0, sample_weight=2.0)
    assert float(m.result()) == pytest.approx((1 + 2 + 6 + 20) / 5)
    s = metrics.Sum()
    s.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    s.update_state(np.ones((2, 3)), sample_weight=np.array([1.0, 2.0]))
    assert float(s.result()) == pytest.approx(4 + 3 + 6)
    assert m.result().shape == () and s.variables[0].shape == ()


def test_sample_weight_broadcasts_over_timesteps():
    values = rng.normal(size=(3, 5))
    w = np.array([0.2, 0.0, 1.5])
    m = metrics.Mean()
    m.update_state(values, sample_weight=w)
    np.testing.assert_allclose(float(m.result()), _weighted_mean(values.mean(-1), w), rtol=1e-6)
    m = metrics.MeanSquaredError()
    t, p = rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 4, 2))
    m.update_state(t, p, sample_weight=w)
    np.testing.assert_allclose(float(m.result()),
                               _weighted_mean(np.mean((t - p) ** 2, axis=(1, 2)), w), rtol=1e-5)
    m = metrics.Mean()
    tw = rng.uniform(size=(3, 5))
    m.update_state(values, sample_weight=tw)
    np.testing.assert_allclose(float(m.result()), np.sum(values * tw) / np.sum(tw), rtol=1e-5)
    with pytest.raises(ValueError, match="sample_weight"):
        metrics.Mean().update_state(np.ones(3), sample_weight=np.ones(4))


def test_sparse_categorical_crossentropy_ignore_class():
    labels = np.array([1, 255, 2, 0])
    p = _probs(4, 3)
    m = metrics.SparseCategoricalCrossentropy(ignore_class=255)
    m.update_state(labels, p)
    valid = labels != 255
    expected = -np.log(p[np.arange(4)[valid], labels[valid]]).mean()
    np.testing.assert_allclose(float(m.result()), expected, rtol=1e-5)


def test_keras_documented_values():
    m = metrics.BinaryAccuracy()
    m.update_state([[1], [0]], [[0.9], [0.8]])
    assert float(m.result()) == 0.5
    m.reset_state()
    assert float(m.result()) == 0.0
    m = metrics.CategoricalAccuracy()
    m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
                   sample_weight=[0.7, 0.3])
    assert float(m.result()) == pytest.approx(0.3)
    m = metrics.CategoricalCrossentropy()
    m.update_state([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    assert float(m.result()) == pytest.approx(1.1769392, rel=1e-6)
    m = metrics.RootMeanSquaredError()
    m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]], sample_weight=[1, 0])
    assert float(m.result()) == pytest.approx(0.70710677, rel=1e-6)


def test_function_forms_are_element_or_sample_wise():
    np.testing.assert_array_equal(metrics.binary_accuracy([[1], [0]], [[0.9], [0.8]]).numpy(),
                                  [[1.0], [0.0]])
    np.testing.assert_array_equal(
        metrics.categorical_accuracy([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]]).numpy(),
        [1.0, 0.0])
    np.testing.assert_array_equal(
        metrics.sparse_categorical_accuracy([[1], [1]], [[0.2, 0.8], [0.3, 0.7]]).numpy(),
        [1.0, 1.0])
    assert metrics.mean_squared_error is kcore.losses.mean_squared_error
    assert metrics.sparse_categorical_crossentropy is kcore.losses.sparse_categorical_crossentropy


DIRECTIONS = {
    metrics.Mean: None, metrics.Sum: None, metrics.Accuracy: "up",
    metrics.BinaryAccuracy: "up", metrics.CategoricalAccuracy: "up",
    metrics.SparseCategoricalAccuracy: "up", metrics.MeanSquaredError: "down",
    metrics.MeanAbsoluteError: "down", metrics.RootMeanSquaredError: "down",
    metrics.MeanAbsolutePercentageError: "down", metrics.MeanSquaredLogarithmicError: "down",
    metrics.BinaryCrossentropy: "down", metrics.CategoricalCrossentropy: "down",
    metrics.SparseCategoricalCrossentropy: "down",
}


@pytest.mark.parametrize("cls", list(DIRECTIONS), ids=lambda c: c.__name__)
def test_direction_and_config(cls):
    metric = cls()
    assert metric.direction == DIRECTIONS[cls] and metric._direction == DIRECTIONS[cls]
    with pytest.raises(AttributeError):
        metric.direction = "up"
    cfg = metric.get_config()
    assert cfg["name"] == metric.name and cfg["dtype"] == "float32"
    clone = cls.from_config(cfg)
    assert type(clone) is cls and clone.get_config() == cfg
    restored = metrics.deserialize(metrics.serialize(metric))
    assert type(restored) is cls and restored.get_config() == cfg
    assert metrics.serialize(metric)["module"] == "keras.metrics"


def test_default_names_and_configs():
    assert metrics.BinaryAccuracy(threshold=0.7).get_config() == {
        "name": "binary_accuracy", "dtype": "float32", "threshold": 0.7}
    assert metrics.SparseCategoricalCrossentropy().get_config() == {
        "name": "sparse_categorical_crossentropy", "dtype": "float32", "from_logits": False,
        "ignore_class": None, "axis": -1}
    assert metrics.MeanSquaredError().name == "mean_squared_error"
    assert metrics.Mean(dtype="float64").result().dtype == "float64"
    with pytest.raises(ValueError, match="threshold"):
        metrics.BinaryAccuracy(threshold=1.5)


def test_mean_metric_wrapper():
    def my_error(y_true, y_pred, power=2.0):
        return kcore.ops.mean(kcore.ops.abs(y_pred - y_true) ** power, axis=-1)

    m = metrics.MeanMetricWrapper(my_error, power=3.0)
    assert m.name == "my_error" and m.direction is None
    t, p = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    m.update_state(t, p)
    np.testing.assert_allclose(float(m.result()), np.mean(np.abs(p - t) ** 3), rtol=1e-5)
    wrapped_loss = metrics.MeanMetricWrapper(kcore.losses.huber, delta=0.5)
    assert wrapped_loss.direction == "down"
    cfg = wrapped_loss.get_config()
    assert cfg == {"name": "huber", "dtype": "float32", "delta": 0.5,
                   "fn": {"module": "builtins", "class_name": "function", "config": "huber",
                          "registered_name": "function"}}  # Keras 3's function config
    clone = metrics.MeanMetricWrapper.from_config(cfg)
    assert clone._fn is kcore.losses.huber and clone._fn_kwargs == {"delta": 0.5}
    acc = metrics.MeanMetricWrapper.from_config({"fn": "binary_accuracy", "name": "acc"})
    assert acc._fn is metrics.binary_accuracy


def test_user_metric_subclass_as_in_keras_docs():
    class BinaryTruePositives(metrics.Metric):
        def __init__(self, name="binary_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), initializer="zeros",
                                                    name="true_positives")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_true = kcore.ops.cast(y_true, "bool")
            y_pred = kcore.ops.cast(y_pred, "bool")
            values = kcore.ops.logical_and(kcore.ops.equal(y_true, True),
                                           kcore.ops.equal(y_pred, True))
            values = kcore.ops.cast(values, self.dtype)
            if sample_weight is not None:
                sample_weight = kcore.ops.cast(sample_weight, self.dtype)
                values = kcore.ops.multiply(
                    values, kcore.ops.broadcast_to(sample_weight, kcore.ops.shape(values)))
            self.true_positives.assign(self.true_positives + kcore.ops.sum(values))

        def result(self):
            return self.true_positives

    m = BinaryTruePositives()
    m.update_state(np.array([1, 1, 0, 1]), np.array([1, 0, 0, 1]))
    m.update_state(np.array([1, 1]), np.array([1, 1]), sample_weight=np.array([0.5, 2.0]))
    assert float(m.result()) == pytest.approx(4.5)
    assert [v.name for v in m.variables] == ["true_positives"]
    assert not m.variables[0].trainable
    assert m.direction is None and m.get_config() == {"name": "binary_true_positives",
                                                      "dtype": "float32"}
    m.reset_state()
    assert float(m.result()) == 0.0


def test_metric_holding_metrics_tracks_their_variables():
    class MeanAndSum(metrics.Metric):
        def __init__(self):
            super().__init__()
            self.mean = metrics.Mean()
            self.sum = metrics.Sum()

        def update_state(self, values):
            self.mean.update_state(values)
            self.sum.update_state(values)

        def result(self):
            return {"mean": self.mean.result(), "sum": self.sum.result()}

    m = MeanAndSum()
    assert m.name.startswith("mean_and_sum")
    out = m([1.0, 2.0, 6.0])
    assert float(out["mean"]) == 3.0 and float(out["sum"]) == 9.0
    assert len(m.variables) == 3
    m.reset_state()
    assert float(m.result()["sum"]) == 0.0


def test_forgetting_super_init_raises():
    class Broken(metrics.Metric):
        def __init__(self):
            self.total = self.add_variable(shape=(), initializer="zeros")

    with pytest.raises(RuntimeError, match="super"):
        Broken()


def test_add_variable_and_add_weight():
    m = metrics.Mean()
    v = m.add_variable(shape=(2, 3), initializer="ones", dtype="float64", name="v")
    w = m.add_weight(shape=(2,), initializer=lambda shape, dtype=None: np.full(shape, 7.0))
    assert v.shape == (2, 3) and v.dtype == "float64" and np.all(v.numpy() == 1)
    assert np.all(w.numpy() == 7) and not w.trainable
    m.reset_state()
    assert np.all(v.numpy() == 0) and np.all(w.numpy() == 0)


def test_auto_names_are_unique():
    class Fresh(metrics.Metric):
        def update_state(self):
            pass

    names = [Fresh().name for _ in range(3)]
    assert names[0] == "fresh" and names[1:] == ["fresh_1", "fresh_2"]


@pytest.mark.parametrize("identifier,cls", [
    ("mse", metrics.MeanSquaredError), ("MSE", metrics.MeanSquaredError),
    ("mae", metrics.MeanAbsoluteError), ("MAE", metrics.MeanAbsoluteError),
    ("mape", metrics.MeanAbsolutePercentageError), ("MAPE", metrics.MeanAbsolutePercentageError),
    ("msle", metrics.MeanSquaredLogarithmicError), ("MSLE", metrics.MeanSquaredLogarithmicError),
    ("bce", metrics.BinaryCrossentropy), ("BCE", metrics.BinaryCrossentropy),
    ("accuracy", metrics.Accuracy), ("binary_accuracy", metrics.BinaryAccuracy),
    ("BinaryAccuracy", metrics.BinaryAccuracy),
    ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy),
    ("root_mean_squared_error", metrics.RootMeanSquaredError),
    ("categorical_crossentropy", metrics.CategoricalCrossentropy),
    ("Mean", metrics.Mean), ("sum", metrics.Sum),
])
def test_get_builtin_names(identifier, cls):
    metric = metrics.get(identifier)
    assert type(metric) is cls


def test_get_other_identifiers():
    assert metrics.get("mse").name == "mean_squared_error"
    assert metrics.get(None) is None
    m = metrics.Mean()
    assert metrics.get(m) is m
    assert metrics.get(metrics.binary_accuracy) is metrics.binary_accuracy
    cfg = metrics.serialize(metrics.BinaryAccuracy(threshold=0.3))
    assert metrics.get(cfg).get_config()["threshold"] == 0.3
    with pytest.raises(ValueError, match="Could not interpret"):
        metrics.get(3.5)


def _plugin_provides(name):
    return any(info.name == name for info in registry.installed(registry.METRICS_GROUP))


def test_unknown_and_plugin_names():
    with pytest.raises(ValueError) as err:
        metrics.get("mean_sqared_error")
    assert "mean_squared_error" in str(err.value)
    if _plugin_provides("AUC"):
        assert isinstance(metrics.get("AUC"), metrics.Metric)
        assert issubclass(metrics.AUC, metrics.Metric)
    else:
        with pytest.raises(ValueError, match="kcore-metrics"):
            metrics.get("AUC")
        with pytest.raises(AttributeError, match="kcore-metrics"):
            metrics.AUC  # noqa: B018


def test_module_getattr_rejects_non_metric_names():
    with pytest.raises(AttributeError):
        metrics.definitely_not_a_metric  # noqa: B018
    with pytest.raises(AttributeError):
        metrics._private_thing  # noqa: B018
    assert not hasattr(metrics, "__wrapped__")
