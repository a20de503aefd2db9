"""Fixtures for kcore-tensorboard: a small model and TensorBoard's own event reader."""

import numpy as np
import pytest

import kcore


@pytest.fixture
def model():
    kcore.utils.set_random_seed(0)
    m = kcore.Sequential([kcore.Input((4,)),
                          kcore.layers.Dense(3, activation="relu", name="hidden"),
                          kcore.layers.Dense(2, name="out")], name="mlp")
    m.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return m


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.random((20, 4), dtype=np.float32), rng.random((20, 2), dtype=np.float32)


@pytest.fixture
def read_run():
    """``read_run(dir)`` -> a reloaded ``EventAccumulator`` that keeps every event."""
    from tensorboard.backend.event_processing.event_accumulator import (
        HISTOGRAMS, IMAGES, SCALARS, TENSORS, EventAccumulator)

    def read(run_dir):
        ea = EventAccumulator(str(run_dir), size_guidance={
            SCALARS: 0, HISTOGRAMS: 0, TENSORS: 0, IMAGES: 0})
        ea.Reload()
        return ea

    return read

