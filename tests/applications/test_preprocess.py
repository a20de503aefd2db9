"""``preprocess_input`` and ``decode_predictions`` of every module give Keras's numbers
(``tests/fixtures/applications/preprocess.json``, made by ``make_fixtures.py``)."""

import json
from pathlib import Path

import numpy as np
import pytest

import kcore
from kcore import applications
from kcore.applications import imagenet_utils

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "applications"
DATA = json.loads((FIXTURES / "preprocess.json").read_text())
X = np.asarray(DATA["x"], dtype="float32")
MODULES = sorted(k for k in DATA["preprocess"] if ":" not in k)


@pytest.mark.parametrize("module", MODULES)
def test_preprocess_input_matches_keras(module):
    fn = getattr(applications, module).preprocess_input
    expected = DATA["preprocess"][module]
    np.testing.assert_allclose(fn(X.copy()), expected["channels_last"], rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(fn(X.copy(), data_format="channels_first"),
                               expected["channels_first"], rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(fn(X.astype("uint8")), expected["uint8"], rtol=1e-6, atol=1e-4)


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
def test_imagenet_utils_modes_match_keras_for_arrays_and_tensors(mode):
    expected = DATA["preprocess"][f"imagenet_utils:{mode}"]
    np.testing.assert_allclose(imagenet_utils.preprocess_input(X.copy(), mode=mode), expected,
                               rtol=1e-6, atol=1e-4)
    tensor = imagenet_utils.preprocess_input(kcore.ops.convert_to_tensor(X), mode=mode)
    np.testing.assert_allclose(kcore.ops.convert_to_numpy(tensor), expected, rtol=1e-6,
                               atol=1e-4)


def test_preprocess_input_works_inside_a_functional_model():
    inputs = kcore.Input((3, 4, 3))
    outputs = applications.resnet50.preprocess_input(inputs)
    model = kcore.Model(inputs, outputs)
    np.testing.assert_allclose(model.predict(X, verbose=0),
                               DATA["preprocess"]["resnet50"]["channels_last"], atol=1e-4)


def test_float_arrays_are_preprocessed_in_place_as_keras_documents():
    x = X.copy()
    out = applications.mobilenet.preprocess_input(x)
    assert out is x
    np.testing.assert_allclose(x, DATA["preprocess"]["mobilenet"]["channels_last"], atol=1e-4)


def test_preprocess_input_rejects_unknown_mode_and_data_format():
    with pytest.raises(ValueError, match="mode to be one of"):
        imagenet_utils.preprocess_input(X.copy(), mode="bgr")
    with pytest.raises(ValueError, match="data_format to be one of"):
        applications.vgg16.preprocess_input(X.copy(), data_format="NHWC")


@pytest.fixture
def class_index(tmp_path, monkeypatch):
    """The synthetic index the fixture used, as a cached ``imagenet_class_index.json``."""
    home = tmp_path / "kcore_home"
    (home / "models").mkdir(parents=True)
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    (home / "models" / "imagenet_class_index.json").write_text(json.dumps(index))
    monkeypatch.setenv("KCORE_HOME", str(home))
    monkeypatch.setattr(imagenet_utils, "_class_index", None)


def _rows(decoded):
    return [[[a, b, pytest.approx(float(s), rel=1e-6)] for a, b, s in sample] for sample in decoded]


def test_decode_predictions_matches_keras(class_index):
    preds = np.asarray(DATA["decode"]["preds"], dtype="float32")
    assert _rows(imagenet_utils.decode_predictions(preds)) == DATA["decode"]["top5"]
    assert _rows(applications.vgg16.decode_predictions(preds, top=2)) == DATA["decode"]["top2"]


def test_decode_predictions_rejects_wrong_shapes(class_index):
    with pytest.raises(ValueError, match=r"\(samples, 1000\).*\(2, 10\)"):
        imagenet_utils.decode_predictions(np.zeros((2, 10)))


def test_decode_predictions_without_the_class_index_says_where_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("KCORE_HOME", str(tmp_path / "a"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "b"))
    monkeypatch.setattr(imagenet_utils, "_class_index", None)
    with pytest.raises(FileNotFoundError, match="imagenet_class_index.json.*https://"):
        imagenet_utils.decode_predictions(np.zeros((1, 1000)))
