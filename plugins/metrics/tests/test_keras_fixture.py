"""Replays every run of the real-Keras fixture for the metrics this plugin provides.

Each case builds the metric from the config Keras wrote (``from_config``), feeds the two
recorded batches (with the recorded sample weights for ``_weighted`` cases) and compares
the cumulative result after each batch, then the result after ``reset_state()``.
"""

import json
import pathlib

import numpy as np
import pytest

import kcore

FIXTURE = pathlib.Path(__file__).resolve().parents[3] / "tests/fixtures/keras/metrics.json"
PLUGIN_CLASSES = {
    "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "Precision",
    "Recall", "AUC", "PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity",
    "SpecificityAtSensitivity", "F1Score", "FBetaScore", "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "IoU", "MeanIoU", "BinaryIoU", "OneHotIoU",
    "OneHotMeanIoU", "R2Score", "CosineSimilarity", "LogCoshError", "Poisson",
    "KLDivergence", "Hinge", "SquaredHinge", "CategoricalHinge",
}


def _cases():
    data = json.loads(FIXTURE.read_text())
    assert data["failed"] == []
    return [c for c in data["cases"] if c["class_name"] in PLUGIN_CLASSES]


CASES = _cases()


def test_fixture_covers_every_plugin_class():
    assert {c["class_name"] for c in CASES} == PLUGIN_CLASSES
    assert len(CASES) == 138


def _result(metric):
    return np.asarray(kcore.ops.convert_to_numpy(metric.result()), dtype=np.float64)


@pytest.mark.filterwarnings("ignore:More independent predictors:UserWarning")
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_matches_keras(case):
    cls = getattr(kcore.metrics, case["class_name"])  # through the installed entry point
    metric = cls.from_config(case["config"])
    for batch in case["batches"]:
        y_true = np.asarray(batch["y_true"], dtype=batch["y_true_dtype"])
        y_pred = np.asarray(batch["y_pred"], dtype="float32")
        weights = batch.get("sample_weight")
        metric.update_state(y_true, y_pred,
                            sample_weight=None if weights is None else np.float32(weights))
        np.testing.assert_allclose(_result(metric), batch["result"], rtol=1e-5, atol=1e-6)
    metric.reset_state()
    np.testing.assert_allclose(_result(metric), case["result_after_reset"], rtol=1e-5,
                               atol=1e-6, equal_nan=True)


@pytest.mark.parametrize("case", [c for c in CASES if not c["weighted"]],
                         ids=lambda c: c["name"])
def test_config_round_trips_keras_config(case):
    cls = getattr(kcore.metrics, case["class_name"])
    config = cls.from_config(case["config"]).get_config()
    # JSON normalises tuples to lists, as the fixture did.
    assert json.loads(json.dumps(config)) == case["config"]
