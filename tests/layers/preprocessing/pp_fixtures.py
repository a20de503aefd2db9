"""Loads the real-Keras preprocessing fixtures (see
``tests/fixtures/keras/preprocessing/make_preprocessing_fixtures.py``)."""

import functools
import json
import pathlib

import numpy as np

PATH = (pathlib.Path(__file__).resolve().parents[2] / "fixtures" / "keras" / "preprocessing"
        / "preprocessing.json")


@functools.lru_cache(maxsize=None)
def _all():
    return json.loads(PATH.read_text())


def fixture(name):
    return _all()[name]


def layer_kwargs(config):
    """The constructor arguments of a recorded config (name/dtype/trainable dropped)."""
    return {k: v for k, v in config.items() if k not in ("name", "dtype", "trainable")}


def as_input(entry):
    dtype = entry["input_dtype"]
    if dtype.startswith("<U") or dtype == "object" or dtype.startswith("|S"):
        return np.array(entry["input"], dtype=object)
    return np.array(entry["input"], dtype=dtype)


def output_of(value):
    return np.asarray(value.value if hasattr(value, "value") else value)
