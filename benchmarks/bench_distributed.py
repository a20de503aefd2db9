"""Data-parallel scaling of W1 (MLP 784-512-256-10 on 60k×784, batch 128, Adam) over MPI.

``python benchmarks/bench_distributed.py [--ranks 1 2] [--quick]`` runs one epoch with 1
rank (plain ``python``) and with ``mpirun -n N`` (kcore-mpi), one BLAS thread per rank,
and prints per rank count: epoch time, speed-up and efficiency against 1 rank, the share
of the epoch spent in the gradient ``Allreduce``, and the bytes allreduced per step.

Each measurement is a fresh launch: a short warm-up fit (builds, allocates buffers), then
the timed epoch, repeated ``--repeats`` times (median). Not part of ``make bench`` (it
needs mpirun and takes a few minutes); run it by hand.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_btl": "self,sm", "OMPI_MCA_pml": "ob1",
           "OMPI_MCA_rmaps_base_oversubscribe": "1"}


def worker(rows, repeats):
    """One rank's part: warm up, time ``repeats`` epochs; rank 0 prints one JSON line."""
    from threadpoolctl import threadpool_limits

    import kcore

    sys.path.insert(0, HERE)
    import workloads as W

    with threadpool_limits(1):
        x, y = W.mnist_like(rows)
        kcore.utils.set_random_seed(0)
        model = W.kcore_mlp()
        model.fit(x, y, batch_size=128, epochs=1, verbose=0, steps_per_epoch=5)
        epochs, comm = [], []
        for _ in range(repeats):
            before = _stats()
            began = time.perf_counter()
            model.fit(x, y, batch_size=128, epochs=1, verbose=0)
            epochs.append(time.perf_counter() - began)
            after = _stats()
            comm.append(after.get("allreduce_seconds", 0.0) - before.get("allreduce_seconds", 0.0))
    if kcore.distribution.is_rank_zero():
        stats = _stats()
        print("RESULT " + json.dumps({
            "ranks": kcore.distribution.size(), "epoch_s": statistics.median(epochs),
            "allreduce_s": statistics.median(comm),
            "bytes_per_step": stats.get("bytes_per_step", 0),
            "params": model.count_params()}), flush=True)


def _stats():
    try:
        import kcore_mpi
    except ImportError:
        return {}
    return kcore_mpi.stats()


def launch(ranks, rows, repeats):
    script = [sys.executable, os.path.abspath(__file__), "--worker", "--rows", str(rows),
              "--repeats", str(repeats)]
    env = {**os.environ, **ONE_THREAD, **MPI_ENV}
    env.pop("KCORE_DISTRIBUTE", None)
    if ranks > 1:
        mpirun = os.path.join(os.path.dirname(sys.executable), "mpirun")
        script = [mpirun, "-n", str(ranks), *script]
    out = subprocess.run(script, capture_output=True, text=True, env=env, timeout=3600)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{' '.join(script)} failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rows", type=int, default=60000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="6000 rows, 1 repeat")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.repeats = 6000, 1
    if args.worker:
        return worker(args.rows, args.repeats)
    results = [launch(n, args.rows, args.repeats) for n in args.ranks]
    base = results[0]["epoch_s"] * results[0]["ranks"]
    print(f"# W1 MLP ({results[0]['params']} parameters), {args.rows} rows, batch 128, Adam; "
          f"1 BLAS thread per rank; {os.cpu_count()} cores; load average "
          f"{os.getloadavg()[0]:.1f}")
    print("| ranks | epoch | speed-up | efficiency | allreduce share | bytes/step |")
    print("|---|---|---|---|---|---|")
    for r in results:
        speedup = base / r["epoch_s"]
        print(f"| {r['ranks']} | {r['epoch_s']:.2f} s | {speedup:.2f}× | "
              f"{speedup / r['ranks']:.0%} | {r['allreduce_s'] / r['epoch_s']:.1%} | "
              f"{r['bytes_per_step'] / 1e6:.2f} MB |")


if __name__ == "__main__":
    main()
