"""Fixtures for kcore-earlystopping: a tiny model, data, and a monitored-value injector."""

import numpy as np
import pytest

import kcore


class Inject(kcore.callbacks.Callback):
    """Writes ``values[epoch]`` into the epoch logs as ``key`` (placed before the callback
    under test, so it sees the injected value)."""

    def __init__(self, key, values):
        super().__init__()
        self.key, self.values = key, list(values)

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = float(self.values[epoch])


@pytest.fixture
def inject():
    return Inject


@pytest.fixture
def model():
    kcore.utils.set_random_seed(0)
    m = kcore.Sequential([kcore.Input((3,)), kcore.layers.Dense(1)])
    m.compile(optimizer=kcore.optimizers.SGD(0.05), loss="mse", metrics=["accuracy", "mae"])
    return m


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.random((16, 3), dtype=np.float32)
    return x, (x.sum(axis=1, keepdims=True) > 1.5).astype(np.float32)
