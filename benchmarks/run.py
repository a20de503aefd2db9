"""``make bench``: kcore vs PyTorch on the CPU workloads of issue #16, in one run.

Every measurement is one run in a **fresh process**: the child builds the model and the
data, warms up (a few steps, or two whole epochs for the "third epoch" row), then times one
run and reports its seconds, page faults (minor + major) and peak resident memory
(``VmHWM``). Rounds alternate the frameworks (kcore, PyTorch, kcore, PyTorch, ...);
the tables show the medians of ``--repeats`` rounds and the ratio kcore / PyTorch (lower is
better for kcore), the summary also the range of the per-round ratios. Fresh processes keep
the two frameworks' thread pools from competing for the cores (they would in one process:
PyTorch's OpenMP threads and OpenBLAS's both spin after their work), and keep a model's
history (the subnormal floats that Adam's moments drift into after a few epochs) out of
rows where it does not belong; the "third epoch" row shows that history on purpose.

Each workload is measured twice:

* at the **default threads**: numpy's BLAS, PyTorch and kcore with their own defaults (all
  use every core), as a user gets them;
* as a **1-thread pair**: ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` and
  ``MKL_NUM_THREADS`` set to 1 in the children.

``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE`` force OpenBLAS onto another GEMM kernel; when
either is set, the default-threads table is measured again with both unset
(``--no-unset-rerun`` skips that), so the figures users get are shown as well.
"""

import argparse
import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import workloads as W  # noqa: E402

BLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def _faults():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_minflt + r.ru_majflt


def _reset_peak():
    """Resets the process's peak RSS (Linux ``clear_refs`` 5); False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _status_mb(field):
    """A ``/proc/self/status`` field (``VmHWM``, ``VmRSS``) in MiB, or None off Linux."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _peak_mb():
    peak = _status_mb("VmHWM")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 if peak is None else peak


def _cpu_ticks():
    """``(steal, total)`` clock ticks of the whole machine from ``/proc/stat``, or None."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal [guest guest_nice: already in user]
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


def _steal_share(before, after):
    """The share of the machine's CPU time that the hypervisor gave to other guests."""
    if before is None or after is None or after[1] <= before[1]:
        return float("nan")
    return (after[0] - before[0]) / (after[1] - before[1])


def measure(fn):
    """Runs ``fn`` once: ``(seconds, page faults, peak RSS MiB, host steal share)``."""
    _reset_peak()
    f0 = _faults()
    t0 = _cpu_ticks()
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    return seconds, _faults() - f0, _peak_mb(), _steal_share(t0, _cpu_ticks())


def compare(runners, repeats, per=1):
    """Paired rounds of ``runners`` ({label: callable}); {label: (median s/per, faults, MiB)}."""
    for fn in runners.values():
        fn()  # warm-up
    runs = {label: [] for label in runners}
    for _ in range(repeats):
        for label, fn in runners.items():
            runs[label].append(measure(fn))
    out = {}
    for label, rs in runs.items():
        out[label] = (statistics.median(r[0] for r in rs) / per,
                      statistics.median(r[1] for r in rs), max(r[2] for r in rs))
    return out


def workloads(quick):
    """``[(name, unit, per, {framework: maker})]``: the rows of the table.

    ``maker()`` builds the model and data and returns ``(warm_up, timed)``, two callables:
    ``warm_up`` runs a few steps (or two whole epochs, for the "third epoch" row) and
    ``timed`` is the measured run.
    """
    scale = 10 if quick else 1
    steps = 300 // (3 if quick else 1)

    def fit(data, kcore_model, torch_model, batch, torch_kw=None, warm_epochs=0, timed_steps=None):
        def kcore_maker():
            x, y = data()
            model = kcore_model()
            warm = W.kcore_fit(model, x, y, batch) if warm_epochs else W.kcore_fit(model, x, y, batch, steps=5)
            return (lambda: [warm() for _ in range(max(warm_epochs, 1))]), \
                W.kcore_fit(model, x, y, batch, steps=timed_steps)

        def torch_maker():
            x, y = data()
            kw = dict(torch_kw or {})
            if kw.pop("int64", False):
                x = x.astype(np.int64)
            model = torch_model()
            warm = W.torch_fit(model, x, y, batch, **kw) if warm_epochs else \
                W.torch_fit(model, x, y, batch, steps=5, **kw)
            return (lambda: [warm() for _ in range(max(warm_epochs, 1))]), \
                W.torch_fit(model, x, y, batch, steps=timed_steps, **kw)
        return {"kcore": kcore_maker, "torch": torch_maker}

    def predict():
        def kcore_maker():
            x, _ = W.mnist_like(60000 // scale)
            model = W.kcore_mlp()
            return W.kcore_predict(model, x[:2048], 1024), W.kcore_predict(model, x, 1024)

        def torch_maker():
            x, _ = W.mnist_like(60000 // scale)
            model = W.torch_mlp()
            return W.torch_predict(model, x[:2048], 1024), W.torch_predict(model, x, 1024)
        return {"kcore": kcore_maker, "torch": torch_maker}

    mnist = lambda: W.mnist_like(60000 // scale)  # noqa: E731
    images = lambda: W.images_like(10000 // scale)  # noqa: E731
    tokens = lambda: W.tokens_like(5000 // scale)  # noqa: E731
    return [
        ("MLP epoch (60k x 784, batch 128)", "s", 1, fit(mnist, W.kcore_mlp, W.torch_mlp, 128)),
        ("MLP predict (batch 1024)", "s", 1, predict()),
        (f"MLP step, batch 32 ({steps} steps)", "ms", steps,
         fit(mnist, W.kcore_mlp, W.torch_mlp, 32, timed_steps=steps)),
        ("CNN epoch (10k x 28 x 28 x 1, batch 128)", "s", 1,
         fit(images, W.kcore_cnn, W.torch_cnn, 128, torch_kw={"nchw": True})),
        ("LSTM epoch (5k x 100 tokens, batch 64)", "s", 1,
         fit(tokens, W.kcore_lstm, W.torch_lstm, 64, torch_kw={"int64": True, "loss": "bce"})),
        ("MLP third epoch (after two)", "s", 1,
         fit(mnist, W.kcore_mlp, W.torch_mlp, 128, warm_epochs=2)),
    ]


THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def time_child(index, framework, quick):
    """One workload on one framework, alone in this process: prints its JSON figures."""
    if framework == "torch":
        import torch

        torch.manual_seed(0)
    name, unit, per, makers = workloads(quick)[index]
    warm_up, timed = makers[framework]()
    warm_up()
    before = _rss_mb()
    seconds, faults, peak, steal = measure(timed)
    print(json.dumps({"seconds": seconds / per, "faults": faults, "before": before,
                      "peak": max(peak, _peak_mb()), "steal": steal}))


def _rss_mb():
    rss = _status_mb("VmRSS")
    return float("nan") if rss is None else rss


def run_table(threads, have_torch, quick, repeats, unset_blas_vars=False):
    """Every workload in paired rounds of fresh processes (kcore, PyTorch, kcore, ...);
    ``threads=1`` limits BLAS, OpenMP and PyTorch to one thread."""
    env = {k: v for k, v in os.environ.items()
           if k not in THREAD_VARS and not (unset_blas_vars and k in BLAS_VARS)}
    if threads:
        env.update({k: str(threads) for k in THREAD_VARS})
    frameworks = ["kcore"] + (["torch"] if have_torch else [])
    results = []
    for index, (name, unit, per, _) in enumerate(workloads(quick)):
        runs = {fw: [] for fw in frameworks}
        for _ in range(repeats):
            for fw in frameworks:
                cmd = [sys.executable, os.path.abspath(__file__), "--time-child", str(index), fw]
                if quick:
                    cmd.append("--quick")
                out = subprocess.run(cmd, env=env, capture_output=True, text=True)
                if out.returncode != 0:
                    raise RuntimeError(f"{fw} on {name!r} failed:\n{out.stderr[-3000:]}")
                runs[fw].append(json.loads(out.stdout.strip().splitlines()[-1]))
        row = {"workload": name, "unit": unit}
        for fw, rs in runs.items():
            row[fw] = [statistics.median(r["seconds"] for r in rs),
                       statistics.median(r["faults"] for r in rs),
                       max(r["peak"] for r in rs), statistics.median(r["before"] for r in rs),
                       [r["seconds"] for r in rs],
                       max(r.get("steal", float("nan")) for r in rs)]
        results.append(row)
        print(f"  measured: {name}", file=sys.stderr, flush=True)
    return results


def fmt_time(value, unit):
    return f"{value * 1e3:.2f} ms" if unit == "ms" else f"{value:.2f} s"


def print_table(title, results):
    print(f"\n### {title}\n")
    print("| workload | kcore | PyTorch | kcore / PyTorch | page faults per run, kcore / PyTorch "
          "| peak RSS MiB, kcore / PyTorch | most CPU stolen by the host, kcore / PyTorch |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        k, t = r["kcore"], r.get("torch")
        if t:
            print(f"| {r['workload']} | {fmt_time(k[0], r['unit'])} | {fmt_time(t[0], r['unit'])} | "
                  f"**{k[0] / t[0]:.2f}** | {k[1]:,.0f} / {t[1]:,.0f} | {k[2]:.0f} / {t[2]:.0f} | "
                  f"{_pct(k)} / {_pct(t)} |")
        else:
            print(f"| {r['workload']} | {fmt_time(k[0], r['unit'])} | - | - | {k[1]:,.0f} / - | "
                  f"{k[2]:.0f} / - | {_pct(k)} / - |")
    print("\nStolen CPU: the largest share of the machine's CPU time that the hypervisor gave to "
          "other guests during one timed run (`/proc/stat` steal). Above a few percent, times "
          "and ratios of that row are noisy; compare rows measured with little steal.")


def _pct(figures):
    steal = figures[5]
    return "?" if steal != steal else f"{100 * steal:.0f}%"


def extras_table(quick, repeats):
    """1 thread: the MLP epoch vs the same network in hand-written numpy, and the cost of
    10 no-op batch callbacks on the batch-32 step."""
    from threadpoolctl import threadpool_limits

    scale = 10 if quick else 1
    steps = 300 // (3 if quick else 1)
    x, y = W.mnist_like(60000 // scale)
    with threadpool_limits(1):
        bound = compare({"kcore": W.kcore_fit(W.kcore_mlp(), x, y, 128),
                         "numpy": W.numpy_mlp_epoch(x, y, 128)}, repeats)
        model = W.kcore_mlp()
        hooks = compare({"kcore": W.kcore_fit(model, x, y, 32, steps=steps),
                         "callbacks": W.kcore_fit(model, x, y, 32, steps=steps,
                                                  callbacks=[W.no_op_callback() for _ in range(10)])},
                        repeats, per=steps)
    print("\n### Extras (1 thread)\n")
    print("| measurement | kcore | other | ratio or overhead |")
    print("|---|---|---|---|")
    print(f"| MLP epoch vs hand-written numpy (the bound for a numpy engine) | "
          f"{bound['kcore'][0]:.2f} s | numpy {bound['numpy'][0]:.2f} s | "
          f"{bound['kcore'][0] / bound['numpy'][0]:.2f} |")
    print(f"| MLP step, batch 32, with 10 no-op batch callbacks | {hooks['kcore'][0] * 1e3:.2f} ms | "
          f"{hooks['callbacks'][0] * 1e3:.2f} ms | {100 * (hooks['callbacks'][0] / hooks['kcore'][0] - 1):+.1f} % |")
    return {"numpy_bound": bound, "callbacks": hooks}


def print_pairs(tables):
    names = [n for n in tables if n != "extras"]
    print("\n### Summary: kcore / PyTorch (median of the rounds; range over the rounds)\n")
    print("| workload | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for i, row in enumerate(tables[names[0]]):
        if "torch" not in row:
            return
        cells = []
        for n in names:
            r = tables[n][i]
            ratios = [a / b for a, b in zip(r["kcore"][4], r["torch"][4])]
            cells.append(f"**{r['kcore'][0] / r['torch'][0]:.2f}** "
                         f"({min(ratios):.2f}-{max(ratios):.2f})")
        print(f"| {row['workload']} | " + " | ".join(cells) + " |")


def header(have_torch):
    from threadpoolctl import threadpool_info

    blas = [f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')}, "
            f"{i.get('num_threads')} threads)" for i in threadpool_info()
            if i.get("user_api") == "blas"]
    env = ", ".join(f"{v}={os.environ[v]!r}" for v in BLAS_VARS if v in os.environ) or \
        "OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset"
    torch = sys.modules.get("torch")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# kcore {__import__('kcore').__version__} benchmarks, "
          f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC")
    print(f"\n{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"numpy {np.__version__}, BLAS: {'; '.join(blas) or '?'}"
          + (f", torch {torch.__version__} ({torch.get_num_threads()} threads by default)"
             if have_torch else ", PyTorch not installed")
          + f". {env}. kcore at {os.path.dirname(os.path.dirname(__import__('kcore').__file__))}: "
          f"{_kcore_status()}. Load average at start: {load:.2f}.")
    print("\nEvery figure is one run in a fresh process (model and data built, a few warm-up "
          "steps, then the timed run), kcore and PyTorch alternating, median of the rounds.")


def _kcore_status():
    try:
        from kcore.backend import floating_point
    except ImportError:
        return f"malloc tuning {_malloc_status()}, no subnormal flushing (kcore before it)"
    return (f"malloc tuning {_malloc_status()}, subnormal flushing {floating_point.status}, "
            f"{_kernels_status()}")


def _kernels_status():
    try:
        from kcore.backend import kernels
    except ImportError:
        return "no compiled kernels (kcore before them)"
    if kernels.status() == "numpy":
        return "numpy code only (numba not installed, or KCORE_NUMBA=0)"
    return f"compiled kernels: numba {sys.modules['numba'].__version__}"


def _malloc_status():
    try:
        from kcore.backend import allocator
    except ImportError:
        return "absent (kcore before #16)"
    return allocator.status


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="paired rounds (default 3)")
    parser.add_argument("--quick", action="store_true", help="a tenth of the data, for a smoke run")
    parser.add_argument("--threads", choices=["both", "default", "1"], default="both",
                        help="which thread settings to measure (default both)")
    parser.add_argument("--no-unset-rerun", action="store_true",
                        help="do not rerun with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset")
    parser.add_argument("--extras", action="store_true",
                        help="also the numpy-bound and callback-overhead rows (1 thread)")
    parser.add_argument("--numpy-only", action="store_true",
                        help="kcore without its compiled kernels (KCORE_NUMBA=0), as installed "
                             "without the [fast] extra")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--time-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.time_child:
        time_child(int(args.time_child[0]), args.time_child[1], args.quick)
        return None
    if args.numpy_only:
        os.environ["KCORE_NUMBA"] = "0"  # read by every kcore child
    try:
        import torch  # noqa: F401

        have_torch = True
    except ImportError:
        have_torch = False
        print("PyTorch is not installed: no ratios (`make bench` installs it).")
    header(have_torch)
    report = {}
    set_vars = [v for v in BLAS_VARS if v in os.environ]
    if args.threads in ("both", "default"):
        report["default threads"] = run_table(None, have_torch, args.quick, args.repeats)
        print_table("Default threads (every core)", report["default threads"])
    if args.threads in ("both", "1"):
        report["1 thread"] = run_table(1, have_torch, args.quick, args.repeats)
        print_table("1 thread (BLAS, OpenMP and PyTorch limited to one thread)",
                    report["1 thread"])
    if set_vars and not args.no_unset_rerun and args.threads != "1":
        name = f"default threads, {' and '.join(set_vars)} unset"
        report[name] = run_table(None, have_torch, args.quick, args.repeats, unset_blas_vars=True)
        print_table(f"Default threads, {' and '.join(set_vars)} unset (what users get)",
                    report[name])
    elif not set_vars:
        print("\nOPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset here: the tables above are "
              "already what users get (OpenBLAS picks its kernel for this CPU).")
    if have_torch:
        print_pairs(report)
    if args.extras:
        report["extras"] = extras_table(args.quick, args.repeats)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return report


if __name__ == "__main__":
    main()
