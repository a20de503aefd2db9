"""``make bench``: kcore vs PyTorch (and Keras/TensorFlow when installed) on CPU workloads.

Each workload runs interleaved (kcore, other, kcore, other, ...) after a warm-up, and the
median of the repeats is reported together with the ratio kcore / other (lower is better).
BLAS and PyTorch use the same number of threads (``--threads``). The default is 1: on the
2-core machines this project targets, two BLAS threads make small GEMMs slower or noisier
under any other load, and kcore's element-wise numpy work is single-threaded anyway; pass
``--threads 2`` to measure both frameworks with two.
"""

import argparse
import datetime
import os
import platform
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import workloads as W  # noqa: E402


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def compare(name, runners, repeats, per=1, unit="s"):
    """Runs ``runners`` ({label: callable}) interleaved; returns {label: median seconds/per}."""
    for fn in runners.values():
        fn()  # warm-up
    times = {label: [] for label in runners}
    for _ in range(repeats):
        for label, fn in runners.items():
            times[label].append(timed(fn) / per)
    med = {label: statistics.median(ts) for label, ts in times.items()}
    return name, med


def fmt(value, unit):
    return f"{value * 1e3:.2f} ms" if unit == "ms" else f"{value:.3f} s"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smaller data, for a smoke run")
    args = parser.parse_args(argv)

    from threadpoolctl import threadpool_limits

    try:
        import torch

        torch.set_num_threads(args.threads)
        torch.manual_seed(0)
        have_torch = True
    except ImportError:
        have_torch = False
        print("PyTorch is not installed: ratios are not available (make bench installs it).")
    kcore_ver = __import__("kcore").__version__
    print(f"# kcore {kcore_ver} benchmarks — {datetime.date.today()} — {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, {args.threads} BLAS/torch threads, numpy {np.__version__}"
          + (f", torch {torch.__version__}" if have_torch else ""))
    scale = 10 if args.quick else 1
    rows = []
    with threadpool_limits(args.threads):
        x, y = W.mnist_like(60000 // scale)
        keras = _keras()
        # W1: MLP, one epoch, batch 128
        runners = {"kcore": W.kcore_fit(W.kcore_mlp(), x, y, 128),
                   "numpy bound": W.numpy_mlp_epoch(x, y, 128)}
        if have_torch:
            runners["torch"] = W.torch_fit(W.torch_mlp(), x, y, 128)
        if keras is not None:
            runners["keras"] = W.kcore_fit(W.keras_mlp(keras), x, y, 128)
        rows.append(("W1 MLP epoch (batch 128)", compare("W1", runners, args.repeats)[1], "s"))
        # W1 predict
        runners = {"kcore": W.kcore_predict(W.kcore_mlp(), x, 1024)}
        if have_torch:
            runners["torch"] = W.torch_predict(W.torch_mlp(), x, 1024)
        rows.append(("W1 predict (batch 1024)", compare("W1p", runners, args.repeats)[1], "s"))
        # W4: small batch, per step
        steps = 300 // (3 if args.quick else 1)
        runners = {"kcore": W.kcore_fit(W.kcore_mlp(), x, y, 32, steps=steps)}
        if have_torch:
            runners["torch"] = W.torch_fit(W.torch_mlp(), x, y, 32, steps=steps)
        rows.append(("W4 MLP step (batch 32)", compare("W4", runners, args.repeats, per=steps)[1], "ms"))
        # Hook overhead: 10 no-op callbacks on W4
        model = W.kcore_mlp()
        runners = {"kcore": W.kcore_fit(model, x, y, 32, steps=steps),
                   "kcore+10 callbacks": W.kcore_fit(model, x, y, 32, steps=steps,
                                                     callbacks=[W.NoOp() for _ in range(10)])}
        rows.append(("W4 with 10 no-op callbacks", compare("hooks", runners, args.repeats, per=steps)[1], "ms"))
        # W2: CNN
        xi, yi = W.images_like(10000 // scale)
        runners = {"kcore": W.kcore_fit(W.kcore_cnn(), xi, yi, 128)}
        if have_torch:
            runners["torch"] = W.torch_fit(W.torch_cnn(), xi, yi, 128, nchw=True)
        rows.append(("W2 CNN epoch (batch 128)", compare("W2", runners, args.repeats)[1], "s"))
        # W3: LSTM
        xt, yt = W.tokens_like(5000 // scale)
        runners = {"kcore": W.kcore_fit(W.kcore_lstm(), xt, yt, 64)}
        if have_torch:
            runners["torch"] = W.torch_fit(W.torch_lstm(), xt.astype(np.int64), yt, 64, loss="bce")
        rows.append(("W3 LSTM epoch (batch 64)", compare("W3", runners, args.repeats)[1], "s"))

    print()
    print("| workload | kcore | other | ratio (kcore / other) |")
    print("|---|---|---|---|")
    for name, med, unit in rows:
        base = med["kcore"]
        others = [(k, v) for k, v in med.items() if k != "kcore"]
        for label, value in others:
            if label.startswith("kcore+"):  # overhead of the callbacks, not a comparison
                print(f"| {name} | {fmt(base, unit)} | {label}: {fmt(value, unit)} | "
                      f"overhead {100 * (value / base - 1):+.1f}% |")
            else:
                print(f"| {name} | {fmt(base, unit)} | {label}: {fmt(value, unit)} | "
                      f"{base / value:.2f} |")
    return rows


def _keras():
    """Keras 3 (TensorFlow backend), when installed; ``None`` otherwise."""
    try:
        import keras  # noqa: F401
    except ImportError:
        print("Keras/TensorFlow is not installed: not timed (pip install tensorflow-cpu keras).")
        return None
    return keras


if __name__ == "__main__":
    main()
