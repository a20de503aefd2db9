"""Compiled kernels for the loops numpy cannot express in few passes (optional: numba).

Some hot gradients are a handful of numpy passes with short inner loops: the max-pooling
gradient reads and writes every window cell as a separate strided view whose contiguous
runs are one pixel's channels (32 floats for a 32-filter convolution), so its dozen passes
cost several times what one pass over the data would. When `numba <https://numba.pydata.org>`_
is installed (``pip install kcore[fast]``), :func:`kernels` returns a module of compiled
loops that do such an operation in one pass; the ops use them for the cases they cover and
keep their numpy code for everything else, and for installs without numba.

Both paths give the same numbers: the kernels compute the same values in the same order of
floating-point operations (the tests compare the two paths on the same inputs).

The kernels are compiled on first use (a second or two, once: numba caches the machine code
next to the module or in its user cache directory). ``import kcore`` never imports numba.

- ``KCORE_NUMBA=0`` (read on first use) keeps kcore on its numpy code in the whole process.
- :func:`numpy_only` does so for the code running inside it, in this thread or async task
  only (a context variable), e.g. to compare the two paths.
"""

import contextlib
import contextvars
import importlib
import threading

import numpy as np

from kcore.backend.switches import switched_off

_numpy_only = contextvars.ContextVar("kcore_numpy_only", default=False)
_lock = threading.Lock()
_module = None  # None: not tried yet; False: unavailable or disabled; else the kernels


def _load():
    if switched_off("KCORE_NUMBA"):
        return False
    try:
        return importlib.import_module("kcore.backend._numba_kernels")
    except ImportError:  # numba missing, or a numba that does not support this numpy
        return False


def kernels():
    """The compiled kernels (``kcore.backend._numba_kernels``), or None to use numpy."""
    global _module
    if _numpy_only.get():
        return None
    if _module is None:
        with _lock:
            if _module is None:
                _module = _load()
    return _module or None


#: The dtypes the kernels are compiled for; other dtypes (float16, ints) stay on numpy.
DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


_DTYPE_SET = frozenset(DTYPES)


def kernels_for(*dtypes):
    """:func:`kernels` when every one of ``dtypes`` is in :data:`DTYPES`, else None."""
    for d in dtypes:  # called several times per op: dtype objects skip np.dtype()
        if d not in _DTYPE_SET and np.dtype(d) not in DTYPES:
            return None
    return kernels()


def status():
    """``"numba"`` when the compiled kernels are in use here, else ``"numpy"``."""
    return "numpy" if kernels() is None else "numba"


@contextlib.contextmanager
def numpy_only():
    """Run the enclosed code on kcore's numpy implementations only (this context only)."""
    token = _numpy_only.set(True)
    try:
        yield
    finally:
        _numpy_only.reset(token)
