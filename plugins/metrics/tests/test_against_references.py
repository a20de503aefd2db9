"""Each metric against an independent computation: scikit-learn, brute-force numpy written
here, or small cases worked out by hand."""

import numpy as np
import pytest
from sklearn import metrics as skm

import kcore

M = kcore.metrics


def value(metric):
    return np.asarray(kcore.ops.convert_to_numpy(metric.result()), dtype=np.float64)


def run(metric, y_true, y_pred, sample_weight=None):
    metric.update_state(y_true, y_pred, sample_weight=sample_weight)
    return value(metric)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# -- thresholded counts ---------------------------------------------------------------------
def brute_force_counts(y_true, y_pred, w, thresholds):
    """(T, 4) TP, FP, TN, FN by comparing every prediction with every threshold."""
    pos = (y_true != 0).ravel()
    above = y_pred.ravel()[None, :] > np.asarray(thresholds, dtype=np.float32)[:, None]
    w = np.broadcast_to(w, y_true.shape).ravel()
    return np.stack([(above & pos) @ w, (above & ~pos) @ w,
                     (~above & ~pos) @ w, (~above & pos) @ w], axis=1)


@pytest.mark.parametrize("thresholds", [None, 0.3, [0.75, 0.1, 0.5, 0.33],
                                        [0.0, 0.25, 0.5, 0.75, 1.0]])
def test_confusion_counts_match_brute_force(rng, thresholds):
    y_true = rng.integers(0, 2, size=(500, 3)).astype("float32")
    y_pred = rng.random((500, 3)).astype("float32")
    y_pred[:5] = [0.0, 0.5, 1.0]  # predictions equal to a threshold are not above it
    w = rng.uniform(0, 2, size=500).astype("float32")
    expected = brute_force_counts(y_true, y_pred, w[:, None],
                                  [0.5] if thresholds is None else np.atleast_1d(thresholds))
    classes = (M.TruePositives, M.FalsePositives, M.TrueNegatives, M.FalseNegatives)
    for column, cls in enumerate(classes):
        got = run(cls(thresholds=thresholds), y_true, y_pred, w)
        np.testing.assert_allclose(np.atleast_1d(got), expected[:, column], rtol=1e-5)


def test_hand_computed_counts_and_ratios():
    y_true, y_pred = [0, 1, 1, 1], [1, 0, 1, 1]
    assert run(M.TruePositives(), y_true, y_pred) == 2
    assert run(M.FalsePositives(), y_true, y_pred) == 1
    assert run(M.FalseNegatives(), y_true, y_pred) == 1
    assert run(M.TrueNegatives(), y_true, y_pred) == 0
    assert run(M.Precision(), y_true, y_pred, [0, 0, 1, 0]) == 1.0
    # top_k=2 keeps the first two of four equal scores: labels 0, 0 -> precision 0.
    assert run(M.Precision(top_k=2), [0, 0, 1, 1], [1, 1, 1, 1]) == 0.0
    assert run(M.Precision(top_k=4), [0, 0, 1, 1], [1, 1, 1, 1]) == 0.5


@pytest.mark.parametrize("cls, sk", [(M.Precision, skm.precision_score),
                                     (M.Recall, skm.recall_score)])
def test_precision_recall_match_sklearn(rng, cls, sk):
    y_true = rng.integers(0, 2, size=400).astype("float32")
    y_pred = rng.random(400).astype("float32")
    w = rng.uniform(0, 2, size=400)
    for threshold in (0.2, 0.5, 0.8):
        expected = sk(y_true, y_pred > np.float32(threshold), sample_weight=w)
        got = run(cls(thresholds=threshold), y_true, y_pred, w)
        np.testing.assert_allclose(got, expected, rtol=1e-5)
    per_threshold = run(cls(thresholds=[0.2, 0.8]), y_true, y_pred, w)
    assert per_threshold.shape == (2,)


def test_top_k_and_class_id_by_hand():
    y_true = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]], "float32")
    y_pred = np.array([[0.5, 0.3, 0.2], [0.1, 0.6, 0.3], [0.2, 0.3, 0.5]], "float32")
    # Top-1 predictions: classes 0, 1, 2 -> correct only in row 2.
    assert run(M.Precision(top_k=1), y_true, y_pred) == pytest.approx(1 / 3)
    assert run(M.Recall(top_k=1), y_true, y_pred) == pytest.approx(1 / 3)
    # Top-2: rows keep {0, 1}, {1, 2}, {1, 2}: hits in rows 0 and 2 out of 6 predictions.
    assert run(M.Precision(top_k=2), y_true, y_pred) == pytest.approx(2 / 6)
    # Class 1 above 0.5 nowhere correct: predicted in row 1 only (label 0) -> 0.
    assert run(M.Precision(class_id=1, thresholds=0.4), y_true, y_pred) == 0.0
    assert run(M.Recall(class_id=0, thresholds=0.4), y_true, y_pred) == 0.0
    assert run(M.Recall(class_id=2, thresholds=0.4), y_true, y_pred) == 1.0


# -- AUC ------------------------------------------------------------------------------------
def on_threshold_grid(rng, n, num_thresholds=200):
    """Scores at bucket centres: 200-threshold AUC is then exact (ties are real ties)."""
    buckets = rng.integers(0, num_thresholds - 1, size=n)
    return ((buckets + 0.5) / (num_thresholds - 1)).astype("float32")


def test_auc_roc_equals_sklearn_on_grid_scores(rng):
    y_true = (rng.random(10_000) < 0.3).astype("float32")
    y_pred = np.clip(on_threshold_grid(rng, 10_000) + 0.2 * y_true, 0, 0.999).astype("float32")
    y_pred = ((np.floor(y_pred * 199) + 0.5) / 199).astype("float32")
    w = rng.uniform(0, 2, size=10_000)
    np.testing.assert_allclose(run(M.AUC(), y_true, y_pred),
                               skm.roc_auc_score(y_true, y_pred), rtol=1e-5)
    np.testing.assert_allclose(run(M.AUC(), y_true, y_pred, w),
                               skm.roc_auc_score(y_true, y_pred, sample_weight=w), rtol=1e-5)


def test_auc_approximates_sklearn_on_continuous_scores(rng):
    y_true = (rng.random(20_000) < 0.4).astype("float32")
    logits = rng.normal(size=20_000) + 1.2 * y_true
    y_pred = (1 / (1 + np.exp(-logits))).astype("float32")
    exact = skm.roc_auc_score(y_true, y_pred)
    assert abs(run(M.AUC(), y_true, y_pred) - exact) < 1e-3
    lower = run(M.AUC(summation_method="minoring"), y_true, y_pred)
    upper = run(M.AUC(summation_method="majoring"), y_true, y_pred)
    assert lower <= exact <= upper
    assert run(M.AUC(from_logits=True), y_true, logits.astype("float32")) == pytest.approx(
        run(M.AUC(), y_true, y_pred), abs=1e-4)
    pr = run(M.AUC(curve="PR"), y_true, y_pred)
    assert abs(pr - skm.average_precision_score(y_true, y_pred)) < 5e-3


def test_auc_hand_computed():
    # Thresholds [-eps, 0.5, 1+eps]: tp [2, 1, 0], fp [2, 0, 0] -> TPR [1, .5, 0], FPR [1, 0, 0].
    assert run(M.AUC(num_thresholds=3), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9]) == 0.75
    assert run(M.AUC(num_thresholds=3), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], [1, 0, 0, 1]) == 1.0
    # PR interpolation: at t=0.5, TP=1, P=1 (precision 1); at -eps TP=2, P=4; recall 1 -> .5
    # precision along the segment (TP, P) = (1, 1) -> (2, 4): slope 1/3, intercept 2/3,
    # area = slope * (dTP + intercept * log(4 / 1)) / 2 = (1 + 2/3 log 4) / 6, plus
    # the segment from t=0.5 to 1+eps: P_B = 0 so the first bucket keeps precision 1: 0.5.
    expected = (1 + 2 / 3 * np.log(4)) / 6 + 0.5
    assert run(M.AUC(num_thresholds=3, curve="PR"), [0, 0, 1, 1],
               [0, 0.5, 0.3, 0.9]) == pytest.approx(expected, rel=1e-5)


def test_auc_multi_label_averages_label_aucs(rng):
    y_true = (rng.random((3000, 3)) < 0.5).astype("float32")
    y_pred = on_threshold_grid(rng, 9000).reshape(3000, 3)
    y_pred = np.where(y_true == 1, np.minimum(y_pred + 0.1, 0.999), y_pred)
    y_pred = ((np.floor(y_pred * 199) + 0.5) / 199).astype("float32")
    per_label = [skm.roc_auc_score(y_true[:, j], y_pred[:, j]) for j in range(3)]
    np.testing.assert_allclose(run(M.AUC(multi_label=True), y_true, y_pred),
                               np.mean(per_label), rtol=1e-5)
    lw = np.array([1.0, 2.0, 0.5])
    np.testing.assert_allclose(run(M.AUC(multi_label=True, label_weights=lw), y_true, y_pred),
                               np.average(per_label, weights=lw), rtol=1e-5)
    flat = skm.roc_auc_score(y_true.ravel(), y_pred.ravel())
    np.testing.assert_allclose(run(M.AUC(), y_true, y_pred), flat, rtol=1e-5)
    # label_weights without multi_label weight each label's predictions.
    sw = np.broadcast_to(lw, y_true.shape).ravel()
    np.testing.assert_allclose(run(M.AUC(label_weights=lw), y_true, y_pred),
                               skm.roc_auc_score(y_true.ravel(), y_pred.ravel(),
                                                 sample_weight=sw), rtol=1e-5)


def test_auc_custom_thresholds_match_brute_force(rng):
    y_true = rng.integers(0, 2, size=2000)
    y_pred = rng.random(2000).astype("float32")
    thresholds = [0.9, 0.05, 0.3, 0.61]
    m = M.AUC(thresholds=thresholds)
    run(m, y_true, y_pred)
    full = [-1e-7] + sorted(thresholds) + [1 + 1e-7]
    c = brute_force_counts(y_true, y_pred, np.ones(2000), full)
    tpr, fpr = c[:, 0] / (c[:, 0] + c[:, 3]), c[:, 1] / (c[:, 1] + c[:, 2])
    expected = np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2)
    np.testing.assert_allclose(value(m), expected, rtol=1e-5)
    assert m.thresholds[1:-1] == pytest.approx(sorted(thresholds))


# -- operating points -----------------------------------------------------------------------
@pytest.mark.parametrize("cls, target, constrained, dependent", [
    (M.SensitivityAtSpecificity, 0.7, "spec", "sens"),
    (M.SpecificityAtSensitivity, 0.6, "sens", "spec"),
    (M.PrecisionAtRecall, 0.5, "sens", "prec"),
    (M.RecallAtPrecision, 0.6, "prec", "sens"),
])
def test_operating_points_match_brute_force(rng, cls, target, constrained, dependent):
    y_true = rng.integers(0, 2, size=1000)
    y_pred = np.clip(rng.random(1000) * 0.8 + 0.2 * y_true, 0, 1).astype("float32")
    w = rng.uniform(0, 2, size=1000)
    thresholds = [0.0] + [(i + 1) / 49 for i in range(48)] + [1.0]
    tp, fp, tn, fn = brute_force_counts(y_true, y_pred, w, thresholds).T
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = {"sens": np.nan_to_num(tp / (tp + fn)), "spec": np.nan_to_num(tn / (tn + fp)),
                 "prec": np.nan_to_num(tp / (tp + fp))}
    ok = rates[constrained] >= target
    expected = rates[dependent][ok].max() if ok.any() else 0.0
    got = run(cls(target, num_thresholds=50), y_true, y_pred, w)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_operating_points_hand_computed():
    y_true, y_pred = [0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]
    assert run(M.SensitivityAtSpecificity(0.5), y_true, y_pred) == 0.5
    assert run(M.SpecificityAtSensitivity(0.5), y_true, y_pred) == pytest.approx(2 / 3)
    assert run(M.PrecisionAtRecall(0.5), y_true, y_pred) == 0.5
    assert run(M.RecallAtPrecision(0.8), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9]) == 0.5
    assert run(M.RecallAtPrecision(1.0), [1, 0], [0.2, 0.9]) == 0.0  # unreachable


# -- F scores -------------------------------------------------------------------------------
@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("beta, threshold", [(1.0, None), (1.0, 0.4), (2.0, 0.5), (0.5, None)])
def test_fbeta_matches_sklearn(rng, average, beta, threshold):
    y_true = (rng.random((300, 4)) < 0.4).astype("float32")
    y_pred = rng.random((300, 4)).astype("float32")
    w = rng.uniform(0, 2, size=300)
    if threshold is None:
        binary = (y_pred == y_pred.max(axis=1, keepdims=True)).astype(int)
    else:
        binary = (y_pred > np.float32(threshold)).astype(int)
    expected = skm.fbeta_score(y_true, binary, beta=beta, average=average, sample_weight=w,
                               zero_division=0)
    metric = (M.F1Score(average=average, threshold=threshold) if beta == 1.0 else
              M.FBetaScore(average=average, beta=beta, threshold=threshold))
    np.testing.assert_allclose(run(metric, y_true, y_pred, w), expected, rtol=1e-4,
                               atol=1e-6)


# -- top-k ----------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [1, 2, 4])
def test_top_k_accuracies_match_sklearn(rng, k):
    labels = rng.integers(0, 6, size=500)
    scores = rng.random((500, 6)).astype("float32")
    w = rng.uniform(0, 2, size=500)
    expected = skm.top_k_accuracy_score(labels, scores, k=k, sample_weight=w, labels=range(6))
    one_hot = np.eye(6, dtype="float32")[labels]
    np.testing.assert_allclose(run(M.TopKCategoricalAccuracy(k=k), one_hot, scores, w),
                               expected, rtol=1e-5)
    np.testing.assert_allclose(run(M.SparseTopKCategoricalAccuracy(k=k), labels, scores, w),
                               expected, rtol=1e-5)
    sorted_ids = np.argsort(-scores, axis=1)
    np.testing.assert_allclose(run(M.SparseTopKCategoricalAccuracy(k=k, from_sorted_ids=True),
                                   labels, sorted_ids, w), expected, rtol=1e-5)


def test_top_k_functions_and_ties():
    from kcore_metrics import sparse_top_k_categorical_accuracy, top_k_categorical_accuracy

    # Ties at the boundary count as in the top k (tf.math.in_top_k).
    np.testing.assert_array_equal(
        sparse_top_k_categorical_accuracy([0, 2], [[0.5, 0.5, 0.1], [0.3, 0.3, 0.3]], k=1),
        [1.0, 1.0])
    np.testing.assert_array_equal(
        top_k_categorical_accuracy([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
                                   k=1), [0.0, 1.0])
    assert sparse_top_k_categorical_accuracy([[1], [2]], [[0.1, 0.9, 0.0],
                                                         [0.8, 0.1, 0.1]], k=2).shape == (2, 1)


# -- IoU ------------------------------------------------------------------------------------
def test_iou_family_matches_sklearn_jaccard(rng):
    y_true = rng.integers(0, 4, size=600)
    y_pred = np.where(rng.random(600) < 0.6, y_true, rng.integers(0, 4, size=600))
    w = rng.uniform(0, 2, size=600)  # fractional weights are not truncated
    per_class = skm.jaccard_score(y_true, y_pred, average=None, sample_weight=w)
    np.testing.assert_allclose(run(M.MeanIoU(num_classes=4), y_true, y_pred, w),
                               per_class.mean(), rtol=1e-5)
    np.testing.assert_allclose(run(M.IoU(num_classes=4, target_class_ids=[1, 3]),
                                   y_true, y_pred, w), per_class[[1, 3]].mean(), rtol=1e-5)
    np.testing.assert_allclose(run(M.IoU(num_classes=4, target_class_ids=[2]),
                                   y_true, y_pred, w), per_class[2], rtol=1e-5)
    one_hot, scores = np.eye(4)[y_true], np.eye(4)[y_pred] * 0.7 + 0.05
    np.testing.assert_allclose(run(M.OneHotMeanIoU(num_classes=4), one_hot, scores, w),
                               per_class.mean(), rtol=1e-5)
    np.testing.assert_allclose(run(M.OneHotIoU(num_classes=4, target_class_ids=[0]),
                                   one_hot, scores, w), per_class[0], rtol=1e-5)


def test_binary_iou_and_ignore_class_by_hand():
    # cm = [[0.2, 0.4], [0.3, 0.1]]: IoU_0 = 0.2 / 0.9, IoU_1 = 0.1 / 0.8.
    m = M.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    got = run(m, [0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7], [0.2, 0.3, 0.4, 0.1])
    assert got == pytest.approx((0.2 / 0.9 + 0.1 / 0.8) / 2, rel=1e-5)
    # Label 255 is void, so its entry (predicted 2) is dropped. Left: (true, pred) pairs
    # (0, 0), (1, 1), (1, 0): IoU_0 = 1 / (2 + 1 - 1), IoU_1 = 1 / (1 + 2 - 1); class 2
    # never occurs (denominator 0) and is left out of the mean.
    m = M.MeanIoU(num_classes=3, ignore_class=255)
    got = run(m, [[0, 1], [255, 1]], [[0, 1], [2, 0]])
    assert got == pytest.approx(0.5, rel=1e-5)
    with pytest.raises(ValueError, match="num_classes=3"):
        M.MeanIoU(num_classes=3).update_state([0, 3], [0, 1])


# -- regression -----------------------------------------------------------------------------
@pytest.mark.parametrize("aggregation, multioutput", [
    ("uniform_average", "uniform_average"), ("variance_weighted_average", "variance_weighted"),
    (None, "raw_values")])
def test_r2_matches_sklearn(rng, aggregation, multioutput):
    y_true = rng.normal(size=(200, 3)).astype("float32")
    y_pred = (y_true + rng.normal(scale=0.5, size=(200, 3))).astype("float32")
    w = rng.uniform(0, 2, size=200)
    expected = skm.r2_score(y_true, y_pred, sample_weight=w, multioutput=multioutput)
    got = run(M.R2Score(class_aggregation=aggregation), y_true, y_pred, w)
    np.testing.assert_allclose(got, expected, rtol=1e-4)
    n, p = y_true.size, 2
    adjusted = 1 - (1 - skm.r2_score(y_true, y_pred)) * (n - 1) / (n - p - 1)
    np.testing.assert_allclose(run(M.R2Score(num_regressors=p), y_true, y_pred), adjusted,
                               rtol=1e-4)


def test_mean_metrics_match_numpy_formulas(rng):
    y_true = rng.normal(size=(50, 4)).astype("float32")
    y_pred = rng.normal(size=(50, 4)).astype("float32")
    w = rng.uniform(0, 2, size=50)
    signs = np.sign(y_true)
    labels01 = (signs + 1) / 2
    probs_t = np.abs(y_true) / np.abs(y_true).sum(1, keepdims=True)
    probs_p = np.abs(y_pred) / np.abs(y_pred).sum(1, keepdims=True)
    pos_p = np.abs(y_pred) + 0.1
    one_hot = np.eye(4, dtype="float32")[rng.integers(0, 4, size=50)]
    cos = (y_true * y_pred).sum(1) / np.linalg.norm(y_true, axis=1) / np.linalg.norm(y_pred, axis=1)
    cases = [
        (M.CosineSimilarity(), y_true, y_pred, cos),
        (M.LogCoshError(), y_true, y_pred, np.log(np.cosh(y_pred - y_true)).mean(1)),
        (M.Poisson(), np.abs(y_true), pos_p,
         (pos_p - np.abs(y_true) * np.log(pos_p + 1e-7)).mean(1)),
        (M.KLDivergence(), probs_t, probs_p, (probs_t * np.log(probs_t / probs_p)).sum(1)),
        (M.Hinge(), labels01, y_pred, np.maximum(1 - signs * y_pred, 0).mean(1)),
        (M.SquaredHinge(), signs, y_pred, (np.maximum(1 - signs * y_pred, 0) ** 2).mean(1)),
        (M.CategoricalHinge(), one_hot, y_pred,
         np.maximum(0, ((1 - one_hot) * y_pred).max(1) - (one_hot * y_pred).sum(1) + 1)),
    ]
    for metric, yt, yp, per_sample in cases:
        got = run(metric, yt.astype("float32"), yp.astype("float32"), w)
        np.testing.assert_allclose(got, np.average(per_sample, weights=w), rtol=1e-4,
                                   err_msg=metric.name)
