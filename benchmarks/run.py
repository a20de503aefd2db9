"""``make bench``: kcore vs PyTorch on the CPU workloads of issue #16, in one run.

Each workload is timed in paired rounds: a warm-up of each framework, then ``--repeats``
rounds of (kcore, PyTorch) back to back; the table shows the medians and the ratio
kcore / PyTorch (lower is better for kcore). Every workload is measured twice:

* at the **default threads**: numpy's BLAS and PyTorch with their own defaults (both use
  every core), as a user gets them;
* as a **1-thread pair**: BLAS limited to 1 thread (threadpoolctl) and
  ``torch.set_num_threads(1)``.

Per workload and framework the timing tables also show the page faults of one run (minor +
major, median over the rounds). A last table runs each workload alone in a fresh process
per framework (1 thread, the workload twice) for the page faults of a steady-state epoch
and the peak resident memory (``VmHWM``), with its growth over the RSS before training.

``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE`` force OpenBLAS onto another GEMM kernel; when
either is set, the default-threads table is measured again in a child process with both
unset (``--no-unset-rerun`` skips that), so the figures users get are shown as well.
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


def _peak_mb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(fn):
    """Runs ``fn`` once: ``(seconds, page faults, peak RSS MiB)``."""
    _reset_peak()
    f0 = _faults()
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    return seconds, _faults() - f0, _peak_mb()


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


def workloads(have_torch, quick):
    """``[(name, unit, per, {label: callable})]`` for the five rows of the table."""
    scale = 10 if quick else 1
    x, y = W.mnist_like(60000 // scale)
    xi, yi = W.images_like(10000 // scale)
    xt, yt = W.tokens_like(5000 // scale)
    steps = 300 // (3 if quick else 1)
    rows = []

    def row(name, unit, per, kcore_fn, torch_fn):
        runners = {"kcore": kcore_fn}
        if have_torch:
            runners["torch"] = torch_fn
        rows.append((name, unit, per, runners))

    row("MLP epoch (60k x 784, batch 128)", "s", 1,
        lambda: W.kcore_fit(W.kcore_mlp(), x, y, 128), lambda: W.torch_fit(W.torch_mlp(), x, y, 128))
    row("MLP predict (batch 1024)", "s", 1,
        lambda: W.kcore_predict(W.kcore_mlp(), x, 1024), lambda: W.torch_predict(W.torch_mlp(), x, 1024))
    row(f"MLP step, batch 32 ({steps} steps)", "ms", steps,
        lambda: W.kcore_fit(W.kcore_mlp(), x, y, 32, steps=steps),
        lambda: W.torch_fit(W.torch_mlp(), x, y, 32, steps=steps))
    row("CNN epoch (10k x 28 x 28 x 1, batch 128)", "s", 1,
        lambda: W.kcore_fit(W.kcore_cnn(), xi, yi, 128),
        lambda: W.torch_fit(W.torch_cnn(), xi, yi, 128, nchw=True))
    row("LSTM epoch (5k x 100 tokens, batch 64)", "s", 1,
        lambda: W.kcore_fit(W.kcore_lstm(), xt, yt, 64),
        lambda: W.torch_fit(W.torch_lstm(), xt.astype(np.int64), yt, 64, loss="bce"))
    return rows


def memory_child(index, framework, quick):
    """One workload on one framework alone in this process: its page faults and memory.

    Runs the workload twice (the first run warms up); prints JSON with the page faults of
    the second run and the process's RSS before the first run and at its peak.
    """
    from threadpoolctl import threadpool_limits

    have_torch = framework == "torch"
    if have_torch:
        import torch

        torch.set_num_threads(1)
    with threadpool_limits(1):
        name, unit, per, makers = workloads(have_torch, quick)[index]
        fn = makers[framework]()
        before = _rss_mb()
        fn()
        _, faults, peak = measure(fn)
    print(json.dumps({"faults": faults, "before": before, "peak": max(peak, _peak_mb())}))


def _rss_mb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def memory_table(have_torch, quick):
    """Runs every (workload, framework) in its own process; prints the memory table."""
    names = [name for name, *_ in workloads(False, True)]
    frameworks = ["kcore"] + (["torch"] if have_torch else [])
    print("\n### Page faults and memory, one process per workload (1 thread)\n")
    print("Each process runs one workload twice on one framework; page faults are those of "
          "the second run (the steady state: a step's temporaries come from memory the "
          "process already has), peak RSS is the process's high-water mark, and \"growth\" "
          "is the peak minus the RSS after building the model and the data.\n")
    print("| workload | page faults, kcore | page faults, PyTorch | peak RSS MiB (growth), "
          "kcore | peak RSS MiB (growth), PyTorch |")
    print("|---|---|---|---|---|")
    results = []
    for i, name in enumerate(names):
        row = {"workload": name}
        for fw in frameworks:
            cmd = [sys.executable, os.path.abspath(__file__), "--memory-child", str(i), fw]
            if quick:
                cmd.append("--quick")
            out = subprocess.run(cmd, capture_output=True, text=True, check=True)
            row[fw] = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(row)
        cells = [f"{row[fw]['faults']:,}" for fw in frameworks] + \
            [f"{row[fw]['peak']:.0f} ({row[fw]['peak'] - row[fw]['before']:+.0f})" for fw in frameworks]
        if not have_torch:
            cells = [cells[0], "-", cells[1], "-"]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    return results


def run_table(threads, have_torch, quick, repeats):
    """Measures every workload at ``threads`` (None: the libraries' defaults)."""
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    default_torch = torch.get_num_threads() if torch else None
    results = []
    with threadpool_limits(threads):
        if torch:
            torch.set_num_threads(threads or default_torch)
            torch.manual_seed(0)
        for name, unit, per, makers in workloads(have_torch, quick):
            runners = {label: make() for label, make in makers.items()}  # build outside timing
            results.append({"workload": name, "unit": unit,
                            **{label: list(v) for label, v in compare(runners, repeats, per).items()}})
            print(f"  measured: {name}", file=sys.stderr, flush=True)
    if torch:
        torch.set_num_threads(default_torch)
    return results


def fmt_time(value, unit):
    return f"{value * 1e3:.2f} ms" if unit == "ms" else f"{value:.2f} s"


def print_table(title, results):
    print(f"\n### {title}\n")
    print("| workload | kcore | PyTorch | kcore / PyTorch | page faults per run, kcore / PyTorch |")
    print("|---|---|---|---|---|")
    for r in results:
        k, t = r["kcore"], r.get("torch")
        if t:
            print(f"| {r['workload']} | {fmt_time(k[0], r['unit'])} | {fmt_time(t[0], r['unit'])} | "
                  f"**{k[0] / t[0]:.2f}** | {k[1]:,.0f} / {t[1]:,.0f} |")
        else:
            print(f"| {r['workload']} | {fmt_time(k[0], r['unit'])} | - | - | {k[1]:,.0f} / - |")


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
                                                  callbacks=[W.NoOp() for _ in range(10)])},
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


def print_pairs(default, single):
    print("\n### Summary: kcore / PyTorch\n")
    print("| workload | default threads | 1 thread / 1 thread |")
    print("|---|---|---|")
    for d, s in zip(default, single):
        if "torch" in d:
            print(f"| {d['workload']} | **{d['kcore'][0] / d['torch'][0]:.2f}** | "
                  f"{s['kcore'][0] / s['torch'][0]:.2f} |")


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
          + f". {env}. kcore malloc tuning: {_malloc_status()}. "
          f"Load average at start: {load:.2f}.")


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
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the page-fault/memory table (one process per workload)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--memory-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.memory_child:
        memory_child(int(args.memory_child[0]), args.memory_child[1], args.quick)
        return None
    try:
        import torch  # noqa: F401

        have_torch = True
    except ImportError:
        have_torch = False
        print("PyTorch is not installed: no ratios (`make bench` installs it).")
    if args.child:  # the rerun with the OpenBLAS variables unset: JSON on stdout only
        print(json.dumps(run_table(None, have_torch, args.quick, args.repeats)))
        return None
    header(have_torch)
    report = {}
    if args.threads in ("both", "default"):
        report["default"] = run_table(None, have_torch, args.quick, args.repeats)
        print_table("Default threads (as set in this environment)", report["default"])
    if args.threads in ("both", "1"):
        report["1"] = run_table(1, have_torch, args.quick, args.repeats)
        print_table("1 thread (BLAS and PyTorch limited to one thread)", report["1"])
    if "default" in report and "1" in report:
        print_pairs(report["default"], report["1"])
    set_vars = [v for v in BLAS_VARS if v in os.environ]
    if set_vars and not args.no_unset_rerun and args.threads != "1":
        env = {k: v for k, v in os.environ.items() if k not in BLAS_VARS}
        cmd = [sys.executable, os.path.abspath(__file__), "--child", "--repeats", str(args.repeats)]
        if args.quick:
            cmd.append("--quick")
        print(f"\n(rerunning the default-threads table with {', '.join(set_vars)} unset...)",
              file=sys.stderr, flush=True)
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        report["default, OpenBLAS variables unset"] = json.loads(out.stdout.strip().splitlines()[-1])
        print_table(f"Default threads, {' and '.join(set_vars)} unset (what users get)",
                    report["default, OpenBLAS variables unset"])
    elif not set_vars:
        print("\nOPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset here: the tables above are "
              "already what users get (OpenBLAS picks its kernel for this CPU).")
    if args.extras:
        report["extras"] = extras_table(args.quick, args.repeats)
    if not args.no_memory:
        report["memory"] = memory_table(have_torch, args.quick)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return report


if __name__ == "__main__":
    main()
