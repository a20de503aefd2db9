"""The run objects: a call of fit/evaluate/predict leaves nothing of itself on the model."""

import numpy as np
import pytest

import kcore
from kcore.trainers.fit_run import FitRun
from kcore.trainers.runs import current_run


def _model():
    kcore.utils.set_random_seed(0)
    model = kcore.Sequential([kcore.Input((3,)), kcore.layers.Dropout(0.2),
                              kcore.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(20, 3)).astype("float32"), rng.integers(0, 2, size=(20,))


def test_model_attributes_are_the_same_before_and_after_each_call():
    model = _model()
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)  # builds everything lazily built
    before = set(vars(model))
    seen_during = []

    class Peek(kcore.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen_during.append(set(vars(self.model)))

    model.fit(x, y, epochs=2, batch_size=5, validation_split=0.25, verbose=0,
              callbacks=[Peek()])
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert set(vars(model)) == before
    assert all(names == before for names in seen_during)


def test_the_current_run_is_found_only_while_it_runs():
    model = _model()
    x, y = _data()
    found = []

    class Probe(kcore.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            run = current_run(self.model)
            found.append((type(run).__name__, run.epoch, self.model.get_fit_state()["epoch"]))

        def on_test_begin(self, logs=None):
            found.append(type(current_run(self.model)).__name__)

    model.fit(x, y, epochs=2, batch_size=10, verbose=0, callbacks=[Probe()])
    assert found == [("FitRun", 0, 1), ("FitRun", 1, 2)]
    assert current_run(model) is None and model.active_callbacks is None
    with pytest.raises(RuntimeError, match="only available while fit"):
        model.get_fit_state()
    found.clear()
    model.evaluate(x, y, verbose=0, callbacks=[Probe()])
    assert found == ["EvaluateRun"]


def test_stop_training_is_sticky_within_a_run_and_reset_by_the_next():
    model = _model()
    x, y = _data()

    class StopThenUndo(kcore.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.model.stop_training = True
            self.model.stop_training = False  # cannot undo another's request
            assert current_run(self.model, FitRun).stop_training

    history = model.fit(x, y, epochs=3, batch_size=5, verbose=0, callbacks=[StopThenUndo()])
    assert history.epoch == [0] and model.stop_training
    history = model.fit(x, y, epochs=2, batch_size=5, verbose=0)
    assert history.epoch == [0, 1] and not model.stop_training
