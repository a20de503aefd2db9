"""A plateau-reduced schedule survives save -> load: the reloaded model continues exactly."""

import numpy as np
import pytest

import kcore


def _fit_then_continue(tmp_path, data, inject, reload_as):
    x, y = data
    kcore.utils.set_random_seed(0)
    model = kcore.Sequential([kcore.Input((3,)), kcore.layers.Dense(4, activation="relu"),
                              kcore.layers.Dense(1)])
    schedule = kcore.optimizers.schedules.ExponentialDecay(0.1, decay_steps=3, decay_rate=0.9)
    model.compile(optimizer=kcore.optimizers.Adam(schedule), loss="mse")
    plateau = kcore.callbacks.ReduceLROnPlateau(monitor="score", mode="min", factor=0.5,
                                                patience=0)
    model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0,
              callbacks=[inject("score", [1.0, 1.0, 1.0]), plateau])
    scale, rate = model.optimizer.learning_rate_scale, float(model.optimizer.learning_rate)
    if reload_as is not None:
        path = tmp_path / f"m{reload_as}"
        model.save(path)
        model = kcore.models.load_model(path)
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return scale, rate, model


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_reloaded_model_continues_as_if_never_saved(tmp_path, data, inject, suffix):
    scale, rate, uninterrupted = _fit_then_continue(tmp_path, data, inject, None)
    assert scale == 0.25  # two reductions: the schedule's later values are scaled
    _, _, reloaded = _fit_then_continue(tmp_path, data, inject, suffix)
    assert reloaded.optimizer.learning_rate_scale == scale
    assert float(reloaded.optimizer.learning_rate) == float(uninterrupted.optimizer.learning_rate)
    for a, b in zip(uninterrupted.get_weights(), reloaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_scale_is_in_the_optimizer_config_only_when_used():
    optimizer = kcore.optimizers.SGD(kcore.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5))
    assert "learning_rate_scale" not in optimizer.get_config()  # Keras's config unchanged
    optimizer.scale_learning_rate(0.5)
    config = optimizer.get_config()
    assert config["learning_rate_scale"] == 0.5
    assert kcore.optimizers.SGD.from_config(config).learning_rate_scale == 0.5
