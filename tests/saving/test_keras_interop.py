"""Real Keras loads the files kcore writes and predicts the same outputs.

Keras 3.15.1 (with jax, which its numpy backend imports) is in kcore's ``[test]`` extra, so
``make test`` runs this check: a subprocess with ``KERAS_BACKEND=numpy`` (no TensorFlow
needed) loads kcore-written ``.keras`` and ``.h5`` models, unzipped model folders
(``zipped=False``), ``.weights.h5``/legacy ``.h5`` weights and ``model.to_json()`` output,
predicts, and reports the restored optimizer state.
It skips only where ``keras`` is not importable (an environment set up without the test
extra).

A second, slow check uses a separate interpreter with Keras 3 + TensorFlow
(``$KCORE_KERAS_PYTHON``) when one exists.
"""

import importlib.util
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import kcore
from kcore.saving import saving_api

from saving_helpers import data, multi_io, multi_io_data, nested, sequential, subclassed

KERAS_PYTHON = os.environ.get("KCORE_KERAS_PYTHON", "/root/scratch/kerasenv/bin/python")

# Loads every model file, predicts; rebuilds each from its file, zeroes it, loads each
# weights file into it, predicts again; prints everything as JSON. The Keras twin of
# saving_helpers.TwoLayer is registered under the same name.
KERAS_SCRIPT = r"""
import json, os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np, keras


@keras.saving.register_keras_serializable(package="kcore_tests")
class TwoLayer(keras.Model):
    def __init__(self, units=8, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = keras.layers.Dense(units, activation="relu", name="hidden")
        self.head = keras.layers.Dense(3, activation="softmax", name="head")

    def call(self, inputs, training=None):
        return self.head(self.hidden(inputs))

    def get_config(self):
        return {"name": self.name, "units": self.units}


@keras.saving.register_keras_serializable(package="kcore_tests")
class Gate(keras.layers.Layer):
    def __init__(self, bias=0.0, **kwargs):
        super().__init__(**kwargs)
        self.bias = bias

    def build(self, input_shape):
        self.gate = self.add_weight(shape=(input_shape[-1],), name="gate",
                                    initializer="ones")

    def call(self, x):
        return x * keras.ops.sigmoid(self.gate) + self.bias

    def get_config(self):
        return {**super().get_config(), "bias": self.bias}


@keras.saving.register_keras_serializable(package="kcore_tests")
class Block(keras.layers.Layer):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.inner = keras.layers.Dense(units, activation="tanh")

    def build(self, input_shape):
        self.inner.build(input_shape)

    def call(self, x):
        return x + self.inner(x)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def _list(p):
    return p if isinstance(p, (list, tuple)) else [p]


def _predict(model, x):
    return [np.asarray(p).tolist() for p in _list(model.predict(x, verbose=0))]


job = json.load(open(sys.argv[1]))
out = {}
for case in job:
    xs = [np.asarray(x, dtype=case["dtype"]) for x in case["x"]]
    x = xs[0] if len(xs) == 1 else xs
    res = {}
    for key in case["models"]:
        model = keras.models.load_model(case[key])
        res[key] = _predict(model, x)
        if key == "model.keras":  # compiled as kcore compiled it: evaluate agrees
            ys = [np.asarray(y) for y in case["y"]]
            res["evaluate"] = {k: float(v) for k, v in model.evaluate(
                x, ys[0] if len(ys) == 1 else ys, verbose=0, return_dict=True).items()}
        opt = model.optimizer
        res[key + ":optimizer"] = None if opt is None else {
            "class_name": type(opt).__name__,
            "iterations": int(np.asarray(opt.iterations)),
            "variables": [np.asarray(v).tolist() for v in opt.variables]}
    for key in case["weights"]:
        fresh = keras.models.load_model(case[case["models"][0]], compile=False)
        fresh.set_weights([np.zeros_like(w) for w in fresh.get_weights()])
        fresh.load_weights(case[key])
        res[key] = _predict(fresh, x)
    if "json" in case:
        rebuilt = keras.models.model_from_json(open(case["json"]).read())
        rebuilt.load_weights(case["weights_file"])
        res["json"] = _predict(rebuilt, x)
    out[case["name"]] = res
print("RESULT" + json.dumps(out))
"""


@kcore.saving.register_keras_serializable(package="kcore_tests")
class Gate(kcore.layers.Layer):
    """A registered custom layer with a weight and a config argument (twin in the script)."""

    def __init__(self, bias=0.0, **kwargs):
        super().__init__(**kwargs)
        self.bias = bias

    def build(self, input_shape):
        self.gate = self.add_weight(shape=(input_shape[-1],), name="gate",
                                    initializer="ones")

    def call(self, x):
        return x * kcore.ops.sigmoid(self.gate) + self.bias

    def get_config(self):
        return {**super().get_config(), "bias": self.bias}


@kcore.saving.register_keras_serializable(package="kcore_tests")
class Block(kcore.layers.Layer):
    """A registered custom layer holding a sublayer (twin in the script)."""

    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.inner = kcore.layers.Dense(units, activation="tanh")

    def build(self, input_shape):
        self.inner.build(input_shape)

    def call(self, x):
        return x + self.inner(x)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def custom_layer():
    inputs = kcore.Input((6,), name="x")
    hidden = Gate(0.25, name="gate")(kcore.layers.Dense(4, name="d")(inputs))
    hidden = Block(4, name="block")(hidden)
    return kcore.Model(inputs, kcore.layers.Dense(3, activation="softmax", name="o")(hidden),
                       name="custom")


def ops_model():
    """Ops on symbolic tensors, which Keras records as Operation nodes (Sum, Softmax...)."""
    ops = kcore.ops
    inputs = kcore.Input((6,), name="x")
    h = kcore.layers.Dense(4, name="d")(inputs)
    parts = [ops.sum(h * 2.0, axis=-1, keepdims=True),
             ops.mean(ops.softmax(h), axis=1, keepdims=True),
             ops.cast(h > 0.0, "float32"), ops.where(h > 0.1, h, -h), ops.relu6(h) / 6.0,
             ops.expand_dims(ops.maximum(h, 0.5), -1)[:, :, 0],
             ops.reshape(ops.stack([h, 1.0 - h], axis=1), (-1, 8)),
             ops.clip(ops.abs(h), 0.1, 0.9) ** 2]
    hidden = ops.concatenate(parts, axis=-1)
    return kcore.Model(inputs, kcore.layers.Dense(3, activation="softmax", name="o")(hidden),
                       name="ops")


def _compiled(model, multi):
    # Not "mse": Keras 3.15 cannot load its own .h5 files with an "mse" loss in a dict
    # ("Could not deserialize 'keras.metrics.mse'"); kcore can.
    loss = {"cls": "sparse_categorical_crossentropy", "reg": "mean_squared_error"} if multi else \
        "sparse_categorical_crossentropy"
    metrics = {"cls": ["accuracy"]} if multi else ["accuracy"]
    loss_weights = {"cls": 1.0, "reg": 0.5} if multi else None
    model.compile(optimizer=kcore.optimizers.Adam(1e-2), loss=loss, metrics=metrics,
                  loss_weights=loss_weights)
    return model


def cnn():
    return kcore.Sequential([
        kcore.Input((6, 6, 2)), kcore.layers.Conv2D(3, 3, activation="relu", name="conv"),
        kcore.layers.BatchNormalization(name="bn"), kcore.layers.MaxPooling2D(2, name="pool"),
        kcore.layers.Flatten(name="flat"), kcore.layers.Dropout(0.3, name="drop"),
        kcore.layers.Dense(3, activation="softmax", name="out")], name="cnn")


def cnn_data(n=16):
    rng = np.random.default_rng(2)
    return rng.normal(size=(n, 6, 6, 2)).astype("float32"), rng.integers(0, 3, n)


def rnn():
    return kcore.Sequential([
        kcore.Input((5,), dtype="int32"), kcore.layers.Embedding(12, 4, name="emb"),
        kcore.layers.LSTM(4, return_sequences=True, name="lstm"), kcore.layers.GRU(3, name="gru"),
        kcore.layers.Dense(3, activation="softmax", name="out")], name="rnn")


def rnn_data(n=16):
    rng = np.random.default_rng(3)
    return rng.integers(0, 12, size=(n, 5)).astype("int32"), rng.integers(0, 3, n)


# name -> (builder, data, multi-output, model suffixes)
CASES = {
    "sequential": (sequential, data, False, (".keras", ".h5")),
    "multi_io": (multi_io, multi_io_data, True, (".keras", ".h5")),
    "nested": (nested, data, False, (".keras", ".h5")),
    "cnn": (cnn, cnn_data, False, (".keras", ".h5")),
    "rnn": (rnn, rnn_data, False, (".keras", ".h5")),
    # Keras stores no build shape in .h5 files, so only .keras can rebuild it.
    "subclassed": (subclassed, data, False, (".keras",)),
    "custom_layer": (custom_layer, data, False, (".keras", ".h5")),
    # Keras 3.15 cannot load op nodes from .h5 files, not even its own ("Unknown layer:
    # 'Sum'"), so only .keras.
    "ops": (ops_model, data, False, (".keras",)),
}


def _write_cases(tmp_path):
    cases, expected = [], {}
    for name, (build, make_data, multi, suffixes) in CASES.items():
        kcore.utils.set_random_seed(5)
        model = _compiled(build(), multi)
        x, y = make_data()
        model.fit(x, y, epochs=1, batch_size=8, verbose=0)
        case = {"name": name, "models": [], "weights": ["weights_file", "legacy_weights_file"],
                "weights_file": str(tmp_path / f"{name}.weights.h5"),
                "legacy_weights_file": str(tmp_path / f"{name}_w.h5")}
        for suffix in suffixes:
            key = f"model{suffix}"
            case[key] = str(tmp_path / f"{name}{suffix}")
            case["models"].append(key)
            saving_api.save_model(model, case[key])
        if name in ("sequential", "custom_layer"):  # the unzipped form (zipped=False)
            case["model_folder"] = str(tmp_path / f"{name}_folder")
            case["models"].append("model_folder")
            saving_api.save_model(model, case["model_folder"], zipped=False)
        saving_api.save_weights(model, case["weights_file"])
        saving_api.save_weights(model, case["legacy_weights_file"])
        if name != "subclassed":  # Keras rebuilds only graph models from JSON alone
            case["json"] = str(tmp_path / f"{name}.json")
            pathlib.Path(case["json"]).write_text(model.to_json())
        xs = x if isinstance(x, list) else [x]
        case["x"] = [a[:5].tolist() for a in xs]
        case["dtype"] = str(xs[0].dtype)
        ys = [a[:5] for a in (y if isinstance(y, list) else [y])]
        case["y"] = [a.tolist() for a in ys]
        pred = model.predict(x, verbose=0)
        expected[name] = {
            "evaluate": model.evaluate([a[:5] for a in xs] if len(xs) > 1 else xs[0][:5],
                                       ys if len(ys) > 1 else ys[0], verbose=0,
                                       return_dict=True),
            "pred": [p[:5] for p in (pred if isinstance(pred, list) else [pred])],
            "iterations": int(model.optimizer.iterations.numpy()),
            "optimizer_variables": [v.numpy() for v in model.optimizer.variables]}
        cases.append(case)
    return cases, expected


def _job(cases, tmp_path):
    path = tmp_path / "job.json"
    path.write_text(json.dumps(cases))
    return path


def _compare(cases, expected, results):
    for case in cases:
        name, want = case["name"], expected[case["name"]]
        got = results[name]
        for key in case["models"] + case["weights"] + (["json"] if "json" in case else []):
            assert len(got[key]) == len(want["pred"]), (name, key)
            for a, b in zip(got[key], want["pred"]):
                np.testing.assert_allclose(np.asarray(a), b, rtol=1e-5, atol=1e-6,
                                           err_msg=f"{name} {key}")
        # Keras compiles the .keras model with kcore's losses, loss weights and metrics.
        assert sorted(got["evaluate"]) == sorted(want["evaluate"]), name
        for k, v in want["evaluate"].items():
            assert got["evaluate"][k] == pytest.approx(v, rel=1e-5, abs=1e-6), (name, k)
        # Keras restores the optimizer from .keras files and folders (not from .h5: Keras
        # 3.15 drops it there).
        for key in ("model.keras", "model_folder"):
            opt = got.get(f"{key}:optimizer")
            if key not in case["models"]:
                continue
            assert opt["class_name"] == "Adam" and opt["iterations"] == want["iterations"], \
                (name, key)
            assert len(opt["variables"]) == len(want["optimizer_variables"]), (name, key)
            for a, b in zip(opt["variables"], want["optimizer_variables"]):
                np.testing.assert_array_equal(np.asarray(a, dtype=b.dtype), b,
                                              err_msg=f"{name} {key} optimizer variables")


def _run_keras(python, tmp_path, env_extra):
    cases, expected = _write_cases(tmp_path)
    script = tmp_path / "check.py"
    script.write_text(KERAS_SCRIPT)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3", **env_extra)
    proc = subprocess.run([python, str(script), str(_job(cases, tmp_path))],
                          capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    assert proc.returncode == 0 and "RESULT" in proc.stdout, proc.stderr[-3000:]
    _compare(cases, expected, json.loads(proc.stdout.split("RESULT", 1)[1]))


def test_keras_numpy_backend_loads_kcore_files(tmp_path):
    """The check ``make test`` runs: Keras from kcore's test extra, numpy backend."""
    if importlib.util.find_spec("keras") is None:
        pytest.skip("keras is not installed here; `make test` installs it (kcore's [test] "
                    "extra), so this runs there")
    _run_keras(sys.executable, tmp_path, {"KERAS_BACKEND": "numpy"})


@pytest.mark.slow
def test_keras_tensorflow_interpreter_loads_kcore_files(tmp_path):
    if not pathlib.Path(KERAS_PYTHON).exists():
        pytest.skip(f"no Keras interpreter at {KERAS_PYTHON} (set KCORE_KERAS_PYTHON)")
    _run_keras(KERAS_PYTHON, tmp_path, {})
