"""Every application is built as real Keras 3 builds it, and computes what Keras computes.

``tests/fixtures/applications/architectures.json.gz`` (made by ``make_fixtures.py`` under
Keras 3.15.1) records, per case, every layer of ``model.layers`` in order: name, class, the
layers feeding it, weight names and shapes, and config entries; and the model's outputs on a
fixed input with the deterministic weights of ``recipe.py``. Each case here builds the same
model in kcore, compares it layer for layer, gives it the same weights and compares outputs.
"""

import gzip
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import kcore
from kcore import applications
from kcore.layers.input_layer import OpLayer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "applications"
sys.path.insert(0, str(FIXTURES))
from recipe import model_input, weight_value  # noqa: E402

CASES = json.loads(gzip.decompress((FIXTURES / "architectures.json.gz").read_bytes()))


def _plain(value):
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _describe_layer(layer, keys):
    config = layer.get_config()
    return {
        "name": layer.name,
        "class_name": type(layer).__name__,
        "inbound": [[p.layer.name for p in node.parent_nodes] for node in layer._inbound_nodes],
        "weights": [[w.name, list(w.shape)] for w in layer.weights],
        "trainable_weights": len(layer.trainable_weights),
        "config": {k: _plain(config[k]) for k in keys if k in config},
    }


def build(case):
    kcore.backend.clear_session()
    spec = CASES[case]
    kwargs = dict(spec["kwargs"])
    for key in ("input_shape",):
        if key in kwargs:
            kwargs[key] = tuple(kwargs[key])
    return getattr(applications, spec["constructor"])(weights=None, **kwargs)


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_layers_weights_and_outputs_as_keras(case):
    spec = CASES[case]
    model = build(case)
    assert model.name == spec["model_name"]
    assert list(model.input_shape) == spec["input_shape"]
    assert list(model.output_shape) == spec["output_shape"]
    # Ops on symbolic tensors (MobileNetV3's hard sigmoid) are weightless OpLayers in kcore's
    # model.layers; Keras 3 lists only layers there.
    graph_layers = [layer for layer in model.layers if not isinstance(layer, OpLayer)]
    assert [layer.name for layer in graph_layers] == [entry["name"] for entry in spec["layers"]]
    for layer, expected in zip(graph_layers, spec["layers"]):
        got = _describe_layer(layer, expected["config"])
        assert got == expected, f"{case}: layer {layer.name!r} differs from Keras"
    assert model.count_params() == spec["count_params"]

    for layer in model.layers:
        for w in layer.weights:
            if np.issubdtype(np.dtype(w.dtype), np.floating):
                w.assign(weight_value(layer.name, w.name, tuple(w.shape)))
    rescales_itself = spec["constructor"].startswith(("EfficientNet", "MobileNetV3"))
    low_high = (0.0, 255.0) if rescales_itself else (-1.0, 1.0)
    x = model_input(case, model.input_shape[1:], *low_high)
    expected = np.asarray(spec["predictions"], dtype="float32")
    got = np.asarray(model.predict(x, verbose=0))
    assert got.shape == expected.shape
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-4 * scale)
