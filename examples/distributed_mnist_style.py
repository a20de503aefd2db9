"""Data-parallel training: the same script runs alone or under ``mpirun -n N``.

    python examples/distributed_mnist_style.py [--smoke] [--output DIR]
    mpirun -n 2 python examples/distributed_mnist_style.py [--smoke]

An MNIST-style convnet on the bundled 8x8 digits. Nothing in the script is about MPI:
with the kcore-mpi plugin installed and more than one rank, ``fit`` splits every global
batch of 64 across the ranks, averages gradients in one allreduce per step, reports
global metrics, and only rank 0 prints and writes the checkpoint and CSV log. See
docs/distributed.md.
"""

import argparse
import os
from pathlib import Path

import kcore as keras

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--smoke", action="store_true", help="train for a few batches only")
parser.add_argument("--output",
                    default=Path(__file__).resolve().parent / "output" / "distributed_mnist_style",
                    help="checkpoint and CSV folder (default: examples/output/distributed_mnist_style/)")
args = parser.parse_args()

dist = keras.distribution
if dist.is_rank_zero():
    print(f"rank {dist.rank()} of {dist.size()}: "
          f"{'data-parallel' if dist.is_distributed() else 'single process'}")

keras.utils.set_random_seed(0)
(x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
x_train = x_train.reshape(-1, 8, 8, 1).astype("float32") / 16
x_test = x_test.reshape(-1, 8, 8, 1).astype("float32") / 16

model = keras.Sequential([
    keras.Input(shape=(8, 8, 1)),
    keras.layers.Conv2D(16, 3, activation="relu", padding="same"),
    keras.layers.MaxPooling2D(2),
    keras.layers.Conv2D(32, 3, activation="relu"),
    keras.layers.Flatten(),
    keras.layers.Dropout(0.3),
    keras.layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
              metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=3)])
callbacks = [
    keras.callbacks.ModelCheckpoint(os.path.join(args.output, "best.weights.h5"),
                                    save_best_only=True, save_weights_only=True),
    keras.callbacks.CSVLogger(os.path.join(args.output, "training.csv")),
]
model.fit(x_train, y_train, batch_size=64, epochs=1 if args.smoke else 15,
          steps_per_epoch=3 if args.smoke else None, validation_split=0.15,
          callbacks=callbacks, verbose=2)

results = model.evaluate(x_test, y_test, batch_size=256, verbose=0, return_dict=True)
predicted = model.predict(x_test[:8], verbose=0).argmax(axis=-1)
if dist.is_rank_zero():
    print("test:", {k: round(v, 4) for k, v in results.items()})
    print("predicted classes of 8 test digits:", predicted, "true:", y_test[:8])
