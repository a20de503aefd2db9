"""Large element-wise work split over the CPU's cores.

numpy runs every ufunc on the calling thread; only BLAS (matrix products) uses more than one
core. Element-wise passes over large arrays (the optimizer's update of a big kernel, say)
then leave the other cores idle, while PyTorch runs the same passes on all of them. numpy
releases the GIL inside its ufunc loops, so splitting such a pass into contiguous parts and
running the parts on a few threads at once does scale.

:func:`parallel` does that split: ``fn(*parts)`` runs once per part, one part on the calling
thread and the others on a small pool of worker threads started on first use. Only arrays
of at least :data:`MIN_SIZE` elements are split (below that, handing work to a thread costs
more than it saves), and only C-contiguous ones of equal size. :func:`parallel_batch` splits
along the batch axis instead, for work on strided views (pooling windows, say).

The number of threads is the number of CPUs this process may run on, or ``KCORE_NUM_THREADS``
(or else ``OMP_NUM_THREADS``) when set before ``import kcore``; 1 turns the splitting off.
Workers run their part with the calling thread's subnormal flushing
(:mod:`kcore.backend.floating_point`), so a part computes exactly what the whole would.
"""

import os
import threading

from kcore.backend import floating_point

#: Arrays smaller than this (in elements) are not split.
MIN_SIZE = 1 << 16


def _configured_threads(environ):
    for name in ("KCORE_NUM_THREADS", "OMP_NUM_THREADS"):
        value = environ.get(name, "").strip()
        if value:
            try:
                return max(1, int(value.split(",")[0]))
            except ValueError:
                raise ValueError(
                    f"{name} must be a positive integer (the number of threads kcore uses for "
                    f"element-wise work); received {value!r}. Unset it or set e.g. {name}=2."
                ) from None
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


#: How many threads :func:`parallel` uses (the calling thread included).
num_threads = _configured_threads(os.environ)

_pool = None
_pool_lock = threading.Lock()


def _get_pool():
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                from concurrent.futures import ThreadPoolExecutor

                _pool = ThreadPoolExecutor(max_workers=num_threads - 1,
                                           thread_name_prefix="kcore-elementwise",
                                           initializer=floating_point.reset_thread)
    return _pool


def _run_flushing(fn, parts):
    with floating_point.flush_denormals():
        fn(*parts)


def _run_parts(fn, part_args):
    """``fn(*args)`` for every ``args`` of ``part_args``: the first on this thread, the
    others on the pool (with this thread's subnormal flushing)."""
    run = _run_flushing if floating_point.flushing() else (lambda f, p: f(*p))
    pool = _get_pool()
    futures = [pool.submit(run, fn, args) for args in part_args[1:]]
    try:
        fn(*part_args[0])
    finally:
        for future in futures:
            future.result()


def parallel_batch(fn, *arrays, cost=None):
    """Calls ``fn(*arrays)``, split along the first axis (the batch) over the threads.

    ``fn`` must treat the samples of the batch independently; the arrays may have any
    strides but must share their first dimension. ``cost`` is the number of elements the
    call touches (default: the first array's size); below :data:`MIN_SIZE` per part, or
    with one thread, ``fn`` runs once on the whole arrays.
    """
    n = arrays[0].shape[0]
    size = arrays[0].size if cost is None else cost
    parts = min(num_threads, n, size // MIN_SIZE)
    if parts < 2:
        fn(*arrays)
        return
    bounds = [n * i // parts for i in range(parts + 1)]
    _run_parts(fn, [[a[bounds[i]:bounds[i + 1]] for a in arrays] for i in range(parts)])


def parallel(fn, *arrays):
    """Calls ``fn(*arrays)``, split along the flattened arrays over :data:`num_threads`.

    ``fn`` must be element-wise: part ``i`` of every output depends only on part ``i`` of
    the inputs. Arrays are split only when they are all C-contiguous, of one size of at
    least :data:`MIN_SIZE`; otherwise ``fn`` runs once on the whole arrays.
    """
    size = arrays[0].size
    if num_threads < 2 or size < MIN_SIZE or not all(
            a.size == size and a.flags.c_contiguous for a in arrays):
        fn(*arrays)
        return
    parts = min(num_threads, size // (MIN_SIZE // 2))
    flat = [a.reshape(-1) for a in arrays]
    bounds = [size * i // parts for i in range(parts + 1)]
    _run_parts(fn, [[a[bounds[i]:bounds[i + 1]] for a in flat] for i in range(parts)])
