"""SIGKILL at random moments while ModelCheckpoint / BackupAndRestore write: the previous
files stay intact and the next successful save leaves no temporary behind."""

import os
import random
import re
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import kcore

KILLS_PER_KIND = 3

CHILD = textwrap.dedent("""
    import os, sys, numpy as np, kcore
    kind, target, ready = sys.argv[1:4]
    kcore.utils.set_random_seed(0)
    model = kcore.Sequential([kcore.Input((200,)), kcore.layers.Dense(800),
                              kcore.layers.Dense(800), kcore.layers.Dense(1)])
    model.compile("adam", "mse")
    x = np.ones((64, 200), "float32"); y = np.ones((64, 1), "float32")

    class Ready(kcore.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if os.path.exists(os.path.join(target, "model.h5") if kind == "checkpoint"
                              else os.path.join(target, "training_metadata.json")):
                open(ready, "w").close()

    if kind == "checkpoint":
        saver = kcore.callbacks.ModelCheckpoint(os.path.join(target, "model.h5"), save_freq=1)
    else:
        saver = kcore.callbacks.BackupAndRestore(target, save_freq=1)
    model.fit(x, y, batch_size=16, epochs=10**6, verbose=0, callbacks=[saver, Ready()])
""")


def _model():
    kcore.utils.set_random_seed(0)
    model = kcore.Sequential([kcore.Input((200,)), kcore.layers.Dense(800),
                              kcore.layers.Dense(800), kcore.layers.Dense(1)])
    model.compile("adam", "mse")
    return model


def _kill_at_random_moment(args, ready, gen):
    if os.path.exists(ready):
        os.remove(ready)
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not os.path.exists(ready):
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode())
        assert time.monotonic() < deadline, "the child never wrote its first file"
        time.sleep(0.02)
    time.sleep(gen.uniform(0.0, 0.6))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()


_EXPECTED = {
    "checkpoint": re.compile(r"model\.h5$"),
    "backup": re.compile(r"(backup-\d+\.weights\.h5|training_metadata\.json(\.bkp)?)$"),
}


def _leftovers(directory, kind):
    return sorted(n for n in os.listdir(directory) if not _EXPECTED[kind].match(n))


@pytest.mark.parametrize("kind", ["checkpoint", "backup"])
def test_sigkill_while_saving_leaves_nothing_after_the_next_save(tmp_path, kind):
    gen = random.Random(f"{kind}-kills")
    target = tmp_path / "out"
    x, y = np.ones((64, 200), "float32"), np.ones((64, 1), "float32")
    left_by_kills = 0
    for _ in range(KILLS_PER_KIND):
        _kill_at_random_moment([sys.executable, "-c", CHILD, kind, str(target),
                                str(tmp_path / "ready")], str(tmp_path / "ready"), gen)
        left_by_kills += len(_leftovers(target, kind))
        if kind == "checkpoint":
            kcore.models.load_model(target / "model.h5")  # the previous checkpoint is intact
            saver = kcore.callbacks.ModelCheckpoint(str(target / "model.h5"))
            _model().fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[saver])
        else:  # resumes from the intact backup, then backs up again
            saver = kcore.callbacks.BackupAndRestore(str(target), save_freq=1,
                                                     delete_checkpoint=False)
            _resume_and_save_once(_model(), saver, x, y)
        assert _leftovers(target, kind) == []
    print(f"{kind}: {KILLS_PER_KIND} kills, {left_by_kills} files left by them, "
          f"0 after the next save")


def _resume_and_save_once(model, saver, x, y):
    """Resumes the killed run and stops after one batch (backed up at its end)."""

    class StopAfterOneSave(kcore.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.model.stop_training = True

    model.fit(x, y, batch_size=16, epochs=10**6, verbose=0,
              callbacks=[saver, StopAfterOneSave()])
