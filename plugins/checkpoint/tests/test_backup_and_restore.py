"""BackupAndRestore: crash (SIGKILL) mid-epoch in a subprocess, resume, compare bit for bit."""

import json
import os
import random
import signal
import subprocess
import sys

import numpy as np
import pytest

import kcore

SCRIPT = os.path.join(os.path.dirname(__file__), "resume_script.py")
TOTAL_BATCHES = 8 * 4  # 8 epochs of 32 training samples in batches of 8


def run(workdir, out, kill_at=0):
    return subprocess.run([sys.executable, SCRIPT, str(workdir), str(out), str(kill_at)],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("uninterrupted")
    done = run(workdir, workdir / "out.npz")
    assert done.returncode == 0, done.stderr
    assert not (workdir / "backup").exists()  # deleted at the end of a finished fit
    return np.load(workdir / "out.npz"), (workdir / "log.csv").read_text()


# A save lands every 3 batches (the one at batch 12, an epoch end, after that epoch end);
# these kill points fall on, just after and between saves,
# in the first epoch and later ones, plus one drawn at random.
KILL_POINTS = [3, 4, 13, 14, random.Random(2026).randrange(1, TOTAL_BATCHES)]


@pytest.mark.parametrize("kill_at", KILL_POINTS)
def test_resume_after_sigkill_is_bit_identical(tmp_path, uninterrupted, kill_at):
    reference, reference_csv = uninterrupted
    killed = run(tmp_path, tmp_path / "killed.npz", kill_at)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not (tmp_path / "killed.npz").exists()
    if kill_at > 3:  # the kill comes before the save of its own batch
        metadata = json.loads((tmp_path / "backup" / "training_metadata.json").read_text())
        assert metadata["fit_state"]["epoch"] * 4 + metadata["fit_state"]["step"] == \
            (kill_at - 1) // 3 * 3
        assert "EarlyStopping[val_loss]" in metadata["callbacks"]
    resumed = run(tmp_path, tmp_path / "resumed.npz")
    assert resumed.returncode == 0, resumed.stderr
    got = np.load(tmp_path / "resumed.npz")
    assert sorted(got.files) == sorted(reference.files)
    for name in reference.files:
        assert np.array_equal(got[name], reference[name]), name
    assert (tmp_path / "log.csv").read_text() == reference_csv
    assert not (tmp_path / "backup").exists()


# --- in-process behaviour ----------------------------------------------------------------

class Crash(kcore.callbacks.Callback):
    def __init__(self, epoch, batch):
        super().__init__()
        self.at = (epoch, batch)
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            raise KeyboardInterrupt


def test_found_through_entry_point():
    import importlib.metadata

    eps = {ep.name: ep for ep in importlib.metadata.entry_points(group="kcore.callbacks")}
    assert eps["BackupAndRestore"].dist.metadata["Name"] == "kcore-checkpoint"
    assert kcore.callbacks.BackupAndRestore is eps["BackupAndRestore"].load()


def test_resume_epoch_and_batch_and_no_leak(model, data, tmp_path):
    x, y = data
    backup = kcore.callbacks.BackupAndRestore(tmp_path / "b", save_freq=1)
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=4, epochs=4, verbose=0, callbacks=[backup, Crash(2, 1)])
    seen = []
    record = kcore.callbacks.LambdaCallback(
        on_train_batch_begin=lambda batch, logs: seen.append(batch))
    history = model.fit(x, y, batch_size=4, epochs=4, verbose=0, callbacks=[backup, record])
    assert history.epoch == [2, 3]
    # the crash at batch 1 of epoch 2 came before that batch was backed up
    assert seen == [1, 2, 3, 0, 1, 2, 3]
    assert not (tmp_path / "b").exists()
    # the resume point was consumed: a later fit starts where it is told
    assert model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[backup]).epoch == [0, 1]


def test_restores_state_of_callbacks_listed_after_it(model, data, tmp_path):
    x, y = data
    values = iter([5.0, 4.0, 6.0, 7.0, 8.0, 9.0])

    class Score(kcore.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["score"] = next(values)

    def callbacks():
        return [Score(), kcore.callbacks.BackupAndRestore(tmp_path / "b"),
                kcore.callbacks.EarlyStopping(monitor="score", mode="min", patience=3)]

    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=8, epochs=10, verbose=0,
                  callbacks=callbacks() + [Crash(3, 0)])
    # epochs 0-2 done: best 4.0 at epoch 1, wait 1. Resumed: 7.0 (wait 2), 8.0 (wait 3, stop)
    cbs = callbacks()
    history = model.fit(x, y, batch_size=8, epochs=10, verbose=0, callbacks=cbs)
    assert history.epoch == [3, 4]
    assert (cbs[2].best, cbs[2].stopped_epoch) == (4.0, 4)


def test_double_checkpoint_falls_back(model, data, tmp_path):
    x, y = data
    backup = kcore.callbacks.BackupAndRestore(tmp_path / "b", double_checkpoint=True)
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=8, epochs=5, verbose=0, callbacks=[backup, Crash(3, 0)])
    files = sorted(os.listdir(tmp_path / "b"))
    assert files == ["backup-2.weights.h5", "backup-3.weights.h5", "training_metadata.json",
                     "training_metadata.json.bkp"]
    (tmp_path / "b" / "backup-3.weights.h5").write_bytes(b"torn")
    with pytest.warns(UserWarning, match="resumed from the previous one"):
        history = model.fit(x, y, batch_size=8, epochs=5, verbose=0, callbacks=[backup])
    assert history.epoch == [2, 3, 4]


def test_keep_checkpoint_and_validation(model, data, tmp_path):
    x, y = data
    backup = kcore.callbacks.BackupAndRestore(tmp_path / "b", delete_checkpoint=False)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[backup])
    assert json.loads((tmp_path / "b" / "training_metadata.json").read_text())["epoch"] == 2
    with pytest.raises(ValueError, match="save_freq"):
        kcore.callbacks.BackupAndRestore(tmp_path, save_freq="batch")
    with pytest.raises(ValueError, match="Empty `backup_dir`"):
        kcore.callbacks.BackupAndRestore("")


def test_mid_epoch_resume_restores_compiled_metrics(tmp_path, data):
    x, y = data

    def new_model():
        kcore.utils.set_random_seed(0)
        m = kcore.Sequential([kcore.Input((3,)), kcore.layers.Dense(1)])
        m.compile(optimizer="adam", loss="mse", metrics=["mae"])
        return m

    reference = new_model().fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    model = new_model()
    backup = kcore.callbacks.BackupAndRestore(tmp_path / "b", save_freq=1)
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False,
                  callbacks=[backup, Crash(0, 2)])
    history = new_model().fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False,
                              callbacks=[backup])
    assert history.history == reference.history


def test_registers_no_plugin_of_its_own(model, data, tmp_path):
    """It is a plain callback (``runs_last``): no global plugin per instance, nothing left."""
    pm = kcore.hooks.get_plugin_manager()
    before = {name for name, _ in pm.list_name_plugin()}
    backup = kcore.callbacks.BackupAndRestore(tmp_path / "b", save_freq=2,
                                              delete_checkpoint=False)
    model.fit(*data, batch_size=4, epochs=2, verbose=0, callbacks=[backup])
    after = {name for name, _ in pm.list_name_plugin()}
    assert after - before <= {"kcore-keras-callbacks"}  # the shared adapter, at first use
    assert (tmp_path / "b" / "training_metadata.json").exists()
