"""Fixtures for kcore-checkpoint: a tiny model and data (4 batches of 4 per epoch)."""

import numpy as np
import pytest

import kcore


@pytest.fixture
def model():
    kcore.utils.set_random_seed(0)
    m = kcore.Sequential([kcore.Input((3,)), kcore.layers.Dense(1)])
    m.compile(optimizer="adam", loss="mse")
    return m


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.random((16, 3), dtype=np.float32), rng.random((16, 1), dtype=np.float32)
