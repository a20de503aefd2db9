"""``LambdaCallback``: quick callbacks from plain functions (from the kcore-lambda plugin).

    python examples/lambda_callback.py [--smoke] [--output DIR]
"""

import argparse
import json
from pathlib import Path

import kcore as keras

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--smoke", action="store_true", help="train for a few batches only")
parser.add_argument("--output", type=Path,
                    default=Path(__file__).resolve().parent / "output" / "lambda_callback",
                    help="where the files go (default: examples/output/lambda_callback/)")
args = parser.parse_args()
args.output.mkdir(parents=True, exist_ok=True)
log_path = args.output / "loss_log.json"

(x_train, y_train), _ = keras.datasets.digits.load_data()
x_train = x_train.reshape(-1, 64).astype("float32") / 16

model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, activation="relu"),
                          keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

# Print the first biases of the first layer when each epoch starts.
print_weights = keras.callbacks.LambdaCallback(
    on_epoch_begin=lambda epoch, logs: print(
        f"epoch {epoch + 1} starts; bias[:3] = {model.layers[0].get_weights()[1][:3]}"))

# Stream the epoch logs to a JSON-lines file, closed when training ends.
json_log = open(log_path, mode="wt", buffering=1)
json_logging = keras.callbacks.LambdaCallback(
    on_epoch_end=lambda epoch, logs: json_log.write(
        json.dumps({"epoch": epoch, "loss": logs["loss"]}) + "\n"),
    on_train_end=lambda logs: json_log.close())

model.fit(x_train, y_train, batch_size=32, epochs=2 if args.smoke else 5,
          steps_per_epoch=3 if args.smoke else None, verbose=0,
          callbacks=[print_weights, json_logging])
with open(log_path) as f:
    print(f"{log_path}:", [json.loads(line) for line in f])
