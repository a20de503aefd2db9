"""kcore writes the exact HDF5 trees and attributes Keras 3 writes, checked with h5py against
the fixture files Keras 3.15.1 wrote for the same model structures."""

import json

import numpy as np
import pytest

import kcore
from kcore.saving import h5io, saving_api

from saving_helpers import (FIXTURES, StandInBatchNormalization, dump_layout, layer_class,
                            multi_io, multi_io_data)


def _mlp():
    """tests/fixtures/keras/README.md model 1, with the same names."""
    bn = layer_class("BatchNormalization", StandInBatchNormalization)
    model = kcore.Sequential([kcore.Input((6,), name="mlp_in"),
                              kcore.layers.Dense(8, activation="relu", name="dense_1"),
                              bn(name="bn"), kcore.layers.Dropout(0.2, name="dropout"),
                              kcore.layers.Dense(3, activation="softmax", name="out")], name="mlp")
    model.compile(optimizer=kcore.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(16, 6)).astype("float32"), rng.integers(0, 3, 16), epochs=1,
              batch_size=8, verbose=0)
    return model


def _multi_io():
    model = multi_io()
    model.compile(optimizer=kcore.optimizers.Adam(1e-2),
                  loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                  metrics={"cls": ["accuracy"]})
    x, y = multi_io_data()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    return model


MODELS = {"mlp": _mlp, "multi_io": _multi_io}
VERSION_ATTRS = {"keras_version", "backend"}
JSON_ATTRS = {"model_config", "training_config"}


def _attr_types(path):
    """(attribute path) -> (HDF5 type class, variable-length?, charset, shape)."""
    import h5py

    out = {}

    def record(name, obj):
        for key in obj.attrs:
            aid = obj.attrs.get_id(key)
            t = aid.get_type()
            vlen = t.is_variable_str() if isinstance(t, h5py.h5t.TypeStringID) else None
            cset = t.get_cset() if isinstance(t, h5py.h5t.TypeStringID) else None
            out[f"{name}@{key}"] = (type(t).__name__, vlen, cset, aid.shape if key not in
                                    ("layer_names", "weight_names") else len(aid.shape))

    with h5py.File(path, "r") as f:
        record("/", f)
        f.visititems(record)
    return out


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_file_layout_matches_keras3(name, tmp_path):
    model = MODELS[name]()
    path = tmp_path / f"{name}.h5"
    saving_api.save_model(model, path)
    ours, keras = dump_layout(path), dump_layout(FIXTURES / f"k3_{name}.h5")
    assert sorted(ours) == sorted(keras)
    for key in keras:
        kind, shape, dtype, attrs = keras[key]
        o_kind, o_shape, o_dtype, o_attrs = ours[key]
        assert (o_kind, o_shape, o_dtype) == (kind, shape, dtype), key
        # The one kcore-only addition: the random streams of Dropout-like layers (Keras
        # ignores unknown attributes; tests/saving/test_keras_interop.py loads such files).
        if key == "/":
            o_attrs = {k: v for k, v in o_attrs.items() if k != "kcore_rng_states"}
        assert sorted(o_attrs) == sorted(attrs), key
        for attr, value in attrs.items():
            if attr not in VERSION_ATTRS | JSON_ATTRS:
                assert o_attrs[attr] == value, f"{key}@{attr}"
    assert ours["/"][3]["keras_version"] == h5io.KERAS_VERSION
    ours_types = {k: v for k, v in _attr_types(path).items() if k != "/@kcore_rng_states"}
    assert ours_types == _attr_types(FIXTURES / f"k3_{name}.h5")
    _compare_configs(ours["/"][3], keras["/"][3])


def _compare_configs(ours, keras):
    mine, theirs = json.loads(ours["model_config"]), json.loads(keras["model_config"])
    assert mine["class_name"] == theirs["class_name"]
    assert sorted(mine["config"]) == sorted(theirs["config"])
    for a, b in zip(mine["config"]["layers"], theirs["config"]["layers"]):
        assert sorted(a) == sorted(b)  # class_name, config (+ name, inbound_nodes)
        assert (a["class_name"], a["config"]["name"]) == (b["class_name"], b["config"]["name"])
        if "inbound_nodes" in b:
            assert json.dumps(a["inbound_nodes"]) == json.dumps(b["inbound_nodes"])
    for key in ("input_layers", "output_layers", "build_input_shape"):
        assert mine["config"].get(key) == theirs["config"].get(key)
    mine, theirs = json.loads(ours["training_config"]), json.loads(keras["training_config"])
    assert list(mine) == list(theirs)
    for key in theirs:
        if key != "optimizer_config":
            assert mine[key] == theirs[key], key
    assert mine["optimizer_config"]["class_name"] == theirs["optimizer_config"]["class_name"]
    assert list(mine["optimizer_config"]["config"]) == list(theirs["optimizer_config"]["config"])


@pytest.mark.parametrize("name", sorted(MODELS))
def test_weights_file_layout_matches_keras3(name, tmp_path):
    model = MODELS[name]()
    path = tmp_path / f"{name}.weights.h5"
    saving_api.save_weights(model, path)
    ours, keras = dump_layout(path), dump_layout(FIXTURES / f"k3_{name}.weights.h5")
    assert ours == keras
    assert _attr_types(path) == _attr_types(FIXTURES / f"k3_{name}.weights.h5")


def test_legacy_weights_file_layout_matches_tf_keras(tmp_path):
    """``save_weights("w.h5")`` writes tf.keras's weights-only layout (groups at the root);
    only the weight names differ: Keras 3 paths instead of tf.keras's ``name:0``."""
    path = tmp_path / "w.h5"
    saving_api.save_weights(_mlp(), path)
    ours, tf2 = dump_layout(path), dump_layout(FIXTURES / "tf2_mlp_weights.h5")
    assert sorted(ours["/"][3]) == sorted(tf2["/"][3]) == ["backend", "keras_version", "layer_names"]
    assert ours["/"][3]["layer_names"] == tf2["/"][3]["layer_names"]
    groups = lambda d: sorted(k for k, v in d.items() if v[0] == "group" and k.count("/") == 0)
    assert groups(ours) == groups(tf2)
    assert ours["bn"][3]["weight_names"] == [f"mlp/bn/{w}" for w in
                                             ("gamma", "beta", "moving_mean", "moving_variance")]


def test_long_attributes_are_chunked_like_keras(tmp_path):
    import h5py

    names = [f"layer_with_a_rather_long_name_{i:05d}" for i in range(3000)]
    with h5py.File(tmp_path / "a.h5", "w") as f:
        h5io.save_attributes(f, "layer_names", names)
        keys = sorted(f.attrs)
        assert "layer_names" not in keys and keys[:2] == ["layer_names0", "layer_names1"]
        assert all(f.attrs[k].nbytes <= h5io.HDF5_OBJECT_HEADER_LIMIT for k in keys)
        assert h5io.load_attributes(f, "layer_names") == names
