"""Overhead of the logging callbacks (kcore-tensorboard, kcore-wandb) on the W4 workload.

W4: MLP 784 -> 512 -> 256 -> 10 (relu), batch 32, Adam, sparse categorical cross-entropy,
synthetic MNIST-shaped data, ``--steps`` training steps per fit. Each configuration is fitted
``--repeats`` times, interleaved with the others, after one warm-up round; the table shows the
median time per step and the slowdown against no logger. W&B runs offline (everything under a
temporary directory); the run is started before timing, so only logging is measured.

BLAS runs single-threaded (set ``OMP_NUM_THREADS`` etc. to override): a logger's cost is
per-step Python work, which thread contention would otherwise drown in noise.

    .venv/bin/python benchmarks/bench_loggers.py [--steps 300] [--repeats 5]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402


def offline_wandb_env(root):
    os.environ.update({
        "WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_CONSOLE": "off",
        "WANDB_DISABLE_GIT": "true", "WANDB_DISABLE_CODE": "true",
        "WANDB__DISABLE_STATS": "true", "WANDB_ERROR_REPORTING": "false",
        "WANDB__SAVE_REQUIREMENTS": "false", "WANDB_DIR": root,
        "WANDB_CACHE_DIR": os.path.join(root, "cache"),
        "WANDB_DATA_DIR": os.path.join(root, "data"),
        "WANDB_CONFIG_DIR": os.path.join(root, "config"),
        "WANDB_ARTIFACT_DIR": os.path.join(root, "artifacts"),
    })
    os.environ.pop("KCORE_WANDB", None)


def w4_model(kcore):
    model = kcore.Sequential([
        kcore.Input((784,)),
        kcore.layers.Dense(512, activation="relu"),
        kcore.layers.Dense(256, activation="relu"),
        kcore.layers.Dense(10),
    ])
    model.compile(optimizer="adam", metrics=["accuracy"],
                  loss=kcore.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def configurations(kcore, root):
    tb = lambda freq: lambda: kcore.callbacks.TensorBoard(  # noqa: E731
        log_dir=tempfile.mkdtemp(dir=root), update_freq=freq, write_graph=False)
    wb = lambda freq: lambda: kcore.callbacks.WandbMetricsLogger(log_freq=freq)  # noqa: E731
    return {
        "no logger": lambda: None,
        "TensorBoard epoch": tb("epoch"),
        "TensorBoard batch": tb("batch"),
        "WandbMetricsLogger epoch": wb("epoch"),
        "WandbMetricsLogger batch": wb("batch"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        offline_wandb_env(root)
        import kcore
        import wandb

        kcore.utils.set_random_seed(0)
        rng = np.random.default_rng(0)
        n = 32 * args.steps
        x = rng.random((n, 784), dtype=np.float32)
        y = rng.integers(0, 10, size=n)
        model = w4_model(kcore)
        run = wandb.init(project="kcore-bench")
        configs = configurations(kcore, root)

        def fit(make):
            callback = make()
            start = time.perf_counter()
            model.fit(x, y, batch_size=32, epochs=1, verbose=0, shuffle=False,
                      callbacks=[callback] if callback is not None else None)
            return (time.perf_counter() - start) / args.steps

        times = {name: [] for name in configs}
        for make in configs.values():
            fit(make)  # warm-up
        for _ in range(args.repeats):
            for name, make in configs.items():
                times[name].append(fit(make))
        per_batch = {name: batch_hook_cost(configs[name], model, args.steps)
                     for name in configs if name.endswith("batch")}
        run.finish()
        wandb.teardown()

    base = statistics.median(times["no logger"])
    print(f"W4 MLP 784-512-256-10, batch 32, Adam: {args.steps} steps/fit, "
          f"median of {args.repeats} (python {sys.version.split()[0]}, "
          f"numpy {np.__version__}, wandb {wandb.__version__})")
    print(f"{'configuration':<26}{'ms/step':>10}{'overhead':>12}{'slowdown':>10}")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"{name:<26}{med * 1e3:>10.3f}{(med - base) * 1e6:>10.1f}us{med / base:>9.2f}x")

    print(f"\nper-batch cost of the logger alone (on_train_batch_end, median of 5 x "
          f"{args.steps} calls) and its share of a {base * 1e3:.2f} ms step:")
    for name, cost in per_batch.items():
        print(f"{name:<26}{cost * 1e6:>10.1f}us{cost / base * 100:>10.2f}%")


def batch_hook_cost(make, model, calls):
    """Seconds per ``on_train_batch_end`` call, outside the training loop's noise."""
    logs = {"accuracy": 0.5, "loss": 2.3}
    samples = []
    for _ in range(5):
        callback = make()
        callback.set_model(model)
        callback.set_params({"verbose": 0, "epochs": 1, "steps": calls})
        callback.on_train_begin({})
        callback.on_epoch_begin(0, {})
        start = time.perf_counter()
        for batch in range(calls):
            callback.on_train_batch_end(batch, logs)
        samples.append((time.perf_counter() - start) / calls)
        callback.on_epoch_end(0, dict(logs))
        callback.on_train_end(dict(logs))
    return statistics.median(samples)


if __name__ == "__main__":
    main()
