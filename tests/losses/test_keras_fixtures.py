"""Replays ``tests/fixtures/keras/losses.json`` (values computed by real Keras 3.15.1)."""

import json
import pathlib

import numpy as np
import pytest

from kcore import losses

FIXTURE = pathlib.Path(__file__).parents[1] / "fixtures" / "keras" / "losses.json"
DATA = json.loads(FIXTURE.read_text()) if FIXTURE.exists() else {"cases": [], "reductions": []}
pytestmark = pytest.mark.skipif(not FIXTURE.exists(), reason="Keras loss fixtures not generated")


def _inputs(case):
    y_true = np.asarray(case["y_true"], dtype=case["y_true_dtype"])
    return y_true, np.asarray(case["y_pred"], dtype="float32"), np.asarray(case["sample_weight"])


@pytest.mark.parametrize("case", DATA["cases"], ids=[c["name"] for c in DATA["cases"]])
@pytest.mark.parametrize("reduction", DATA["reductions"])
def test_matches_keras(case, reduction):
    cls = getattr(losses, case["class_name"])
    y_true, y_pred, sample_weight = _inputs(case)
    loss = cls(reduction=reduction, **case["kwargs"])
    expected = case["results"][reduction]
    np.testing.assert_allclose(loss(y_true, y_pred).numpy(), expected["unweighted"],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(loss(y_true, y_pred, sample_weight=sample_weight).numpy(),
                               expected["weighted"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", DATA["cases"], ids=[c["name"] for c in DATA["cases"]])
def test_config_matches_keras(case):
    loss = getattr(losses, case["class_name"])(**case["kwargs"])
    config = loss.get_config()
    # kcore keeps arguments Keras drops from the config (Huber's delta, ...) when they are
    # not the default; every key Keras writes must be there with Keras's value.
    assert {k: config[k] for k in case["config"]} == case["config"]
    assert set(config) - set(case["config"]) <= set(case["kwargs"])
