"""The batch-32 MLP step measured as the first-wave harness measured it.

kcore and PyTorch train in ONE process, interleaved, median of the repeats (the W4 row of
``benchmarks/run.py`` before it moved to fresh processes). Issue #16's "0.45" for this row
came from that harness. Usage::

    PYTHONPATH=<kcore tree> python benchmarks/in_process_step.py <workloads dir> [threads] [repeats]

``<workloads dir>``: a ``benchmarks/`` folder whose ``workloads.py`` builds the models (for
the first-wave figures, that of commit c505e63). Needs PyTorch and threadpoolctl.
"""

import statistics
import sys
import time


def main(argv):
    sys.path.insert(0, argv[0])
    import kcore
    import torch
    import workloads as W
    from threadpoolctl import threadpool_limits

    threads = int(argv[1]) if len(argv) > 1 else 2
    repeats = int(argv[2]) if len(argv) > 2 else 3
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    steps = 300
    with threadpool_limits(threads):
        x, y = W.mnist_like(60000)
        runners = {"kcore": W.kcore_fit(W.kcore_mlp(), x, y, 32, steps=steps),
                   "torch": W.torch_fit(W.torch_mlp(), x, y, 32, steps=steps)}
        for fn in runners.values():
            fn()
        times = {k: [] for k in runners}
        for _ in range(repeats):
            for k, fn in runners.items():
                start = time.perf_counter()
                fn()
                times[k].append((time.perf_counter() - start) / steps)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"kcore at {kcore.__file__}, {threads} threads: kcore {med['kcore'] * 1e3:.3f} ms, "
          f"PyTorch {med['torch'] * 1e3:.3f} ms per step, ratio {med['kcore'] / med['torch']:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
