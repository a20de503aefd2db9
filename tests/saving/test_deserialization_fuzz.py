"""Property-based fuzz of deserialization with hostile names (issue #14 §3).

Hypothesis builds random nested configs from a vocabulary of dangerous names (``os.system``,
``builtins.eval``, ``__import__``, registered functions under class names, package tricks,
Lambda bytecode) and drops them into random places of a model config. Whatever it builds,
loading either succeeds or raises a ``ValueError``/``TypeError`` with a message, and the
payload's marker file is never written.
"""

import json
import pathlib
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kcore
from kcore.backend import object_registration
from kcore.backend.bytecode import func_dump

MARKER = pathlib.Path(tempfile.mkdtemp(prefix="kcore_fuzz_")) / "marker"


def _payload(**kwargs):
    MARKER.write_text("ran")


def _payload_lambda(*args, p=str(MARKER), **kwargs):
    open(p, "w").close()


MODULES = [None, "os", "posix", "builtins", "subprocess", "keras", "keras.layers",
           "keras.initializers", "keras.src.models.functional", "kcore.saving", "importlib"]
NAMES = ["system", "eval", "exec", "Popen", "__import__", "import_module", "audit_log",
         "app>audit_log", "evil>audit_log", "Dense", "Sequential", "load_model", "__class__",
         "__subclasses__", "GlorotUniform", "relu", "function", "__lambda__"]
REGISTERED = [None, "function", "app>audit_log", "evil>audit_log", "Dense", "app>Dense"]
POSITIONS = ["layer", "kernel_initializer", "bias_regularizer", "kernel_constraint",
             "activation", "dtype", "arguments"]

names = st.sampled_from(NAMES)
leaf = st.one_of(
    names,
    st.builds(lambda m, c, r: {"module": m, "class_name": c, "config": {"units": 1},
                               "registered_name": r},
              st.sampled_from(MODULES), names, st.sampled_from(REGISTERED)),
    st.builds(lambda m, c, r: {"module": m, "class_name": "function", "config": c,
                               "registered_name": r},
              st.sampled_from(MODULES), names, st.sampled_from(REGISTERED)),
    st.just({"class_name": "__lambda__", "config": {"value": list(func_dump(_payload_lambda))}}),
)
configs = st.recursive(leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.builds(lambda c, inner_cfg: {"class_name": c, "config": {"layer": inner_cfg}},
              names, inner),
    st.builds(lambda inner_cfg: {"class_name": inner_cfg, "config": {}}, inner),
), max_leaves=6)


def _model(position, payload):
    layer = kcore.layers.serialize(kcore.layers.Dense(1, name="d"))
    if position == "layer":
        layer = payload
    elif position == "arguments":
        layer = kcore.layers.serialize(kcore.layers.Lambda(kcore.activations.relu, name="l"))
        layer["config"]["arguments"] = {"x": payload}
    else:
        layer["config"][position] = payload
    return {"module": "keras", "class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 2], "name": "in"}},
        layer]}}


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(position=st.sampled_from(POSITIONS), payload=configs,
       custom=st.sampled_from([None, {"system": _payload, "Dense": _payload}]))
def test_hostile_configs_never_run_code(position, payload, custom):
    registry = object_registration._GLOBAL_CUSTOM_OBJECTS
    registry["app>audit_log"] = _payload
    config = _model(position, payload)
    try:
        for load in (
                lambda: kcore.models.model_from_json(json.dumps(config), custom_objects=custom),
                lambda: kcore.saving.deserialize_keras_object(config, custom_objects=custom),
                lambda: kcore.layers.deserialize(payload, custom_objects=custom)):
            try:
                load()
            except (ValueError, TypeError) as e:
                assert str(e)
            assert not MARKER.exists()
    finally:
        registry.pop("app>audit_log", None)
