"""Micro-benchmark: the W2 convolution and pooling layers, kcore vs PyTorch on CPU.

W2: input (128, 28, 28, 1) -> Conv2D 32 3x3 -> MaxPool 2 -> Conv2D 64 3x3 -> MaxPool 2.
Each op is timed forward and backward (VJP with respect to input and kernel) at 1 and 2
BLAS threads; numpy's BLAS is limited with threadpoolctl, torch with set_num_threads.
Best of ``--repeat`` runs after one warm-up, in milliseconds (the minimum is the
estimate least disturbed by other processes on a shared machine).

    python benchmarks/conv_micro.py [--threads 1 2] [--repeat 20]
"""

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from kcore.ops.conv import _conv, _max_pool

LAYERS = [  # name, input NHWC, kernel (kh, kw, in, out) or pool size
    ("conv1", (128, 28, 28, 1), (3, 3, 1, 32)),
    ("pool1", (128, 26, 26, 32), 2),
    ("conv2", (128, 13, 13, 32), (3, 3, 32, 64)),
    ("pool2", (128, 11, 11, 64), 2),
]


def best_ms(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1e3 * min(times)


def kcore_times(x, spec, repeat):
    if isinstance(spec, int):
        kwargs = {"pool_size": (spec, spec), "strides": (spec, spec),
                  "pads": ((0, 0), (0, 0)), "data_format": "channels_last"}

        def fwd():
            return _max_pool.raw(x, **kwargs)

        args = (x,)
    else:
        w = np.random.default_rng(0).standard_normal(spec).astype("float32")
        kwargs = {"strides": (1, 1), "pads": ((0, 0), (0, 0)), "dilation": (1, 1),
                  "data_format": "channels_last"}

        def fwd():
            return _conv.raw(x, w, **kwargs)

        args = (x, w)
    out, vjp = fwd()
    g = np.random.default_rng(1).standard_normal(out.shape).astype("float32")
    grads = vjp(g)
    assert all(d.dtype == np.float32 and d.shape == a.shape for d, a in zip(grads, args))
    return best_ms(fwd, repeat), best_ms(lambda: vjp(g), repeat)


def torch_times(torch, x, spec, repeat):
    xt = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))).requires_grad_()
    if isinstance(spec, int):
        params = [xt]

        def fwd():
            return torch.nn.functional.max_pool2d(xt, spec)
    else:
        w = torch.randn(spec[3], spec[2], spec[0], spec[1], requires_grad=True)
        params = [xt, w]

        def fwd():
            return torch.nn.functional.conv2d(xt, w)
    with torch.no_grad():
        t_fwd = best_ms(fwd, repeat)
    out = fwd()
    g = torch.randn(out.shape)

    def bwd():
        torch.autograd.grad(out, params, g, retain_graph=True)

    return t_fwd, best_ms(bwd, repeat)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        torch = None
    rng = np.random.default_rng(0)
    print(f"{'threads':>7} {'layer':>6} {'kcore fwd':>10} {'kcore bwd':>10} "
          f"{'torch fwd':>10} {'torch bwd':>10}   (ms, best of {args.repeat})", flush=True)
    for n in args.threads:
        with threadpool_limits(limits=n):
            if torch is not None:
                torch.set_num_threads(n)
            for name, shape, spec in LAYERS:
                x = rng.standard_normal(shape).astype("float32")
                if name.startswith("conv"):
                    x = np.maximum(x, 0)
                kf, kb = kcore_times(x, spec, args.repeat)
                tf, tb = torch_times(torch, x, spec, args.repeat) if torch else (np.nan,) * 2
                print(f"{n:>7} {name:>6} {kf:10.2f} {kb:10.2f} {tf:10.2f} {tb:10.2f}", flush=True)


if __name__ == "__main__":
    main()
