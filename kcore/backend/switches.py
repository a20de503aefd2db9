"""kcore's environment opt-outs (``KCORE_MALLOPT``, ``KCORE_FLUSH_DENORMALS``, ``KCORE_NUMBA``).

Standard library only: the allocator tuning reads its switch at the very start of
``import kcore``.
"""

import os

#: The values that turn a switch off (case and surrounding spaces ignored).
OFF = ("0", "false", "no", "off")


def switched_off(name, environ=None):
    """True when the environment variable ``name`` (default on) is set to one of :data:`OFF`."""
    env = os.environ if environ is None else environ
    return env.get(name, "1").strip().lower() in OFF
