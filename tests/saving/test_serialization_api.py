"""``kcore.saving.serialize_keras_object``/``deserialize_keras_object`` against Keras 3 (#15).

``tests/fixtures/serialization/keras_configs.json`` holds what real Keras 3 wrote for the
objects of ``objects.py`` (``make_fixtures.py`` made it). kcore must write the same
``module``/``class_name``/``registered_name`` and config keys, rebuild every built-in from
its own config with no ``custom_objects``, and read Keras's configs.
"""

import json
import math
import pathlib
import sys
import threading

import pytest

import kcore

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "serialization"
sys.path.insert(0, str(FIXTURES))
from objects import OBJECTS  # noqa: E402

KERAS = json.loads((FIXTURES / "keras_configs.json").read_text())["configs"]

#: Config keys Keras writes that kcore does not (or the reverse), with the reason.
KNOWN_KEY_DIFFERENCES = {
    # Keras 3.15's quantization support; kcore has no quantization.
    "quantization_config",
    # kcore writes Keras's top-level build/compile configs only where it reads them.
    "build_config", "compile_config",
    # Keras 3's Dense/Huber leave these constructor arguments out of get_config(), so a
    # reloaded layer/loss silently loses them; kcore writes them (Keras reads them back).
    "activity_regularizer", "delta",
}


def _make(key):
    return eval(OBJECTS[key], {"keras": kcore})  # noqa: S307 -- fixed expressions


def _diff(kc, ks, path="", out=None):
    """Differences between a kcore and a Keras config in structure, names and values."""
    out = [] if out is None else out
    if isinstance(ks, dict) and isinstance(kc, dict):
        for k in (set(ks) | set(kc)) - KNOWN_KEY_DIFFERENCES:
            if k not in kc or k not in ks:
                out.append(f"{path}/{k}: only in {'kcore' if k in kc else 'Keras'}")
            elif k != "name" or not path.endswith("config"):
                _diff(kc[k], ks[k], f"{path}/{k}", out)
    elif isinstance(ks, (list, tuple)) and isinstance(kc, (list, tuple)):
        if len(ks) != len(kc):
            out.append(f"{path}: length {len(kc)} != {len(ks)}")
        for i, (a, b) in enumerate(zip(kc, ks)):
            _diff(a, b, f"{path}[{i}]", out)
    elif isinstance(ks, float) or isinstance(kc, float):
        if not (isinstance(kc, (int, float)) and math.isclose(kc, ks, rel_tol=1e-6)):
            out.append(f"{path}: {kc!r} != {ks!r}")
    elif kc != ks:
        out.append(f"{path}: {kc!r} != {ks!r}")
    return out


@pytest.mark.parametrize("key", sorted(OBJECTS))
def test_config_matches_keras(key):
    config = kcore.saving.serialize_keras_object(_make(key))
    assert _diff(config, KERAS[key]) == []


@pytest.mark.parametrize("key", sorted(OBJECTS))
def test_round_trip_without_custom_objects(key):
    obj = _make(key)
    config = kcore.saving.serialize_keras_object(obj)
    rebuilt = kcore.saving.deserialize_keras_object(json.loads(json.dumps(config)))
    if callable(obj) and not hasattr(obj, "get_config"):
        assert rebuilt is obj
    else:
        assert type(rebuilt) is type(obj)
        assert _diff(kcore.saving.serialize_keras_object(rebuilt), config) == []


@pytest.mark.parametrize("key", sorted(OBJECTS))
def test_reads_keras_config(key):
    obj = kcore.saving.deserialize_keras_object(KERAS[key])
    expected = _make(key)
    if callable(expected) and not hasattr(expected, "get_config"):
        assert obj is expected
    else:
        assert type(obj) is type(expected)
        assert _diff(kcore.saving.serialize_keras_object(obj), KERAS[key]) == []


MODULE_PAIRS = [
    (kcore.layers, "dense"), (kcore.layers, "sequential"), (kcore.initializers, "glorot_normal"),
    (kcore.regularizers, "l1"), (kcore.constraints, "max_norm"), (kcore.activations, "relu"),
    (kcore.optimizers, "adam"), (kcore.optimizers.schedules, "exponential_decay"),
    (kcore.losses, "mse"), (kcore.losses, "mse_function"), (kcore.metrics, "mean"),
]


@pytest.mark.parametrize("module, key", MODULE_PAIRS, ids=[f"{m.__name__}-{k}" for m, k in MODULE_PAIRS])
def test_module_serialize_deserialize_pair(module, key):
    obj = _make(key)
    config = module.serialize(obj)
    rebuilt = module.deserialize(config)
    if callable(obj) and not hasattr(obj, "get_config"):
        assert rebuilt is obj
    else:
        assert type(rebuilt) is type(obj)
    # And each reads what Keras's own serialize wrote.
    assert type(module.deserialize(KERAS[key])) is type(rebuilt)


def test_activation_serialize_is_the_name_as_in_keras():
    assert kcore.activations.serialize(kcore.activations.relu) == "relu"


def test_registered_custom_objects_round_trip():
    @kcore.saving.register_keras_serializable(package="test_api")
    class Twice(kcore.layers.Layer):
        def call(self, x):
            return x * 2

    @kcore.saving.register_keras_serializable(package="test_api")
    def halve(x):
        return x / 2

    config = kcore.saving.serialize_keras_object(Twice(name="t"))
    assert config["class_name"] == "Twice"
    assert config["registered_name"] == "test_api>Twice"
    assert config["module"] == __name__
    assert isinstance(kcore.saving.deserialize_keras_object(config), Twice)
    fn_config = kcore.saving.serialize_keras_object(halve)
    assert fn_config == {"module": "builtins", "class_name": "function",
                         "config": "test_api>halve", "registered_name": "function"}
    assert kcore.saving.deserialize_keras_object(fn_config) is halve
    assert kcore.saving.get_registered_name(Twice) == "test_api>Twice"
    assert kcore.saving.get_registered_object("test_api>Twice") is Twice

    class Sub(Twice):  # not registered: registration is not inherited
        pass

    assert kcore.saving.get_registered_name(Sub) == "Sub"


def test_custom_object_scope_is_per_thread():
    class Scoped(kcore.layers.Layer):
        pass

    config = {"module": None, "class_name": "Scoped", "config": {"name": "s"},
              "registered_name": "Scoped"}
    seen = {}

    def other_thread():
        seen["other"] = kcore.saving.get_registered_object("Scoped")

    with kcore.saving.custom_object_scope({"Scoped": Scoped}):
        assert isinstance(kcore.saving.deserialize_keras_object(config), Scoped)
        t = threading.Thread(target=other_thread)
        t.start()
        t.join()
    assert seen["other"] is None
    assert kcore.saving.get_registered_object("Scoped") is None
    assert kcore.saving.CustomObjectScope is kcore.saving.custom_object_scope


KERAS_READS = """
import json, sys
import keras
configs = json.load(open(sys.argv[1]))
out = {}
for key, config in configs.items():
    obj = keras.saving.deserialize_keras_object(config)
    out[key] = keras.saving.serialize_keras_object(obj)
print("RESULT" + json.dumps(out))
"""


def test_keras_reads_kcore_configs(tmp_path):
    """Real Keras 3 (numpy backend, from kcore's test extra) rebuilds every kcore config."""
    import importlib.util
    import os
    import subprocess

    if importlib.util.find_spec("keras") is None:
        pytest.skip("keras is not installed here; `make test` installs it (kcore's [test] extra)")
    configs = {key: kcore.saving.serialize_keras_object(_make(key)) for key in OBJECTS}
    (tmp_path / "configs.json").write_text(json.dumps(configs))
    (tmp_path / "reads.py").write_text(KERAS_READS)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(KERAS_BACKEND="numpy", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run([sys.executable, str(tmp_path / "reads.py"),
                           str(tmp_path / "configs.json")], capture_output=True, text=True,
                          timeout=600, env=env, cwd=tmp_path)
    assert proc.returncode == 0 and "RESULT" in proc.stdout, proc.stderr[-3000:]
    rebuilt = json.loads(proc.stdout.split("RESULT", 1)[1])
    for key in OBJECTS:
        assert _diff(configs[key], rebuilt[key]) == [], key
