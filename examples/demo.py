"""The main job: train a real classifier on the bundled digits data (offline).

Run with ``make demo``. ``--smoke`` trains for a few batches only.
"""

import argparse
import time

import numpy as np

import kcore as keras


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="train for a few batches only")
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(42)
    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    x_train = x_train.reshape(len(x_train), -1).astype("float32") / 16.0
    x_test = x_test.reshape(len(x_test), -1).astype("float32") / 16.0

    model = keras.Sequential([
        keras.Input((64,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10, activation="softmax"),
    ], name="digits_mlp")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.summary()
    epochs = 1 if args.smoke else args.epochs
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, validation_split=0.2,
              steps_per_epoch=3 if args.smoke else None, verbose=2)
    elapsed = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"trained in {elapsed:.1f}s; held-out accuracy {accuracy:.4f} (loss {loss:.4f})")
    return accuracy


if __name__ == "__main__":
    main()
