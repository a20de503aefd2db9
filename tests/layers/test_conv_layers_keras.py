"""Replays the real-Keras convolution and pooling fixtures on the kcore layers.

``test_keras_fixtures.py`` replays every fixture through ``kcore.layers``; this module runs
the conv/pool ones against the classes in ``kcore.layers.convolutional``,
``conv_depthwise`` and ``pooling`` directly, so they are checked before (and whether or
not) they are exported.
"""

import copy

import pytest

import kcore
import keras_fixtures  # noqa: E402  (tests/layers is on sys.path via conftest)
from kcore.layers import conv_depthwise, convolutional, pooling

CLASSES = {name: obj for module in (convolutional, conv_depthwise, pooling)
           for name, obj in vars(module).items()
           if isinstance(obj, type) and issubclass(obj, kcore.layers.Layer)}
CASES = [c for c in keras_fixtures.load_cases()
         if keras_fixtures.family(c["class_name"]) in ("convolution", "pooling")]


def test_every_conv_and_pool_fixture_class_exists():
    assert len(CASES) == 73
    assert sorted({c["class_name"] for c in CASES} - set(CLASSES)) == []


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_conv_pool_fixture(case, monkeypatch):
    monkeypatch.setattr(keras_fixtures, "layer_class", lambda name: CLASSES[name])
    kcore.utils.set_random_seed(0)
    keras_fixtures.replay(case)


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_get_config_reproduces_the_keras_config(case):
    config = copy.deepcopy(case["config"])
    layer = CLASSES[case["class_name"]].from_config(config)
    got = layer.get_config()
    assert set(got) == set(config)
    assert {k: list(v) if isinstance(v, tuple) else v for k, v in got.items()} == config
