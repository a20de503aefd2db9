"""AUC on a million predictions: kcore-metrics' ``AUC`` vs scikit-learn's ``roc_auc_score``.

kcore's ``AUC`` (Keras's algorithm: 200 evenly spaced thresholds) bins the predictions with
one ``np.bincount`` and sums the curve over the thresholds; scikit-learn sorts the
predictions and computes the exact area. The script reports the median time of
``update_state`` + ``result`` (fed in batches, as ``fit`` does, and in one call) next to
``roc_auc_score``, and how far the 200-threshold approximation is from the exact AUC.

Usage: ``python benchmarks/bench_auc.py [--n 1000000] [--repeats 5] [--smoke]``
"""

import argparse
import statistics
import time

import numpy as np


def _median_time(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _data(n, rng, separation):
    """Labels and calibrated-looking probabilities whose AUC depends on ``separation``."""
    y = (rng.random(n) < 0.3).astype(np.float32)
    logits = rng.normal(size=n) + separation * (2 * y - 1)
    weights = rng.uniform(0.0, 2.0, size=n).astype(np.float32)
    return y, (1 / (1 + np.exp(-logits))).astype(np.float32), weights


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="10,000 predictions, 1 repeat")
    args = parser.parse_args(argv)
    if args.smoke:
        args.n, args.repeats = 10_000, 1

    import kcore
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    y, p, w = _data(args.n, rng, separation=0.8)

    def kcore_one_call(curve="ROC", sample_weight=None):
        m = kcore.metrics.AUC(curve=curve)
        m.update_state(y, p, sample_weight=sample_weight)
        return float(m.result())

    def kcore_batched():
        m = kcore.metrics.AUC()
        for start in range(0, args.n, args.batch_size):
            m.update_state(y[start:start + args.batch_size], p[start:start + args.batch_size])
        return float(m.result())

    t_one = _median_time(kcore_one_call, args.repeats)
    t_batched = _median_time(kcore_batched, args.repeats)
    t_sklearn = _median_time(lambda: roc_auc_score(y, p), args.repeats)

    print(f"AUC (ROC) on {args.n:,} predictions, median of {args.repeats}")
    print(f"  kcore AUC(num_thresholds=200), 1 update + result   {t_one * 1e3:9.2f} ms")
    print(f"  kcore AUC, {args.n // args.batch_size} updates of {args.batch_size:,} + result"
          f"  {t_batched * 1e3:9.2f} ms")
    print(f"  sklearn roc_auc_score (exact)                     {t_sklearn * 1e3:9.2f} ms")
    print(f"  ratio kcore (1 update) / sklearn                  {t_one / t_sklearn:9.2f}")

    print("Agreement with sklearn's exact AUC (200 thresholds):")
    for separation in (0.2, 0.8, 2.0):
        y, p, w = _data(args.n, rng, separation)
        exact = roc_auc_score(y, p)
        approx = kcore_one_call()
        exact_w = roc_auc_score(y, p, sample_weight=w)
        approx_w = kcore_one_call(sample_weight=w)
        print(f"  separation {separation}: exact {exact:.6f}  kcore {approx:.6f}  "
              f"|diff| {abs(approx - exact):.2e};  weighted: exact {exact_w:.6f}  "
              f"kcore {approx_w:.6f}  |diff| {abs(approx_w - exact_w):.2e}")


if __name__ == "__main__":
    main()
