"""Subnormal floats flushed to zero inside training, evaluation and prediction steps.

Numbers below ``finfo(float32).tiny`` (about 1.2e-38) are *subnormal*; x86 CPUs compute with
them through a microcode assist that makes an element-wise operation roughly ten times
slower. Training produces them all the time: Adam's first moment of a weight whose gradient
has become exactly zero (a dead ReLU unit, an unused embedding row) decays by ``beta_1``
every step and spends about 150 steps in the subnormal range, so a few epochs into an MLP
most of its moment slots are subnormal and the optimizer update takes most of the step.

TensorFlow and XLA (Keras's TensorFlow and JAX backends) run their CPU kernels with the
processor's *flush-to-zero* and *denormals-are-zero* modes on, so such values are zero there.
:func:`flush_denormals` does the same for the steps of ``fit``, ``evaluate`` and ``predict``
and for ``Optimizer.apply``: on entry it saves the thread's floating-point environment and
turns both modes on, on exit it restores what was saved. The modes are a property of the
CPU thread, so other threads and code outside the steps keep IEEE subnormals; nesting is
harmless.

Supported on x86-64 Linux (the SSE control register, ``MXCSR``, through the C library's
``fegetenv``/``fesetenv``); elsewhere the context does nothing. ``KCORE_FLUSH_DENORMALS=0``
set before ``import kcore`` turns it off; :data:`status` says which case applies.
"""

import os
import platform
import sys

from kcore.backend.switches import switched_off

#: MXCSR bits: flush-to-zero (results) and denormals-are-zero (inputs).
_BOTH = 0x8000 | 0x0040

#: ``"on"``, ``"disabled"`` (``KCORE_FLUSH_DENORMALS=0``) or ``"unsupported"``; set at import.
status = "unsupported"
_libm = None
_Env = None


def _load(environ):
    global status, _libm, _Env
    if switched_off("KCORE_FLUSH_DENORMALS", environ):
        status = "disabled"
        return
    if not (sys.platform.startswith("linux") and platform.machine() in ("x86_64", "AMD64")):
        return
    try:
        import ctypes

        try:  # the interpreter links the C math library: its symbols are already loaded
            libm = ctypes.CDLL(None)
            libm.fegetenv
        except AttributeError:
            libm = ctypes.CDLL("libm.so.6")

        class Env(ctypes.Structure):
            """glibc's and musl's x86-64 ``fenv_t``: 28 bytes of x87 state, then MXCSR."""

            _fields_ = [("x87", ctypes.c_uint8 * 28), ("mxcsr", ctypes.c_uint32)]

        for name in ("fegetenv", "fesetenv"):
            getattr(libm, name).argtypes = (ctypes.POINTER(Env),)
            getattr(libm, name).restype = ctypes.c_int

    except (OSError, AttributeError, ImportError):
        return
    _libm, _Env = libm, Env
    status = "on"


class _Flush:
    """The context :func:`flush_denormals` returns (a class: this runs twice per step)."""

    __slots__ = ("saved",)

    def __enter__(self):
        saved = _Env()
        if _libm.fegetenv(saved) != 0 or saved.mxcsr & _BOTH == _BOTH:
            return self  # unreadable, or already on (a nested step): nothing to restore
        flushing = _Env.from_buffer_copy(saved)
        flushing.mxcsr |= _BOTH
        _libm.fesetenv(flushing)
        self.saved = saved
        return self

    def __exit__(self, *exc):
        saved = getattr(self, "saved", None)
        if saved is not None:
            _libm.fesetenv(saved)
        return False


class _Nothing:
    __slots__ = ()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_NOTHING = _Nothing()


def flush_denormals():
    """A context manager: its body runs with subnormal inputs and results treated as zero
    (see the module docstring); does nothing where unsupported or disabled."""
    return _NOTHING if _libm is None else _Flush()


def reset_thread():
    """Turns both modes off in this thread. A thread starts with its creator's modes, so a
    long-lived thread started inside a step (by a layer or a plugin, say) would otherwise
    flush subnormals for good; call this first thing in such a thread."""
    if _libm is None:
        return
    env = _Env()
    if _libm.fegetenv(env) == 0 and env.mxcsr & _BOTH:
        env.mxcsr &= ~_BOTH & 0xFFFFFFFF
        _libm.fesetenv(env)


def flushing():
    """Whether this thread flushes subnormals now (``False`` where unsupported)."""
    if _libm is None:
        return False
    env = _Env()
    return _libm.fegetenv(env) == 0 and env.mxcsr & _BOTH == _BOTH


_load(os.environ)
