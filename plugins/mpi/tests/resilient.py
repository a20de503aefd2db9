"""A small run with ``BackupAndRestore`` that can be made to fail on one rank.

``python resilient.py DIR [--kill R E B | --raise R E B]``: trains an MLP for 4 epochs
(8 batches each) backing up to ``DIR/backup`` every 3 batches (so a resume is mid-epoch,
with the epoch's metric states); rank ``R`` kills itself with SIGKILL (or raises
``ValueError``) before batch ``B`` of epoch ``E``. Rank 0 writes the final weights and the
history of the (last) fit to ``DIR/final.json``.
"""

import json
import os
import signal
import sys

import numpy as np

import kcore


def build():
    kcore.utils.set_random_seed(3)
    model = kcore.Sequential([kcore.Input((6,)), kcore.layers.Dense(8, activation="relu"),
                              kcore.layers.Dropout(0.2), kcore.layers.Dense(1)])
    model.compile(optimizer=kcore.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    rng = np.random.default_rng(5)
    x = rng.random((64, 6), dtype=np.float32)
    return model, x, x.sum(1, keepdims=True)


class FailOn(kcore.callbacks.Callback):
    def __init__(self, how, rank, epoch, batch):
        super().__init__()
        self.how, self.rank, self.epoch, self.batch = how, rank, epoch, batch
        self._epoch = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if (kcore.distribution.rank(), self._epoch, batch) != (self.rank, self.epoch, self.batch):
            return
        if self.how == "--kill":
            os.kill(os.getpid(), signal.SIGKILL)
        raise ValueError(f"planned failure at epoch {self.epoch} batch {self.batch}")


def train(directory, fail=None):
    model, x, y = build()
    callbacks = [kcore.callbacks.BackupAndRestore(os.path.join(directory, "backup"),
                                                  save_freq=3)]
    if fail:
        callbacks.append(FailOn(fail[0], *map(int, fail[1:])))
    history = model.fit(x, y, batch_size=8, epochs=4, verbose=0, callbacks=callbacks)
    return {"weights": [w.numpy().tolist() for w in model.weights],
            "epochs": history.epoch, "history": history.history}


if __name__ == "__main__":
    out_dir = sys.argv[1]
    result = train(out_dir, sys.argv[2:] or None)
    if kcore.distribution.is_rank_zero():
        with open(os.path.join(out_dir, "final.json"), "w") as f:
            json.dump(result, f)
