"""Log training to Weights & Biases, offline (kcore-wandb plugin: ``WandbMetricsLogger``).

Offline mode needs no account and no network: the run is written under
``examples/output/wandb_logging/wandb/`` and can be uploaded later with
``wandb sync <run dir>``. Set the environment before wandb starts (it reads it once per
process); ``WANDB_ERROR_REPORTING=false`` also turns off wandb's own telemetry.

    python examples/wandb_logging.py [--smoke] [--output DIR]
"""

import argparse
import os
from pathlib import Path

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--smoke", action="store_true", help="train for a few batches only")
parser.add_argument("--output", type=Path,
                    default=Path(__file__).resolve().parent / "output" / "wandb_logging",
                    help="where the files go (default: examples/output/wandb_logging/)")
args = parser.parse_args()
args.output.mkdir(parents=True, exist_ok=True)

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_DIR", str(args.output))
os.environ.setdefault("WANDB_ERROR_REPORTING", "false")
os.environ.setdefault("WANDB_SILENT", "true")

import wandb  # noqa: E402 - after the environment is set

import kcore as keras  # noqa: E402

(x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
x_train = x_train.reshape(-1, 64).astype("float32") / 16
x_test = x_test.reshape(-1, 64).astype("float32") / 16

config = {"units": 64, "learning_rate": 1e-3, "epochs": 2 if args.smoke else 10}
run = wandb.init(project="kcore-examples", config=config)

model = keras.Sequential([keras.Input((64,)),
                          keras.layers.Dense(config["units"], activation="relu"),
                          keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer=keras.optimizers.Adam(config["learning_rate"]),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=config["epochs"], batch_size=32,
          steps_per_epoch=3 if args.smoke else None, validation_split=0.2,
          callbacks=[
              keras.callbacks.WandbMetricsLogger(log_freq=5),
              keras.callbacks.WandbModelCheckpoint(
                  str(args.output / "checkpoints" / "model_{epoch:02d}.keras"),
                  monitor="val_loss", save_best_only=True),
          ])
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
run.summary["test_accuracy"] = accuracy
run_dir = os.path.dirname(run.dir)
wandb.finish()
print(f"offline run in {run_dir}; upload it with: wandb sync {run_dir}")
