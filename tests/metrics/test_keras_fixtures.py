"""Replays the core-metric runs of ``tests/fixtures/keras/metrics.json`` (real Keras 3.15.1).

Plugin metrics (AUC, Precision, ...) in the same file are tested with their plugin.
"""

import json
import pathlib

import numpy as np
import pytest

from kcore import metrics

FIXTURE = pathlib.Path(__file__).parents[1] / "fixtures" / "keras" / "metrics.json"
CORE = set(metrics.__all__) - {"get", "serialize", "deserialize"}
CASES = ([c for c in json.loads(FIXTURE.read_text())["cases"] if c["class_name"] in CORE]
         if FIXTURE.exists() else [])
pytestmark = pytest.mark.skipif(not FIXTURE.exists(), reason="Keras metric fixtures not generated")


def _arrays(batch, case):
    if case["values_only"]:
        args = [np.asarray(batch["values"], dtype="float32")]
    else:
        args = [np.asarray(batch["y_true"], dtype=batch["y_true_dtype"]),
                np.asarray(batch["y_pred"], dtype="float32")]
    weight = np.asarray(batch["sample_weight"], dtype="float32") if case["weighted"] else None
    return args, weight


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_matches_keras(case):
    metric = getattr(metrics, case["class_name"]).from_config(case["config"])
    assert metric.get_config() == case["config"]
    for batch in case["batches"]:
        args, weight = _arrays(batch, case)
        metric.update_state(*args, sample_weight=weight)
        np.testing.assert_allclose(metric.result().numpy(), batch["result"], rtol=1e-5,
                                   atol=1e-6)
    metric.reset_state()
    np.testing.assert_allclose(metric.result().numpy(), case["result_after_reset"], atol=1e-7)


def test_fixture_covers_the_core_metrics():
    covered = {c["class_name"] for c in CASES}
    assert covered >= {"Mean", "Sum", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
                       "SparseCategoricalAccuracy", "MeanSquaredError", "RootMeanSquaredError",
                       "BinaryCrossentropy", "SparseCategoricalCrossentropy"}
