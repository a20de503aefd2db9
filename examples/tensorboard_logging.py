"""Log training to TensorBoard (``TensorBoard`` callback from the kcore-tensorboard plugin).

Each run writes its own timestamped folder, ``examples/output/tensorboard_logging/<time>/``
(so runs never mix), in Keras's layout and tags: ``train`` and ``validation`` with
``epoch_loss``, ``epoch_accuracy``, ``epoch_learning_rate``, batch scalars every 5 batches,
weight histograms and the model graph. Then open the dashboard with:

    tensorboard --logdir examples/output/tensorboard_logging    (or .venv/bin/tensorboard ...)

    python examples/tensorboard_logging.py [--smoke] [--output DIR]
"""

import argparse
import time
from pathlib import Path

import kcore as keras

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--smoke", action="store_true", help="train for a few batches only")
parser.add_argument("--output", type=Path,
                    default=Path(__file__).resolve().parent / "output" / "tensorboard_logging",
                    help="where the files go (default: examples/output/tensorboard_logging/)")
args = parser.parse_args()
logdir = args.output / time.strftime("%Y%m%d-%H%M%S")

(x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
x_train = x_train.reshape(-1, 64).astype("float32") / 16
x_test = x_test.reshape(-1, 64).astype("float32") / 16

model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64, activation="relu"),
                          keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

tensorboard = keras.callbacks.TensorBoard(log_dir=logdir, histogram_freq=1,
                                          update_freq=5, write_graph=True)
model.fit(x_train, y_train, epochs=2 if args.smoke else 10, batch_size=32,
          steps_per_epoch=3 if args.smoke else None, validation_data=(x_test, y_test),
          callbacks=[tensorboard])
print(f"\nTensorBoard logs of this run written to {logdir}; view all runs with:\n"
      f"  tensorboard --logdir {args.output}")
