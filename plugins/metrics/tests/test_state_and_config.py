"""One table of every metric: accumulation over batches with sample weights, reset_state,
config round trips, default names and directions (Keras 3's)."""

import re

import numpy as np
import pytest

import kcore

M = kcore.metrics
RNG = np.random.default_rng(7)


def binary(n=60, c=3):
    return (RNG.random((n, c)) < 0.5).astype("float32"), RNG.random((n, c)).astype("float32")


def one_hot(n=60, c=4):
    labels = np.eye(c, dtype="float32")[RNG.integers(0, c, size=n)]
    return labels, RNG.random((n, c)).astype("float32")


def sparse(n=60, c=4):
    return RNG.integers(0, c, size=n), RNG.random((n, c)).astype("float32")


def ids(n=60, c=4):
    return RNG.integers(0, c, size=n), RNG.integers(0, c, size=n)


def regression(n=60, c=3):
    y = RNG.normal(size=(n, c)).astype("float32")
    return y, (y + RNG.normal(scale=0.7, size=(n, c))).astype("float32")


def positive(n=60, c=3):
    return (RNG.uniform(0.1, 2, (n, c)).astype("float32"),
            RNG.uniform(0.1, 2, (n, c)).astype("float32"))


# (factory, data, default name, direction)
TABLE = [
    (lambda: M.TruePositives(), binary, "true_positives", None),
    (lambda: M.FalsePositives(thresholds=[0.2, 0.7]), binary, "false_positives", None),
    (lambda: M.TrueNegatives(), binary, "true_negatives", None),
    (lambda: M.FalseNegatives(thresholds=[0.0, 0.5, 1.0]), binary, "false_negatives", None),
    (lambda: M.Precision(), binary, "precision", "up"),
    (lambda: M.Precision(top_k=2, class_id=1), binary, "precision", "up"),
    (lambda: M.Recall(thresholds=[0.3, 0.6]), binary, "recall", "up"),
    (lambda: M.AUC(), binary, "auc", "up"),
    (lambda: M.AUC(curve="PR", multi_label=True), binary, "auc", "up"),
    (lambda: M.AUC(thresholds=[0.1, 0.7, 0.3], summation_method="majoring"), binary, "auc",
     "up"),
    (lambda: M.PrecisionAtRecall(0.5), binary, "precision_at_recall", "up"),
    (lambda: M.RecallAtPrecision(0.4, num_thresholds=20), binary, "recall_at_precision", "up"),
    (lambda: M.SensitivityAtSpecificity(0.5, class_id=2), binary, "sensitivity_at_specificity",
     "up"),
    (lambda: M.SpecificityAtSensitivity(0.5), binary, "specificity_at_sensitivity", "up"),
    (lambda: M.F1Score(), binary, "f1_score", "up"),
    (lambda: M.FBetaScore(average="weighted", beta=2.0, threshold=0.5), binary, "fbeta_score",
     "up"),
    (lambda: M.TopKCategoricalAccuracy(k=2), one_hot, "top_k_categorical_accuracy", "up"),
    (lambda: M.SparseTopKCategoricalAccuracy(), sparse, "sparse_top_k_categorical_accuracy",
     "up"),
    (lambda: M.IoU(num_classes=4, target_class_ids=[0, 3]), ids, "io_u", "up"),
    (lambda: M.MeanIoU(num_classes=4), ids, "mean_io_u", "up"),
    (lambda: M.BinaryIoU(), lambda: binary(60, 1), "binary_io_u", "up"),
    (lambda: M.OneHotIoU(num_classes=4, target_class_ids=[1]), one_hot, "one_hot_io_u", "up"),
    (lambda: M.OneHotMeanIoU(num_classes=4), one_hot, "one_hot_mean_io_u", "up"),
    (lambda: M.R2Score(class_aggregation=None), regression, "r2_score", "up"),
    (lambda: M.CosineSimilarity(), regression, "cosine_similarity", "up"),
    (lambda: M.LogCoshError(), regression, "logcosh", "down"),
    (lambda: M.Poisson(), positive, "poisson", "down"),
    (lambda: M.KLDivergence(), positive, "kl_divergence", "down"),
    (lambda: M.Hinge(), regression, "hinge", "down"),
    (lambda: M.SquaredHinge(), regression, "squared_hinge", "down"),
    (lambda: M.CategoricalHinge(), one_hot, "categorical_hinge", "down"),
]
IDS = [f"{i}-{name}" for i, (_, _, name, _) in enumerate(TABLE)]


def result(metric):
    return np.asarray(kcore.ops.convert_to_numpy(metric.result()), dtype=np.float64)


@pytest.mark.parametrize("factory, data, name, direction", TABLE, ids=IDS)
def test_batches_accumulate_like_one_batch(factory, data, name, direction):
    y_true, y_pred = data()
    w = RNG.integers(0, 4, size=len(y_true)).astype("float32")  # integer: exact for IoU too
    whole = factory()
    whole.update_state(y_true, y_pred, sample_weight=w)
    batched = factory()
    for part in np.array_split(np.arange(len(y_true)), 3):
        batched.update_state(y_true[part], y_pred[part], sample_weight=w[part])
    np.testing.assert_allclose(result(batched), result(whole), rtol=1e-5, atol=1e-6)
    unweighted = factory()
    unweighted.update_state(y_true, y_pred)
    ones = factory()
    ones.update_state(y_true, y_pred, sample_weight=np.ones(len(y_true)))
    np.testing.assert_allclose(result(ones), result(unweighted), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("factory, data, name, direction", TABLE, ids=IDS)
def test_reset_state_starts_over(factory, data, name, direction):
    y_true, y_pred = data()
    metric = factory()
    metric.update_state(y_true[:30], y_pred[:30])
    metric.update_state(y_true[30:], y_pred[30:])
    metric.reset_state()
    assert all(not np.any(v.numpy()) for v in metric.variables)
    metric.update_state(y_true[30:], y_pred[30:])
    fresh = factory()
    fresh.update_state(y_true[30:], y_pred[30:])
    np.testing.assert_allclose(result(metric), result(fresh), rtol=1e-6)


@pytest.mark.parametrize("factory, data, name, direction", TABLE, ids=IDS)
def test_config_round_trip(factory, data, name, direction):
    y_true, y_pred = data()
    metric = factory()
    config = metric.get_config()
    assert config["dtype"] == "float32"
    clone = type(metric).from_config(config)
    assert clone.get_config() == config
    restored = M.deserialize(M.serialize(metric))
    assert type(restored) is type(metric) and restored.get_config() == config
    for m in (metric, clone, restored):
        m.update_state(y_true, y_pred)
    np.testing.assert_allclose(result(clone), result(metric), rtol=1e-6)
    np.testing.assert_allclose(result(restored), result(metric), rtol=1e-6)


@pytest.mark.parametrize("factory, data, name, direction", TABLE, ids=IDS)
def test_default_name_and_direction(factory, data, name, direction):
    metric = factory()
    # Unnamed metrics get Keras's auto name, made unique per process: auc, auc_1, ...
    assert re.fullmatch(rf"{name}(_\d+)?", metric.name), metric.name
    assert metric.direction == direction
    assert getattr(metric, "_direction", None) == direction


def test_array_results_have_one_value_per_element():
    y_true, y_pred = binary()
    f1 = M.F1Score()
    f1.update_state(y_true, y_pred)
    assert result(f1).shape == (3,)
    r2 = M.R2Score(class_aggregation=None)
    r2.update_state(*regression())
    assert result(r2).shape == (3,)
    tp = M.TruePositives(thresholds=[0.1, 0.5, 0.9])
    tp.update_state(y_true, y_pred)
    assert result(tp).shape == (3,) and np.all(np.diff(result(tp)) <= 0)


@pytest.mark.parametrize("make, message", [
    (lambda: M.AUC(num_thresholds=1), "num_thresholds"),
    (lambda: M.AUC(curve="PRC"), "curve"),
    (lambda: M.AUC(summation_method="trapezoid"), "summation"),
    (lambda: M.AUC(num_labels=3), "multi_label"),
    (lambda: M.Precision(thresholds=[0.5, 1.5]), r"\[0, 1\]"),
    (lambda: M.F1Score(average="samples"), "average"),
    (lambda: M.FBetaScore(beta=2), "beta"),
    (lambda: M.F1Score(threshold=0.0), "threshold"),
    (lambda: M.IoU(num_classes=2, target_class_ids=[2]), "out of range"),
    (lambda: M.R2Score(class_aggregation="mean"), "class_aggregation"),
    (lambda: M.PrecisionAtRecall(1.5), "recall"),
])
def test_bad_arguments_raise(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_inputs_raise_helpful_errors():
    with pytest.raises(ValueError, match="same shape"):
        M.AUC().update_state([[0, 1, 1]], [[0.2, 0.3]])
    with pytest.raises(ValueError, match="2D"):
        M.F1Score().update_state([0, 1], [0.3, 0.4])
    with pytest.raises(ValueError, match="class_id"):
        M.Precision(class_id=1).update_state([0, 1], [0.3, 0.4])
    with pytest.raises(ValueError, match="sample_weight"):
        M.Precision().update_state([[0, 1]], [[0.3, 0.4]], sample_weight=[1, 2, 3])
