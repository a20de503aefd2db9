"""Training script for the BackupAndRestore crash test (run in a subprocess).

Usage: python resume_script.py WORKDIR OUT_NPZ KILL_AT

Trains a small dropout MLP with BackupAndRestore (every 3 batches), EarlyStopping,
ReduceLROnPlateau and CSVLogger. With KILL_AT > 0 the process SIGKILLs itself after that
many training batches (counted in this process), like a machine failure.
"""

import os
import signal
import sys

import numpy as np

import kcore

workdir, out, kill_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
kcore.utils.set_random_seed(1)
rng = np.random.default_rng(1)
x = rng.normal(size=(40, 4)).astype("float32")
y = (x @ np.float32([[1.0], [-2.0], [0.5], [3.0]]) + 0.1).astype("float32")
model = kcore.Sequential([kcore.Input((4,)), kcore.layers.Dense(8, activation="relu"),
                          kcore.layers.Dropout(0.25), kcore.layers.Dense(1)])
model.compile(optimizer=kcore.optimizers.Adam(0.05), loss="mse")
batches = 0


def die_at_batch(batch, logs):
    global batches
    batches += 1
    if batches == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)


callbacks = [
    kcore.callbacks.LambdaCallback(on_train_batch_end=die_at_batch),
    kcore.callbacks.BackupAndRestore(os.path.join(workdir, "backup"), save_freq=3),
    kcore.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True),
    kcore.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=0.5),
    kcore.callbacks.CSVLogger(os.path.join(workdir, "log.csv")),
]
history = model.fit(x, y, batch_size=8, epochs=8, validation_split=0.2, verbose=0,
                    callbacks=callbacks)
np.savez(out, *model.get_weights(), lr=np.float64(float(model.optimizer.learning_rate)),
         iterations=np.int64(int(model.optimizer.iterations)))
