"""Replays optimizer and schedule runs recorded from real Keras 3.15.1 (tests/fixtures/keras)."""

import json
from pathlib import Path

import numpy as np
import pytest

from kcore import optimizers
from kcore.backend.tensor import Variable
from kcore.optimizers import schedules

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "keras"
RTOL, ATOL = 1e-5, 1e-6


def _load(name):
    path = FIXTURES / name
    if not path.exists():
        pytest.skip(f"{path} not generated")
    return json.loads(path.read_text())


OPTIMIZER_DATA = _load("optimizers.json") if (FIXTURES / "optimizers.json").exists() else {"cases": []}
SCHEDULE_DATA = _load("schedules.json") if (FIXTURES / "schedules.json").exists() else {"cases": []}


@pytest.mark.parametrize("case", OPTIMIZER_DATA["cases"], ids=lambda c: c["name"])
def test_optimizer_matches_keras(case):
    data = OPTIMIZER_DATA
    opt = optimizers.deserialize({"class_name": case["class_name"], "config": dict(case["config"])})
    variables = [Variable(np.array(v, dtype=np.float32), name=f"v{i}")
                 for i, v in enumerate(data["initial_values"])]
    arrays = [v.value for v in variables]
    for step in range(data["steps"]):
        grads = [np.array(g, dtype=np.float32) for g in data["grads"][step]]
        opt.apply_gradients(zip(grads, variables))
        for v, expected in zip(variables, case["values"][step]):
            np.testing.assert_allclose(v.value, expected, rtol=RTOL, atol=ATOL,
                                       err_msg=f"{case['name']} step {step} {v.name}")
        assert int(opt.iterations) == case["iterations"][step]
        if "ema_values" in case:
            for avg, expected in zip(opt._model_variables_moving_average, case["ema_values"][step]):
                np.testing.assert_allclose(avg.value, expected, rtol=RTOL, atol=ATOL)
    assert [(v.path, list(v.shape)) for v in opt.variables] == [
        (ov["path"], ov["shape"]) for ov in case["optimizer_variables"]]
    assert all(v.value is a for v, a in zip(variables, arrays)), "update was not in place"
    if "values_after_finalize" in case:
        opt.finalize_variable_values(variables)
        for v, expected in zip(variables, case["values_after_finalize"]):
            np.testing.assert_allclose(v.value, expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("case", OPTIMIZER_DATA["cases"], ids=lambda c: c["name"])
def test_optimizer_config_matches_keras(case):
    opt = optimizers.deserialize({"class_name": case["class_name"], "config": dict(case["config"])})
    assert opt.get_config() == case["config"]


@pytest.mark.parametrize("case", SCHEDULE_DATA["cases"], ids=lambda c: c["name"])
def test_schedule_matches_keras(case):
    schedule = schedules.deserialize({"class_name": case["class_name"], "config": case["config"]})
    got = [float(schedule(step)) for step in case["steps"]]
    np.testing.assert_allclose(got, case["values"], rtol=RTOL, atol=1e-7)
    assert schedule.get_config() == case["config"]
