"""Weight files written by real Keras 3 load with ``weights=path`` and predict as in Keras.

``mobilenet_025_notop.h5`` and ``mobilenetv2_010_top.h5`` are in the legacy HDF5
``save_weights`` layout that Keras's published application weights use (loaded
topologically, layer by layer); ``mobilenet_010_notop.weights.h5`` is Keras 3's own layout.
All hold random weights (and non-trivial batch-norm statistics) written by
``tests/fixtures/applications/make_fixtures.py``; ``weight_files.json`` has Keras's
predictions with them.
"""

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import kcore
from kcore import applications

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "applications"
FILES = json.loads((FIXTURES / "weight_files.json").read_text())
sys.path.insert(0, str(FIXTURES))
from recipe import model_input  # noqa: E402


def _build(spec, weights):
    kwargs = dict(spec["kwargs"])
    kwargs["input_shape"] = tuple(kwargs["input_shape"])
    return getattr(applications, spec["constructor"])(weights=weights, **kwargs)


@pytest.mark.parametrize("fname", sorted(FILES))
def test_keras_weight_file_loads_and_predicts_as_keras(fname):
    spec = FILES[fname]
    model = _build(spec, str(FIXTURES / fname))
    got = model.predict(model_input(fname, model.input_shape[1:]), verbose=0)
    np.testing.assert_allclose(got, np.asarray(spec["predictions"]), atol=1e-4, rtol=1e-4)


def test_legacy_file_loads_by_name_too():
    fname = "mobilenetv2_010_top.h5"
    spec = FILES[fname]
    model = _build(spec, None)
    model.load_weights(FIXTURES / fname, by_name=True)
    got = model.predict(model_input(fname, model.input_shape[1:]), verbose=0)
    np.testing.assert_allclose(got, np.asarray(spec["predictions"]), atol=1e-4, rtol=1e-4)


def test_weights_for_another_architecture_are_refused_with_shapes_named():
    spec = FILES["mobilenet_025_notop.h5"]
    kwargs = dict(spec["kwargs"], alpha=0.5)
    kwargs["input_shape"] = tuple(kwargs["input_shape"])
    with pytest.raises(ValueError, match="shape mismatch.*conv1"):
        applications.MobileNet(weights=str(FIXTURES / "mobilenet_025_notop.h5"), **kwargs)


def test_missing_weights_file_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="path to the weights file"):
        applications.MobileNet(weights=str(tmp_path / "nope.h5"), input_shape=(32, 32, 3))


def test_imagenet_weights_are_read_from_the_cache_and_never_downloaded(tmp_path, monkeypatch):
    monkeypatch.setenv("KCORE_HOME", str(tmp_path / "kcore_home"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    with pytest.raises(FileNotFoundError, match=r"mobilenet_2_5_128_tf\.h5.*does not download"):
        applications.MobileNet(weights="imagenet", alpha=0.25, input_shape=(128, 128, 3))
    # A published file in Keras's cache is used as it is.
    fname = "mobilenet_025_notop.h5"
    spec = FILES[fname]
    cache = tmp_path / "keras_home" / "models"
    cache.mkdir(parents=True)
    shutil.copy(FIXTURES / fname, cache / "mobilenet_2_5_224_tf_no_top.h5")
    with pytest.warns(UserWarning, match="Weights for input shape \\(224, 224\\)"):
        model = _build(spec, "imagenet")
    got = model.predict(model_input(fname, model.input_shape[1:]), verbose=0)
    np.testing.assert_allclose(got, np.asarray(spec["predictions"]), atol=1e-4, rtol=1e-4)


def _as_tf_keras_2_file(src, dst):
    """Rewrites a legacy file with tf.keras 2's conventions, those of the files Keras
    publishes: byte-string attributes and TensorFlow variable names (``conv1/kernel:0``)."""
    import h5py

    with h5py.File(src, "r") as f, h5py.File(dst, "w") as out:
        names = [n.decode() if isinstance(n, bytes) else n for n in f.attrs["layer_names"]]
        out.attrs["layer_names"] = np.array([n.encode() for n in names], dtype="S")
        out.attrs["backend"] = b"tensorflow"
        out.attrs["keras_version"] = b"2.2.4"
        for name in names:
            group = out.create_group(name)
            weight_names = [w.decode() if isinstance(w, bytes) else w
                            for w in f[name].attrs["weight_names"]]
            group.attrs["weight_names"] = np.array([f"{w}:0".encode() for w in weight_names],
                                                   dtype="S")
            for w in weight_names:
                group.create_dataset(f"{w}:0", data=np.asarray(f[name][w]))


def test_file_with_tf_keras_2_names_loads_as_published_files_do(tmp_path):
    fname = "mobilenetv2_010_top.h5"
    spec = FILES[fname]
    converted = tmp_path / "published_style.h5"
    _as_tf_keras_2_file(FIXTURES / fname, converted)
    model = _build(spec, str(converted))
    got = model.predict(model_input(fname, model.input_shape[1:]), verbose=0)
    np.testing.assert_allclose(got, np.asarray(spec["predictions"]), atol=1e-4, rtol=1e-4)
