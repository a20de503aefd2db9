"""The main job: train a digit classifier on kcore's bundled data, offline, with every plugin.

``make demo`` runs this script. It trains an MLP on the 1,797 bundled 8x8 UCI digits with
ModelCheckpoint (best only), EarlyStopping (restoring the best weights), ReduceLROnPlateau,
TensorBoard, CSVLogger and, when wandb is installed, W&B offline logging; then it reloads
the best checkpoint, evaluates it on held-out digits and plots the training curves.

Everything is written under ``--output`` (default ``demo_output/``), W&B's files included.
Each run's TensorBoard logs go to their own timestamped folder under ``tensorboard/``, so
running the demo twice gives two runs in TensorBoard rather than doubled curves. The W&B run
also gets the best checkpoint as a model artifact.

    python examples/demo.py                 # the full run (a few seconds of training)
    python examples/demo.py --smoke         # a few batches, for tests
"""

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

import kcore as keras

# The callbacks the demo needs, by name, and the plugin distribution that provides each.
REQUIRED_CALLBACKS = {
    "ModelCheckpoint": "kcore-checkpoint",
    "EarlyStopping": "kcore-earlystopping",
    "ReduceLROnPlateau": "kcore-lr",
    "TensorBoard": "kcore-tensorboard",
    "CSVLogger": "kcore-csvlogger",
}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="train for a few batches only")
    parser.add_argument("--output", default="demo_output", help="where every file goes")
    parser.add_argument("--epochs", type=int, default=100,
                        help="upper bound; EarlyStopping usually stops well before")
    parser.add_argument("--seed", type=int, default=42)
    return parser.parse_args(argv)


def plugin_callbacks():
    """Looks up the demo's callbacks through their plugins; exits with a clear message if one is missing."""
    found, missing = {}, []
    for name, dist in REQUIRED_CALLBACKS.items():
        try:
            found[name] = getattr(keras.callbacks, name)
        except AttributeError:
            missing.append(f"  {name:<18} from {dist:<20} pip install -e plugins/{dist[6:]}")
    if missing:
        sys.exit("The demo needs callback plugins that are not installed:\n" + "\n".join(missing)
                 + "\nOr install everything at once with `make install`.")
    return found


def configure_wandb(output):
    """Offline, silent, no telemetry, every file under ``output``. Returns wandb or None."""
    if importlib.util.find_spec("wandb") is None or not hasattr(keras.callbacks,
                                                                "WandbMetricsLogger"):
        print("W&B logging skipped: install wandb and plugins/wandb (`make install`).")
        return None
    files = output / "wandb"  # wandb puts its runs in <WANDB_DIR>/wandb/
    # Environment variables, not only init(mode=...): wandb reads its global settings
    # (telemetry included) from the environment once per process.
    os.environ.update({
        "WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_CONSOLE": "off",
        "WANDB_ERROR_REPORTING": "false", "WANDB_DISABLE_GIT": "true",
        "WANDB_DISABLE_CODE": "true", "WANDB__DISABLE_STATS": "true",
        "WANDB__SAVE_REQUIREMENTS": "false",
        "WANDB_DIR": str(output), "WANDB_CACHE_DIR": str(files / ".cache"),
        "WANDB_DATA_DIR": str(files / ".data"), "WANDB_CONFIG_DIR": str(files / ".config"),
        "WANDB_ARTIFACT_DIR": str(files / ".artifacts"),
    })
    os.environ.pop("WANDB_API_KEY", None)
    import wandb

    return wandb


def tensorboard_run_dir(root):
    """A new ``<root>/<YYYYmmdd-HHMMSS>`` folder for this run's logs (``-2``... if taken)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run, n = root / stamp, 1
    while run.exists():
        n += 1
        run = root / f"{stamp}-{n}"
    return run


def log_best_model(wandb, run, checkpoint, test_accuracy):
    """Logs the best checkpoint to the W&B run as a model artifact (``best``, ``latest``)."""
    artifact = wandb.Artifact(f"run_{run.id}_model", type="model",
                              metadata={"test_accuracy": float(test_accuracy)})
    artifact.add_file(str(checkpoint))
    run.log_artifact(artifact, aliases=["best", "latest"])


def load_digits(seed):
    """Bundled UCI digits -> train / validation / held-out test, pixels scaled to [0, 1]."""
    (x, y), (x_test, y_test) = keras.datasets.digits.load_data(test_split=0.2, seed=seed)
    x = x.reshape(len(x), 64).astype("float32") / 16.0
    x_test = x_test.reshape(len(x_test), 64).astype("float32") / 16.0
    n_val = len(x) // 6
    return (x[n_val:], y[n_val:]), (x[:n_val], y[:n_val]), (x_test, y_test)


def build_model():
    model = keras.Sequential([
        keras.Input((64,), name="pixels"),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(0.25),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dropout(0.25),
        keras.layers.Dense(10, activation="softmax"),
    ], name="digits_mlp")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=2e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def make_callbacks(cb, paths):
    return [
        cb["ModelCheckpoint"](paths["checkpoint"], monitor="val_loss", save_best_only=True,
                              verbose=0),
        cb["EarlyStopping"](monitor="val_loss", patience=12, restore_best_weights=True,
                            verbose=1),
        cb["ReduceLROnPlateau"](monitor="val_loss", factor=0.5, patience=4, min_lr=1e-5,
                                verbose=1),
        cb["TensorBoard"](log_dir=paths["tensorboard"]),
        cb["CSVLogger"](paths["csv"]),
    ]


def main(argv=None):
    args = parse_args(argv)
    output = Path(args.output).resolve()
    output.mkdir(parents=True, exist_ok=True)
    paths = {
        "checkpoint": output / "best_model.keras",
        "csv": output / "training_log.csv",
        "plot": output / "training_curves.png",
        "graph": output / "model.png",
        "tensorboard_root": output / "tensorboard",
        "tensorboard": tensorboard_run_dir(output / "tensorboard"),
    }
    cb = plugin_callbacks()
    wandb = configure_wandb(output)

    keras.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = load_digits(args.seed)
    print(f"digits: {len(x_train)} train, {len(x_val)} validation, {len(x_test)} held-out test")
    model = build_model()
    model.summary()

    callbacks = make_callbacks(cb, paths)
    run = None
    if wandb is not None:
        run = wandb.init(project="kcore-demo", name=f"digits-mlp-seed{args.seed}",
                         config={"epochs": args.epochs, "batch_size": 32, "learning_rate": 2e-3,
                                 "model": model.name, "smoke": args.smoke})
        callbacks.append(keras.callbacks.WandbMetricsLogger(log_freq="epoch"))

    start = time.perf_counter()
    try:
        history = model.fit(
            x_train, y_train, validation_data=(x_val, y_val),
            epochs=2 if args.smoke else args.epochs, batch_size=32,
            steps_per_epoch=3 if args.smoke else None,
            callbacks=callbacks, verbose="auto")
    except BaseException:
        if run is not None:
            wandb.finish(exit_code=1)  # marks the run failed; its files stay in --output
        raise
    train_seconds = time.perf_counter() - start
    print(f"training took {train_seconds:.1f}s over {len(history.epoch)} epochs")

    best = keras.models.load_model(paths["checkpoint"])
    test_loss, test_accuracy = best.evaluate(x_test, y_test, verbose=0)
    print(f"best checkpoint on the {len(x_test)} held-out digits: "
          f"accuracy {test_accuracy:.4f}, loss {test_loss:.4f}")

    keras.utils.plot_history(history, paths["plot"],
                             metrics=["loss", "accuracy", "learning_rate"])
    graph_file = keras.utils.plot_model(model, paths["graph"], show_shapes=True,
                                        show_layer_activations=True)

    wandb_run_dir = None
    if run is not None:
        run.summary["test_accuracy"] = test_accuracy
        run.summary["test_loss"] = test_loss
        log_best_model(wandb, run, paths["checkpoint"], test_accuracy)
        wandb_run_dir = Path(run.dir).parent
        wandb.finish()
        wandb.teardown()  # stops wandb-core now rather than at interpreter exit

    report(output, paths, graph_file, wandb_run_dir)
    return test_accuracy


def report(output, paths, graph_file, wandb_run_dir):
    here = Path.cwd()

    def show(path):
        try:
            return str(Path(path).relative_to(here))
        except ValueError:
            return str(path)

    def command(name):
        path = Path(sys.executable).parent / name
        return show(path) if path.exists() else name

    print("\nEverything is in", show(output))
    print(f"  best checkpoint  {show(paths['checkpoint'])}")
    print(f"  epoch log (CSV)  {show(paths['csv'])}")
    print(f"  curves plot      {show(paths['plot'])}")
    print(f"  model graph      {show(graph_file)}")
    print(f"  TensorBoard logs {show(paths['tensorboard'])}   (this run)")
    if wandb_run_dir is not None:
        print(f"  W&B offline run  {show(wandb_run_dir)}   (best model logged as an artifact)")
    print("\nOpen TensorBoard (every demo run is its own run there):")
    print(f"  {command('tensorboard')} --logdir {show(paths['tensorboard_root'])}")
    if wandb_run_dir is not None:
        print("Upload the W&B run (after `wandb login`):")
        print(f"  {command('wandb')} sync {show(wandb_run_dir)}")


if __name__ == "__main__":
    main()
