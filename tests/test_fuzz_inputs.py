"""Property-based fuzzing of compile/fit/evaluate/predict/load_model with Hypothesis.

Whatever the arguments and data, a call either succeeds or raises a ``ValueError`` /
``TypeError`` (``FileNotFoundError`` for a missing file) that kcore itself raised, with a
message — never a bare numpy/h5py error, ``KeyError``, ``IndexError`` or ``AttributeError``
from deep inside, and never a hang. Examples are bounded and derandomized, so the run is
deterministic and fast.
"""

import json
import os
import signal
import tempfile
import traceback

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kcore
from kcore import layers

ALLOWED = (ValueError, TypeError, FileNotFoundError)
SETTINGS = settings(max_examples=40, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck), print_blob=False)
SECONDS_PER_EXAMPLE = 60


class _Hang(Exception):
    pass


def _alarm(signum, frame):
    raise _Hang(f"no answer within {SECONDS_PER_EXAMPLE} s")


def _outcome(fn):
    """Runs ``fn``; returns None on success, else checks the error and returns it."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(SECONDS_PER_EXAMPLE)
    try:
        fn()
        return None
    except _Hang:
        raise
    except Exception as e:  # judged below
        error = e
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    frame = traceback.extract_tb(error.__traceback__)[-1]
    detail = (f"{type(error).__module__}.{type(error).__name__}: {error}\nraised in "
              f"{frame.filename}:{frame.lineno}: {frame.line}")
    assert isinstance(error, ALLOWED), detail
    assert type(error).__module__ == "builtins", detail
    assert str(error).strip(), detail
    # Raised on purpose by kcore (or a plugin) — a `raise` statement with a message — not a
    # numpy/h5py/Python error escaping from some expression deep inside.
    assert f"{os.sep}kcore" in frame.filename, detail
    assert (frame.line or "").lstrip().startswith("raise"), detail
    return error


# -- models and data ----------------------------------------------------------------------
def _model(kind):
    kcore.utils.set_random_seed(0)
    if kind == "embedding":
        return kcore.Sequential([kcore.Input((3,), dtype="int32"), layers.Embedding(10, 2),
                                 layers.Flatten(), layers.Dense(3)])
    if kind == "dict":
        a, b = kcore.Input((4,), name="a"), kcore.Input((2,), name="b")
        return kcore.Model({"a": a, "b": b}, layers.Dense(3)(layers.Concatenate()([a, b])))
    return kcore.Sequential([kcore.Input((4,)), layers.Dense(5, activation="relu"),
                             layers.Dense(3)])


def _x(kind, n, dtype, width_delta):
    gen = np.random.default_rng(n)
    if kind == "embedding":
        return gen.integers(0, 10, size=(n, 3 + width_delta)).astype(dtype)
    if kind == "dict":
        return {"a": gen.normal(size=(n, 4 + width_delta)).astype(dtype),
                "b": gen.normal(size=(n, 2)).astype(dtype)}
    return gen.normal(size=(n, 4 + width_delta)).astype(dtype)


numbers_or_junk = st.one_of(st.none(), st.integers(-3, 40), st.floats(-2, 40),
                            st.sampled_from(["8", "", "all"]), st.booleans())

compile_args = st.fixed_dictionaries({
    "optimizer": st.sampled_from(["adam", "sgd", "adam", "nope", 3]),
    "loss": st.sampled_from(["sparse_categorical_crossentropy", "mse", "sparse_categorical_"
                             "crossentropy", "categorical_crossentropy", "nope", 5, None]),
    "metrics": st.sampled_from([None, ["accuracy"], ["mae"], None, ["nope"], "accuracy", [3]]),
})

data_args = st.fixed_dictionaries({
    "kind": st.sampled_from(["dense", "embedding", "dict"]),
    "n": st.integers(0, 12),
    "dtype": st.sampled_from(["float32", "int64", "float64", "complex64", "<U3", "bool"]),
    "width_delta": st.sampled_from([0, 0, 0, 1, -1]),
    "label_shift": st.sampled_from([0, 0, 0, 3, -1, 100]),
    "label_dtype": st.sampled_from(["int64", "float32", "<U1"]),
    "y_rows_delta": st.sampled_from([0, 0, 0, 1]),
    "extra_key": st.booleans(),
})

fit_args = st.fixed_dictionaries({
    "batch_size": numbers_or_junk,
    "epochs": numbers_or_junk,
    "steps_per_epoch": st.one_of(st.none(), st.integers(-1, 3)),
    "validation_split": st.one_of(st.floats(-0.5, 1.5), st.just(0.0), st.just("0.2")),
    "class_weight": st.one_of(st.none(), st.dictionaries(
        st.one_of(st.integers(-2, 5), st.text(max_size=2), st.floats(0, 3)),
        st.one_of(st.floats(0, 3), st.text(max_size=1)), max_size=3)),
    "shuffle": st.booleans(),
})


def _labels(d):
    n = d["n"] + d["y_rows_delta"]
    y = (np.arange(n) % 3 + d["label_shift"] * (np.arange(n) == n - 1))
    return y.astype(d["label_dtype"]) if d["label_dtype"] != "<U1" else y.astype(str)


@SETTINGS
@given(c=compile_args, d=data_args, f=fit_args)
def test_compile_fit_evaluate_predict_fail_cleanly(c, d, f):
    model = _model(d["kind"])
    if _outcome(lambda: model.compile(**c)) is not None:
        return
    x = _x(d["kind"], d["n"], d["dtype"], d["width_delta"])
    if d["extra_key"] and isinstance(x, dict):
        x["c"] = x["a"]
    y = _labels(d)
    _outcome(lambda: model.fit(x, y, verbose=0, **f))
    _outcome(lambda: model.evaluate(x, y, batch_size=f["batch_size"], verbose=0))
    _outcome(lambda: model.predict(x, batch_size=f["batch_size"], verbose=0))


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(
                                ["class_name", "config", "layers", "name", "units",
                                 "batch_input_shape", "inbound_nodes", "module"]),
                                inner, max_size=4)),
    max_leaves=12)


@pytest.fixture(scope="module")
def saved_model_bytes():
    model = _model("dense")
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(np.ones((4, 4), "float32"), np.array([0, 1, 2, 0]), verbose=0)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.h5")
        model.save(path)
        with open(path, "rb") as f:
            return f.read()


@SETTINGS
@given(how=st.sampled_from(["model_config", "training_config", "truncate", "garbage",
                            "drop_group", "missing", "model_config_text"]),
       config=json_values, cut=st.floats(0.0, 1.0), text=st.text(max_size=20))
def test_load_model_fails_cleanly_on_damaged_files(saved_model_bytes, how, config, cut, text):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.h5")
        data = saved_model_bytes
        if how == "truncate":
            data = data[:int(len(data) * cut)]
        elif how == "garbage":
            data = text.encode() * 50
        if how != "missing":
            with open(path, "wb") as f:
                f.write(data)
        if how in ("model_config", "training_config", "model_config_text", "drop_group"):
            with h5py.File(path, "r+") as f:
                if how == "drop_group":
                    del f["model_weights"][list(f["model_weights"])[int(cut * 2.9)]]
                elif how == "model_config_text":
                    f.attrs["model_config"] = text
                else:
                    f.attrs[how] = json.dumps(config)
        _outcome(lambda: kcore.models.load_model(path))
