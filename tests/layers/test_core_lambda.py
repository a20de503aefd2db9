"""Lambda: calls, configs, and safe-mode refusal of stored bytecode."""

import json

import numpy as np
import pytest

import kcore
from kcore.backend.serialization import SafeModeScope, register_keras_serializable
from kcore.layers.lambda_layer import Lambda, func_dump


def _config_of(fn, **kwargs):
    return json.loads(json.dumps(Lambda(fn, **kwargs).get_config()))


def test_lambda_config_stores_bytecode_as_keras3():
    cfg = _config_of(lambda x: x * 2.0)
    assert cfg["function"]["class_name"] == "__lambda__"
    assert set(cfg["function"]["config"]) == {"code", "defaults", "closure"}


def test_lambda_bytecode_refused_in_safe_mode_with_opt_in_hint():
    cfg = _config_of(lambda x: x + 1.0)
    with pytest.raises(ValueError) as info:
        Lambda.from_config(cfg)
    message = str(info.value)
    assert "safe_mode=False" in message
    assert "kcore.config.enable_unsafe_deserialization()" in message
    with SafeModeScope(True), pytest.raises(ValueError):
        Lambda.from_config(cfg)
    with pytest.raises(ValueError):
        Lambda.from_config(cfg, safe_mode=True)


def test_lambda_bytecode_loads_when_safe_mode_is_off():
    offset = 3.0
    cfg = _config_of(lambda x, k=2.0: x * k + offset)
    with SafeModeScope(False):
        layer = Lambda.from_config(cfg)
    np.testing.assert_allclose(layer(np.array([[1.0]])).numpy(), [[5.0]])
    np.testing.assert_allclose(Lambda.from_config(cfg, safe_mode=False)(np.ones((1, 1))).numpy(),
                               [[5.0]])


def test_lambda_output_shape_lambda_is_refused_too():
    cfg = _config_of(kcore.activations.relu, output_shape=lambda s: s)
    with pytest.raises(ValueError, match="output_shape"):
        Lambda.from_config(cfg)


def test_tf_keras2_lambda_form_obeys_safe_mode():
    code, defaults, closure = func_dump(lambda x: x - 1.0)
    cfg = {"name": "lam", "trainable": True, "dtype": "float32",
           "function": [code, defaults, closure], "function_type": "lambda",
           "module": "__main__", "output_shape": None, "output_shape_type": "raw",
           "output_shape_module": None, "arguments": {}}
    with pytest.raises(ValueError, match="safe_mode=False"):
        Lambda.from_config(dict(cfg))
    with SafeModeScope(False):
        layer = Lambda.from_config(dict(cfg))
    np.testing.assert_allclose(layer(np.array([[3.0]])).numpy(), [[2.0]])


def test_named_function_round_trips_in_safe_mode():
    @register_keras_serializable(package="kcore_tests")
    def double_it(x):
        return x * 2.0

    cfg = _config_of(double_it)
    assert cfg["function"]["class_name"] == "function"
    assert cfg["function"]["registered_name"] == "kcore_tests>double_it"
    layer = Lambda.from_config(cfg)
    assert layer.function is double_it
    builtin = Lambda.from_config(_config_of(kcore.ops.tanh))
    assert builtin.function is kcore.ops.tanh


def test_unknown_named_function_error_says_how_to_fix():
    def not_registered(x):
        return x

    cfg = _config_of(not_registered)
    with pytest.raises(ValueError, match="custom_objects"):
        Lambda.from_config(cfg)
    assert Lambda.from_config(cfg, custom_objects={"not_registered": not_registered}).function \
        is not_registered


def test_lambda_arguments_mask_and_training():
    seen = {}

    def fn(x, scale, mask=None, training=None):
        seen.update(mask=mask, training=training)
        return x * scale

    layer = Lambda(fn, arguments={"scale": 3.0}, mask=lambda inputs, mask: np.array([True]))
    out = layer(np.array([[1.0]]), training=True)
    np.testing.assert_allclose(out.numpy(), [[3.0]])
    assert seen["training"] is True
    np.testing.assert_array_equal(out._keras_mask, [True])


def test_lambda_in_functional_model_infers_shape():
    inputs = kcore.Input((4,))
    outputs = Lambda(lambda x: kcore.ops.concatenate([x, x], axis=-1))(inputs)
    assert outputs.shape == (None, 8)
    model = kcore.Model(inputs, outputs)
    assert model.predict(np.ones((2, 4), "float32"), verbose=0).shape == (2, 8)
