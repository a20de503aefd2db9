"""ReduceLROnPlateau through the installed entry point and real fits (keras_semantics 1.9)."""

import importlib.metadata
import json

import numpy as np
import pytest

import kcore

EPOCHS = 7


def lr_trace(model, data, inject, values=None, **kwargs):
    """Fits with a constant (or given) injected monitor; returns the logged learning rates."""
    x, y = data
    model.compile(optimizer=kcore.optimizers.SGD(0.8), loss="mse")
    values = values or [1.0] * EPOCHS
    reduce_lr = kcore.callbacks.ReduceLROnPlateau(monitor="score", mode="min", factor=0.5,
                                                  min_lr=0.1, **kwargs)
    history = model.fit(x, y, batch_size=8, epochs=len(values), verbose=0,
                        callbacks=[inject("score", values), reduce_lr])
    return history.history["learning_rate"]


def assert_lrs(got, want):
    np.testing.assert_array_equal(np.float32(got), np.float32(want))


def test_found_through_entry_point(model, data):
    eps = {ep.name: ep for ep in importlib.metadata.entry_points(group="kcore.callbacks")}
    for name in ("ReduceLROnPlateau", "LearningRateScheduler"):
        assert eps[name].dist.metadata["Name"] == "kcore-lr"
        assert getattr(kcore.callbacks, name) is eps[name].load()
    history = model.fit(*data, epochs=2, verbose=0, validation_split=0.25,
                        callbacks=["ReduceLROnPlateau"])
    assert len(history.history["learning_rate"]) == 2


# Keras 3.15's verified table: patience, cooldown -> logged LR per epoch.
KERAS_TABLE = {
    (1, 0): [0.8, 0.8, 0.4, 0.2, 0.1, 0.1, 0.1],
    (1, 1): [0.8, 0.8, 0.4, 0.2, 0.1, 0.1, 0.1],
    (2, 1): [0.8, 0.8, 0.8, 0.4, 0.4, 0.2, 0.2],
    (1, 2): [0.8, 0.8, 0.4, 0.4, 0.2, 0.2, 0.1],
}


def test_cooldown_zero_matches_keras_table(model, data, inject):
    assert_lrs(lr_trace(model, data, inject, patience=1, cooldown=0), KERAS_TABLE[(1, 0)])


@pytest.mark.parametrize("patience, cooldown, keras_row", [
    (1, 1, (1, 2)),   # kcore cooldown=N behaves as Keras cooldown=N+1
    (2, 0, (2, 1)),   # Keras cooldown=1 is a no-op
])
def test_keras_rows_under_corrected_cooldown(model, data, inject, patience, cooldown,
                                             keras_row):
    assert_lrs(lr_trace(model, data, inject, patience=patience, cooldown=cooldown),
               KERAS_TABLE[keras_row])


# Hand-computed with kcore's cooldown: after a reduction at epoch e, epochs e+1..e+cooldown
# do not count towards patience.
#   (1, 1): reduce at 1, cool 2, reduce at 3, cool 4, reduce at 5 (-> 0.1), cool 6
#   (2, 1): reduce at 2, cool 3, wait 4, 5 -> reduce at 5, cool 6
#   (1, 2): reduce at 1, cool 2-3, reduce at 4, cool 5-6
@pytest.mark.parametrize("patience, cooldown, want", [
    (1, 1, [0.8, 0.8, 0.4, 0.4, 0.2, 0.2, 0.1]),
    (2, 1, [0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2]),
    (1, 2, [0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2]),
])
def test_cooldown_hand_computed(model, data, inject, patience, cooldown, want):
    got = lr_trace(model, data, inject, patience=patience, cooldown=cooldown)
    assert_lrs(got, want)
    assert got != KERAS_TABLE[(patience, cooldown)] or cooldown == 0


def test_improvements_reset_wait_and_min_delta(model, data, inject):
    # min_delta=1e-4 (default): 0.99995 is not an improvement on 1.0, 0.9 is.
    values = [1.0, 0.99995, 0.9, 0.9, 0.5, 0.5, 0.5]
    got = lr_trace(model, data, inject, values=values, patience=1)
    assert_lrs(got, [0.8, 0.8, 0.4, 0.4, 0.2, 0.2, 0.1])


def test_factor_must_be_below_one():
    with pytest.raises(ValueError, match="factor >= 1.0"):
        kcore.callbacks.ReduceLROnPlateau(factor=1.0)


def test_works_with_a_schedule(model, data, inject):
    x, y = data
    schedule = kcore.optimizers.schedules.ExponentialDecay(0.8, decay_steps=4, decay_rate=0.9)
    model.compile(optimizer=kcore.optimizers.SGD(schedule), loss="mse")
    reduce_lr = kcore.callbacks.ReduceLROnPlateau(monitor="score", mode="min", factor=0.5,
                                                  patience=1)
    history = model.fit(x, y, batch_size=8, epochs=5, verbose=0,
                        callbacks=[inject("score", [1.0] * 5), reduce_lr])
    # 2 steps per epoch, the rate of its last step logged; a reduction scales later values
    want = [0.8 * 0.9 ** ((2 * e + 1) / 4) * 0.5 ** max(0, e - 1) for e in range(5)]
    np.testing.assert_allclose(history.history["learning_rate"], want, rtol=1e-6)


def test_reusable_and_state_dict(model, data, inject):
    reduce_lr = kcore.callbacks.ReduceLROnPlateau(monitor="score", mode="min", patience=2)
    x, y = data
    model.fit(x, y, epochs=2, verbose=0, callbacks=[inject("score", [1.0, 1.0]), reduce_lr])
    state = json.loads(json.dumps(reduce_lr.state_dict()))
    assert state == {"best": 1.0, "wait": 1, "cooldown_counter": 0}
    # a stale best of 1.0 would make 2.0 and 3.0 non-improving: wait would reach 2
    model.fit(x, y, epochs=2, verbose=0, callbacks=[inject("score", [3.0, 2.0]), reduce_lr])
    assert (reduce_lr.best, reduce_lr.wait) == (2.0, 0)
    other = kcore.callbacks.ReduceLROnPlateau(monitor="score", mode="min", patience=2)
    other.load_state_dict(state)
    assert (other.best, other.wait, other.cooldown_counter) == (1.0, 1, 0)
    assert reduce_lr.state_key == "ReduceLROnPlateau[score]"


def test_learning_rate_in_history_and_verbose(model, data, capsys):
    x, y = data
    model.compile(optimizer=kcore.optimizers.SGD(0.8), loss="mse")
    reduce_lr = kcore.callbacks.ReduceLROnPlateau(monitor="loss", patience=0, factor=0.5,
                                                  min_delta=100.0, verbose=1)
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[reduce_lr])
    # epoch 0 always improves (best starts at None); later ones cannot beat it by 100
    assert_lrs(history.history["learning_rate"], [0.8, 0.8, 0.4])
    out = capsys.readouterr().out
    assert "\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.4000000059604645." in out
    assert "Epoch 1:" not in out
