"""Real Keras loads the files kcore writes and predicts the same outputs.

Runs in-process when ``keras`` is importable, and in a subprocess with a separate Keras
interpreter (``$KCORE_KERAS_PYTHON``, default ``/root/scratch/kerasenv/bin/python``, with
Keras 3 + TensorFlow) when that exists; otherwise each test skips and says why.
"""

import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

import kcore
from kcore.saving import saving_api

from saving_helpers import data, multi_io, multi_io_data, nested, sequential

KERAS_PYTHON = os.environ.get("KCORE_KERAS_PYTHON", "/root/scratch/kerasenv/bin/python")

# Loads every model file, predicts; rebuilds each from its file, zeroes it, loads each
# weights file into it, predicts again; prints everything as JSON.
KERAS_SCRIPT = r"""
import json, os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np, keras
job = json.load(open(sys.argv[1]))
out = {}
for case in job:
    xs = [np.asarray(x, dtype="float32") for x in case["x"]]
    x = xs[0] if len(xs) == 1 else xs
    model = keras.models.load_model(case["model"])
    res = {"model": [np.asarray(p).tolist() for p in _list(model.predict(x, verbose=0))]}
    res["iterations"] = int(model.optimizer.iterations.numpy()) if model.optimizer else None
    for key in ("weights", "legacy_weights"):
        fresh = keras.models.load_model(case["model"], compile=False)
        fresh.set_weights([np.zeros_like(w) for w in fresh.get_weights()])
        fresh.load_weights(case[key])
        res[key] = [np.asarray(p).tolist() for p in _list(fresh.predict(x, verbose=0))]
    out[case["name"]] = res
print("RESULT" + json.dumps(out))
"""
KERAS_SCRIPT = KERAS_SCRIPT.replace(
    "out = {}", "out = {}\ndef _list(p):\n    return p if isinstance(p, (list, tuple)) else [p]")


def _compiled(model, multi):
    # Not "mse": Keras 3.15 cannot load its own .h5 files with an "mse" loss in a dict
    # ("Could not deserialize 'keras.metrics.mse'"); kcore can.
    loss = {"cls": "sparse_categorical_crossentropy", "reg": "mean_squared_error"} if multi else \
        "sparse_categorical_crossentropy"
    metrics = {"cls": ["accuracy"]} if multi else ["accuracy"]
    model.compile(optimizer=kcore.optimizers.Adam(1e-2), loss=loss, metrics=metrics)
    return model


def _write_cases(tmp_path):
    cases = []
    for name, build, make_data, multi in [("sequential", sequential, data, False),
                                          ("multi_io", multi_io, multi_io_data, True),
                                          ("nested", nested, data, False)]:
        kcore.utils.set_random_seed(5)
        model = _compiled(build(), multi)
        x, y = make_data()
        model.fit(x, y, epochs=1, batch_size=8, verbose=0)
        paths = {k: str(tmp_path / f"{name}{suffix}") for k, suffix in
                 [("model", ".h5"), ("weights", ".weights.h5"), ("legacy_weights", "_w.h5")]}
        saving_api.save_model(model, paths["model"])
        saving_api.save_weights(model, paths["weights"])
        saving_api.save_weights(model, paths["legacy_weights"])
        xs = x if isinstance(x, list) else [x]
        pred = model.predict(x, verbose=0)
        cases.append({"name": name, **paths, "x": [a[:5].tolist() for a in xs],
                      "expected": [p[:5] for p in (pred if isinstance(pred, list) else [pred])],
                      "iterations": int(model.optimizer.iterations.numpy())})
    return cases


def _compare(cases, results):
    for case in cases:
        got = results[case["name"]]
        assert got["iterations"] == case["iterations"], case["name"]
        for key in ("model", "weights", "legacy_weights"):
            assert len(got[key]) == len(case["expected"]), (case["name"], key)
            for a, b in zip(got[key], case["expected"]):
                np.testing.assert_allclose(np.asarray(a), b, rtol=1e-5, atol=1e-6,
                                           err_msg=f"{case['name']} {key}")


def _job(cases, tmp_path):
    job = [{k: v for k, v in c.items() if k not in ("expected", "iterations")} for c in cases]
    path = tmp_path / "job.json"
    path.write_text(json.dumps(job))
    return path


def test_keras_in_this_environment_loads_kcore_files(tmp_path):
    try:
        import keras  # noqa: F401
    except ImportError:
        pytest.skip("keras is not installed in this environment (see the subprocess test)")
    import contextlib
    import io
    import runpy
    import sys

    cases = _write_cases(tmp_path)
    buf = io.StringIO()
    argv = sys.argv
    sys.argv = ["keras_check", str(_job(cases, tmp_path))]
    try:
        with contextlib.redirect_stdout(buf):
            script = tmp_path / "check.py"
            script.write_text(KERAS_SCRIPT)
            runpy.run_path(str(script), run_name="__main__")
    finally:
        sys.argv = argv
    _compare(cases, json.loads(buf.getvalue().split("RESULT", 1)[1]))


@pytest.mark.slow
def test_keras_interpreter_loads_kcore_files(tmp_path):
    if not pathlib.Path(KERAS_PYTHON).exists():
        pytest.skip(f"no Keras interpreter at {KERAS_PYTHON} (set KCORE_KERAS_PYTHON)")
    cases = _write_cases(tmp_path)
    script = tmp_path / "check.py"
    script.write_text(KERAS_SCRIPT)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([KERAS_PYTHON, str(script), str(_job(cases, tmp_path))],
                          capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0 and "RESULT" in proc.stdout, proc.stderr[-3000:]
    _compare(cases, json.loads(proc.stdout.split("RESULT", 1)[1]))
