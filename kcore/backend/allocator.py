"""glibc malloc tuning, so that training does not page-fault on every step.

A training step allocates and frees the same large temporaries (activations, im2col patches,
gradients) again and again. With glibc's default settings, freeing them gives the memory
back to the operating system (the top of the heap is trimmed once more than a few hundred
KiB are free, and large blocks are ``mmap``-ed and ``munmap``-ed one by one), so the next
step touches fresh pages and takes a page fault for every 4 KiB: hundreds of thousands of
faults and about a second of system time per epoch of a small CNN.

:func:`tune` raises glibc's thresholds through ``mallopt`` once, when kcore is imported:

- ``M_MMAP_THRESHOLD`` to 32 MiB (glibc's maximum), so blocks up to that size come from the
  heap instead of a fresh ``mmap`` each time;
- ``M_TRIM_THRESHOLD`` to 1 GiB, so freed memory at the top of the heap is kept for the
  next step instead of being returned to the system and faulted in again;
- ``M_TOP_PAD`` to 16 MiB, so the heap grows in fewer, larger steps.

The process's resident size after a step then stays at its peak instead of dropping between
steps; the peak itself does not change. This is what PyTorch achieves with its own caching
allocator. Set ``KCORE_MALLOPT=0`` before importing kcore to leave the allocator alone; kcore
also leaves it alone when glibc's own ``MALLOC_*_`` variables or malloc tunables
(``GLIBC_TUNABLES=glibc.malloc...``) are set, and on systems without glibc (macOS, Windows,
musl), where :func:`tune` does nothing.
"""

import os

from kcore.backend.switches import switched_off

#: mallopt parameter numbers, from glibc's <malloc.h>.
M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3

#: The values :func:`tune` sets, in bytes.
SETTINGS = {
    M_MMAP_THRESHOLD: 32 * 1024 * 1024,
    M_TRIM_THRESHOLD: 1024 * 1024 * 1024,
    M_TOP_PAD: 16 * 1024 * 1024,
}

_USER_VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
                   "MALLOC_MMAP_MAX_")

#: What :func:`tune` did: ``None`` before it ran, then a short reason string.
status = None


def glibc_version():
    """glibc's version string (``"2.36"``), or ``None`` when the C library is not glibc."""
    try:
        text = os.confstr("CS_GNU_LIBC_VERSION")  # "glibc 2.36"; cheap, no ctypes
    except (AttributeError, ValueError, OSError):
        return None
    if not text or not text.startswith("glibc"):
        return None
    return text.split()[-1]


def tune(environ=None):
    """Sets :data:`SETTINGS` through glibc's ``mallopt``; returns what was done (a string).

    Runs once per process at ``import kcore``; calling it again is harmless. Returns
    ``"disabled"`` (``KCORE_MALLOPT=0``), ``"user settings"`` (glibc's own variables are
    set), ``"not glibc"``, ``"failed"`` (``mallopt`` refused a value) or ``"tuned"``.
    """
    global status
    env = os.environ if environ is None else environ
    if switched_off("KCORE_MALLOPT", env):
        status = "disabled"
        return status
    if any(name in env for name in _USER_VARIABLES) or "glibc.malloc" in env.get("GLIBC_TUNABLES", ""):
        status = "user settings"
        return status
    if glibc_version() is None:
        status = "not glibc"
        return status
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
        mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
        mallopt.restype = ctypes.c_int
    except (OSError, AttributeError, ImportError):
        status = "not glibc"
        return status
    ok = all(mallopt(param, value) == 1 for param, value in SETTINGS.items())
    status = "tuned" if ok else "failed"
    return status
