"""Deserialization calls only what may be called (issue #14 §3).

A name in a config resolves by exact key to an object of the kind expected there; a
function is never constructed as a class with arguments from the file; nothing is imported
from a ``module`` the file names. Every payload below tries to write a marker file; the
fuzz test crafts many hostile configs and asserts the marker never appears, through every
entry point (``model_from_json``, ``from_config``, ``deserialize_keras_object``,
``load_model`` on a real ``.h5`` file, and each module's ``deserialize``).
"""

import itertools
import json
import pathlib

import h5py
import numpy as np
import pytest

import kcore
from kcore.backend import object_registration

MARKER = {"path": None}


def audit_log(**kwargs):
    """Harmless payload: called with keyword arguments from a file, it writes the marker."""
    pathlib.Path(MARKER["path"]).write_text(json.dumps(kwargs, default=str))
    return kcore.layers.Dense(1)


class AuditLayer(kcore.layers.Layer):
    """A Layer whose construction writes the marker (for positions that are not layers)."""

    def __init__(self, **kwargs):
        pathlib.Path(MARKER["path"]).write_text("constructed")
        super().__init__(**kwargs)


@pytest.fixture(autouse=True)
def marker(tmp_path):
    MARKER["path"] = str(tmp_path / "marker")
    object_registration._GLOBAL_CUSTOM_OBJECTS.setdefault("app>audit_log", audit_log)
    object_registration._GLOBAL_CUSTOM_NAMES.setdefault(audit_log, "app>audit_log")
    yield pathlib.Path(MARKER["path"])
    object_registration._GLOBAL_CUSTOM_OBJECTS.pop("app>audit_log", None)
    object_registration._GLOBAL_CUSTOM_NAMES.pop(audit_log, None)


def _sequential(layer_cfg):
    return {"module": "keras", "class_name": "Sequential", "config": {"name": "s", "layers": [
        {"module": "keras.layers", "class_name": "InputLayer",
         "config": {"batch_shape": [None, 2], "name": "in"}, "registered_name": None},
        layer_cfg]}, "registered_name": None}


def _dense(**overrides):
    cfg = kcore.layers.serialize(kcore.layers.Dense(1, name="d"))
    cfg["config"].update(overrides)
    return cfg


# -- the specific cases of the issue ---------------------------------------------------------
def test_registered_function_is_not_constructed_as_a_layer(marker):
    cfg = {"module": None, "class_name": "audit_log", "config": {"units": 1},
           "registered_name": "app>audit_log"}
    with pytest.raises(TypeError) as info:
        kcore.models.model_from_json(json.dumps(_sequential(cfg)))
    message = str(info.value)
    assert "expected a subclass of kcore.layers.Layer" in message
    assert "function" in message and "audit_log" in message and "Fix:" in message
    assert not marker.exists()


def test_custom_objects_function_is_not_constructed_as_a_layer(marker):
    cfg = {"class_name": "MyLayer", "config": {"units": 1}}
    with pytest.raises(TypeError, match="expected a subclass of kcore.layers.Layer"):
        kcore.models.model_from_json(json.dumps(_sequential(cfg)),
                                     custom_objects={"MyLayer": audit_log})
    assert not marker.exists()


def test_qualified_name_never_falls_back_to_another_package(marker):
    cfg = {"module": None, "class_name": "audit_log", "config": {},
           "registered_name": "evil>audit_log"}
    for call in (lambda: kcore.models.model_from_json(json.dumps(_sequential(cfg))),
                 lambda: kcore.saving.deserialize_keras_object(cfg),
                 lambda: kcore.layers.deserialize(cfg),
                 lambda: kcore.saving.deserialize_keras_object(
                     cfg, custom_objects={"audit_log": audit_log})):
        with pytest.raises(ValueError, match="'evil>audit_log'.*exactly that name"):
            call()
    assert kcore.saving.get_registered_object("evil>audit_log") is None
    assert not marker.exists()


def test_layer_in_an_initializer_position_is_refused(marker):
    kcore.saving.register_keras_serializable("app")(AuditLayer) \
        if "app>AuditLayer" not in kcore.saving.get_custom_objects() else None
    init = {"module": None, "class_name": "AuditLayer", "config": {},
            "registered_name": "app>AuditLayer"}
    with pytest.raises(TypeError, match="expected a subclass of kcore.initializers.Initializer"):
        kcore.models.model_from_json(json.dumps(_sequential(_dense(kernel_initializer=init))))
    assert not marker.exists()


def test_functions_stay_allowed_where_keras_allows_them():
    def my_init(shape, dtype=None):
        return np.full(shape, 0.5, dtype="float32")

    cfg = _dense(kernel_initializer={"module": "builtins", "class_name": "function",
                                     "config": "my_init", "registered_name": "function"})
    model = kcore.models.model_from_json(json.dumps(_sequential(cfg)),
                                         custom_objects={"my_init": my_init})
    np.testing.assert_allclose(model.layers[-1].kernel.numpy(), 0.5)


def test_function_config_naming_a_class_is_refused():
    cfg = {"module": "builtins", "class_name": "function", "config": "Dense",
           "registered_name": "function"}
    with pytest.raises(TypeError, match="is a class"):
        kcore.activations.deserialize(cfg, custom_objects={"Dense": kcore.layers.Dense})


def test_error_names_expected_found_and_fix():
    with pytest.raises(TypeError) as info:
        kcore.optimizers.deserialize({"class_name": "Trick", "config": {}},
                                     custom_objects={"Trick": kcore.layers.Dense})
    message = str(info.value)
    assert "optimizer 'Trick'" in message
    assert "expected a subclass of kcore.optimizers.Optimizer" in message
    assert "class kcore.layers.core.Dense" in message and "Fix:" in message


# -- fuzz: hostile configs in every position, through every entry point ----------------------
HOSTILE_REFS = [
    # (module, class_name, registered_name)
    ("os", "system", None), ("builtins", "eval", None), ("builtins", "exec", None),
    ("subprocess", "Popen", None), ("posix", "system", None), (None, "__import__", None),
    ("builtins", "__import__", None), ("keras.layers", "Dense", "app>audit_log"),
    (None, "audit_log", "app>audit_log"), (None, "audit_log", "evil>audit_log"),
    ("keras", "audit_log", None), (None, "app>audit_log", None), (None, "evil>audit_log", None),
    ("keras.layers", "__class__", None), ("keras.layers", "__init__", None),
    ("kcore.saving", "load_model", None), ("keras.models", "load_model", None),
    ("keras.saving", "deserialize_keras_object", None),
]


def _hostile_objects():
    for module, class_name, registered in HOSTILE_REFS:
        yield {"module": module, "class_name": class_name, "config": {"command": "touch x"},
               "registered_name": registered}
        yield {"module": module, "class_name": "function", "config": class_name,
               "registered_name": registered}
    yield {"class_name": "__lambda__", "config": {"value": _payload_bytecode()}}
    yield {"class_name": {"class_name": "audit_log", "config": {}}, "config": {}}
    yield {"class_name": "Sequential", "config": {"layers": [
        {"class_name": "audit_log", "config": {}, "registered_name": "app>audit_log"}]}}
    yield "audit_log"
    yield "app>audit_log"
    yield "__import__"


def _payload_bytecode():
    from kcore.backend.bytecode import func_dump

    path = MARKER["path"]
    return list(func_dump(lambda *a, p=path, **k: open(p, "w").close()))


POSITIONS = ["layer", "kernel_initializer", "kernel_regularizer", "kernel_constraint",
             "activation", "dtype", "nested_model_layer", "lambda_function"]


def _model_config(position, payload):
    if position == "layer":
        return _sequential(payload)
    if position == "nested_model_layer":
        return _sequential(_sequential(payload))
    if position == "lambda_function":
        lam = kcore.layers.serialize(kcore.layers.Lambda(kcore.activations.relu, name="lam"))
        lam["config"]["function"] = payload
        return _sequential(lam)
    return _sequential(_dense(**{position: payload}))


def _outcome(call, marker):
    try:
        call()
    except (ValueError, TypeError):
        pass
    assert not marker.exists()


@pytest.mark.parametrize("position", POSITIONS)
def test_no_hostile_model_config_runs_code(position, marker, tmp_path):
    h5 = tmp_path / "m.h5"
    kcore.Sequential([kcore.Input((2,)), kcore.layers.Dense(1)]).save(h5)
    for payload in _hostile_objects():
        config = _model_config(position, payload)
        text = json.dumps(config)
        _outcome(lambda: kcore.models.model_from_json(text), marker)
        _outcome(lambda: kcore.Sequential.from_config(config["config"]), marker)
        _outcome(lambda: kcore.saving.deserialize_keras_object(config), marker)
        _outcome(lambda: kcore.saving.deserialize_keras_object(
            config, custom_objects={"system": audit_log, "Popen": audit_log}), marker)
        with h5py.File(h5, "r+") as f:
            f.attrs["model_config"] = text
        _outcome(lambda: kcore.models.load_model(h5, compile=False), marker)


MODULES = [kcore.initializers, kcore.regularizers, kcore.constraints, kcore.activations,
           kcore.losses, kcore.metrics, kcore.optimizers, kcore.optimizers.schedules,
           kcore.layers]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_no_hostile_object_config_runs_code(module, marker):
    for payload, custom in itertools.product(list(_hostile_objects()),
                                             [None, {"system": audit_log, "eval": audit_log}]):
        _outcome(lambda: module.deserialize(payload, custom_objects=custom), marker)
        _outcome(lambda: kcore.saving.deserialize_keras_object(payload, custom_objects=custom),
                 marker)


def test_hostile_optimizer_and_schedule_inside_an_optimizer(marker):
    for payload in _hostile_objects():
        adam = kcore.optimizers.serialize(kcore.optimizers.Adam())
        adam["config"]["learning_rate"] = payload
        _outcome(lambda: kcore.optimizers.deserialize(adam), marker)
        wrapper = {"module": "keras.metrics", "class_name": "MeanMetricWrapper",
                   "config": {"name": "m", "fn": payload}}
        _outcome(lambda: kcore.metrics.deserialize(wrapper), marker)
        loss = {"module": "keras.losses", "class_name": "LossFunctionWrapper",
                "config": {"fn": payload}}
        _outcome(lambda: kcore.losses.deserialize(loss), marker)


# -- compile state and the .keras zip: the same rules ---------------------------------------
def _compiled_model():
    model = kcore.Sequential([kcore.Input((2,)), kcore.layers.Dense(1, name="d")])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


def _rewrite_keras_zip(src, dst, edit):
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "config.json":
                config = json.loads(data)
                edit(config)
                data = json.dumps(config).encode()
            zout.writestr(item, data)


@pytest.mark.filterwarnings("ignore::UserWarning")  # payloads that are plain names compile
@pytest.mark.parametrize("entry", ["loss", "metrics", "optimizer"])
def test_no_hostile_compile_config_runs_code(entry, marker, tmp_path):
    h5, zipped = tmp_path / "m.h5", tmp_path / "m.keras"
    model = _compiled_model()
    model.save(h5)
    model.save(zipped)
    for n, payload in enumerate(_hostile_objects()):
        value = [payload] if entry == "metrics" else payload

        def edit_zip(config):
            config["compile_config"][entry] = value

        target = tmp_path / f"hostile{n}.keras"
        _rewrite_keras_zip(zipped, target, edit_zip)
        _outcome(lambda: kcore.models.load_model(target), marker)
        with h5py.File(h5, "r+") as f:
            train = json.loads(f.attrs["training_config"])
            if entry == "optimizer":
                train["optimizer_config"] = payload
            else:
                train[entry] = value
            f.attrs["training_config"] = json.dumps(train)
        _outcome(lambda: kcore.models.load_model(h5), marker)


def test_lambda_bytecode_in_a_keras_zip_is_refused(tmp_path, marker):
    fn = lambda x, p=str(marker): (open(p, "w").close(), x)[1]  # noqa: E731
    model = kcore.Sequential([kcore.Input((2,)), kcore.layers.Lambda(fn, name="payload")])
    marker.unlink()
    path = tmp_path / "lambda.keras"
    model.save(path)
    with pytest.raises(ValueError, match=r"safe_mode=False.*enable_unsafe_deserialization"):
        kcore.models.load_model(path)
    assert not marker.exists()
    loaded = kcore.models.load_model(path, safe_mode=False)
    assert marker.exists()
    np.testing.assert_allclose(loaded.predict(np.ones((1, 2)), verbose=0), np.ones((1, 2)))
