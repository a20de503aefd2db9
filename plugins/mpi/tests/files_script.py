"""Writes TensorBoard, CSV and checkpoint files into ``DIR`` and prints a progress bar.

``python files_script.py DIR``. The test launches it as MPMD (``mpirun -n 1 ... A :
-n 1 ... B``) so that rank 1 is given another directory: that directory must stay
empty, and ``DIR`` of rank 0 must hold each file once.
"""

import os
import sys

import numpy as np

import kcore

directory = sys.argv[1]
kcore.utils.set_random_seed(0)
model = kcore.Sequential([kcore.Input((4,)), kcore.layers.Dense(3, activation="relu"),
                          kcore.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
rng = np.random.default_rng(0)
x = rng.random((24, 4), dtype=np.float32)
model.fit(x, x.sum(1, keepdims=True), batch_size=8, epochs=2, verbose=2, validation_split=0.25,
          callbacks=[
              kcore.callbacks.TensorBoard(os.path.join(directory, "tb")),
              kcore.callbacks.CSVLogger(os.path.join(directory, "log.csv")),
              kcore.callbacks.ModelCheckpoint(os.path.join(directory, "ckpt-{epoch}.weights.h5"),
                                              save_weights_only=True),
          ])
print(f"rank {kcore.distribution.rank()} of {kcore.distribution.size()} done", flush=True)
