"""Keras-written ``.h5`` models that start with preprocessing layers load in kcore and give
Keras's predictions (files made by ``make_preprocessing_fixtures.py``)."""

import numpy as np
import pytest

import kcore

from pp_fixtures import PATH, fixture


@pytest.mark.parametrize("name,key", [("k3_normalization.h5", "normalization"),
                                      ("k3_images.h5", "images")])
def test_keras_h5_numeric_models_predict_as_keras(name, key):
    entry = fixture("keras_h5_numeric")[key]
    model = kcore.models.load_model(PATH.parent / name, compile=False)
    np.testing.assert_allclose(model.predict(np.asarray(entry["x"], dtype="float32"),
                                             verbose=0), entry["y"], rtol=1e-5, atol=1e-5)


def test_keras_h5_text_model_predicts_as_keras():
    entry = fixture("keras_h5_text")
    model = kcore.models.load_model(PATH.parent / "k3_text.h5", compile=False)
    np.testing.assert_allclose(model.predict(np.array(entry["x"]), verbose=0), entry["y"],
                               rtol=1e-5, atol=1e-6)
