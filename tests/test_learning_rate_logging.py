"""Every logger records one learning rate per epoch with one meaning.

``History``/``CSVLogger`` (through the LR callbacks' ``logs["learning_rate"]``),
``TensorBoard`` and W&B all record the rate the epoch's last training step used, whatever a
callback changes at epoch end and in whichever order the callbacks run.
"""

import csv
import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

import kcore

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def wandb_offline(tmp_path, monkeypatch):
    for key, value in {
            "WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_CONSOLE": "off",
            "WANDB_ERROR_REPORTING": "false", "WANDB_DISABLE_GIT": "true",
            "WANDB_DISABLE_CODE": "true", "WANDB__DISABLE_STATS": "true",
            "WANDB__SAVE_REQUIREMENTS": "false", "WANDB_DIR": str(tmp_path),
            "WANDB_CACHE_DIR": str(tmp_path / "c"), "WANDB_DATA_DIR": str(tmp_path / "d"),
            "WANDB_CONFIG_DIR": str(tmp_path / "g"),
            "WANDB_ARTIFACT_DIR": str(tmp_path / "a")}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    import wandb

    yield wandb
    if wandb.run is not None:
        wandb.run.finish()
    wandb.teardown()


def _wandb_reader():
    spec = importlib.util.spec_from_file_location(
        "kcore_wandb_test_reader", ROOT / "plugins" / "wandb" / "tests" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._read_offline_run


def _tensorboard_rates(log_dir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(log_dir / "train"), size_guidance={"scalars": 0})
    acc.Reload()
    return [e.value for e in acc.Scalars("epoch_learning_rate")]


@pytest.mark.parametrize("lr_first", [True, False], ids=["lr-callback-first", "loggers-first"])
@pytest.mark.parametrize("schedule", [False, True], ids=["float-rate", "schedule"])
def test_all_loggers_record_the_rate_the_epoch_used(tmp_path, wandb_offline, lr_first, schedule):
    kcore.utils.set_random_seed(0)
    model = kcore.Sequential([kcore.Input((3,)), kcore.layers.Dense(1)])
    rate = (kcore.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.9)
            if schedule else 0.1)
    model.compile(optimizer=kcore.optimizers.SGD(rate), loss="mse")
    x = np.random.default_rng(0).random((8, 3)).astype("float32")
    y = np.zeros((8, 1), "float32")
    # min_delta=10: only the first epoch improves (on inf); the rate halves after epoch 1.
    plateau = kcore.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0,
                                                min_delta=10.0)
    run = wandb_offline.init(project="lr")
    loggers = [kcore.callbacks.TensorBoard(log_dir=tmp_path / "tb"),
               kcore.callbacks.CSVLogger(str(tmp_path / "log.csv")),
               kcore.callbacks.WandbMetricsLogger()]
    callbacks = [plateau, *loggers] if lr_first else [*loggers, plateau]
    history = model.fit(x, y, batch_size=4, epochs=3, verbose=0, callbacks=callbacks)
    run_dir = os.path.dirname(run.dir)
    run.finish()
    wandb_offline.teardown()

    # 2 steps per epoch; a schedule also decays at every step.
    if schedule:
        expected = [0.1 * 0.9 ** 1, 0.1 * 0.9 ** 3, 0.05 * 0.9 ** 5]
    else:
        expected = [0.1, 0.1, 0.05]
    assert history.history["learning_rate"] == pytest.approx(expected, rel=1e-5)
    with open(tmp_path / "log.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    if lr_first:  # a CSVLogger listed before the LR callback writes its row first, as in Keras
        assert [float(r["learning_rate"]) for r in rows] == pytest.approx(expected, rel=1e-5)
    else:
        assert "learning_rate" not in rows[0]
    assert _tensorboard_rates(tmp_path / "tb") == pytest.approx(expected, rel=1e-5)
    rows = _wandb_reader()(run_dir)["history"]
    assert [r["epoch/learning_rate"] for r in rows] == pytest.approx(expected, rel=1e-5)
