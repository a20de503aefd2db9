"""LearningRateScheduler through real fits (keras_semantics 1.8)."""

import numpy as np
import pytest

import kcore


def test_two_argument_schedule_with_absolute_epochs(model, data):
    calls = []

    def schedule(epoch, lr):
        calls.append((epoch, np.float32(lr)))
        return lr * 0.5

    x, y = data
    model.compile(optimizer=kcore.optimizers.SGD(0.8), loss="mse")
    history = model.fit(x, y, epochs=4, initial_epoch=2, verbose=0,
                        callbacks=[kcore.callbacks.LearningRateScheduler(schedule)])
    assert calls == [(2, np.float32(0.8)), (3, np.float32(0.4))]
    np.testing.assert_array_equal(np.float32(history.history["learning_rate"]),
                                  np.float32([0.4, 0.2]))
    assert float(model.optimizer.learning_rate) == pytest.approx(0.2)


def test_one_argument_schedule_fallback(model, data):
    x, y = data
    scheduler = kcore.callbacks.LearningRateScheduler(lambda epoch: 0.1 * (epoch + 1))
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[scheduler])
    np.testing.assert_allclose(history.history["learning_rate"], [0.1, 0.2, 0.3], rtol=1e-6)


@pytest.mark.parametrize("value", [1, "0.1", None])
def test_non_float_return_raises(model, data, value):
    x, y = data
    scheduler = kcore.callbacks.LearningRateScheduler(lambda epoch, lr: value)
    with pytest.raises(ValueError, match="should be a float"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[scheduler])


def test_numpy_float_accepted_and_verbose(model, data, capsys):
    x, y = data
    scheduler = kcore.callbacks.LearningRateScheduler(lambda e, lr: np.float32(0.25), verbose=1)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[scheduler])
    assert float(model.optimizer.learning_rate) == 0.25
    assert "Epoch 1: LearningRateScheduler setting learning rate to 0.25." in capsys.readouterr().out


def test_schedule_changes_training(model, data):
    x, y = data
    before = model.get_weights()
    model.fit(x, y, epochs=2, verbose=0,
              callbacks=[kcore.callbacks.LearningRateScheduler(lambda e, lr: 0.0)])
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
