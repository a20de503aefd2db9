"""Seedable randomness: ``SeedGenerator`` and the global generator behind ``set_random_seed``.

Every random draw in kcore (initializers, dropout, noise, shuffling) goes through
``rng(seed)``, so ``kcore.utils.set_random_seed(s)`` makes a whole run reproducible.
``seed=None`` draws from the global generator; an ``int`` seed gives the same numbers on every
call (as in Keras); a ``SeedGenerator`` advances its own stream.

The global generator belongs to the thread / async task that called ``set_random_seed``
(a context variable), so two threads that each seed and train reproduce their runs bit for
bit. A context that never seeded uses a process-wide generator started from the last
``set_random_seed`` anywhere (numpy generators are thread-safe).
"""

import contextvars
import random as _pyrandom
import threading

import numpy as np

from kcore.backend.object_kinds import register_builtins, register_kind

_process_generator = None
_process_lock = threading.Lock()
_context_generator = contextvars.ContextVar("kcore_global_generator", default=None)


class SeedGenerator:
    """A stateful stream of random numbers, as ``keras.random.SeedGenerator``.

    Args:
        seed: an int; ``None`` draws one from the global generator.

    Example:
        >>> gen = kcore.random.SeedGenerator(42)
        >>> a = kcore.random.normal((2,), seed=gen)   # differs from the next draw
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if isinstance(seed, SeedGenerator):
            seed = seed.initial_seed
        # An unseeded generator draws its seed from the global one at first use, not here,
        # so that rebuilding a model (e.g. in load_model) leaves the global stream alone.
        self.initial_seed = None if seed is None else int(seed)
        self.name = name or "seed_generator"
        self._generator = None

    @property
    def generator(self):
        """The underlying ``numpy.random.Generator``."""
        if self._generator is None:
            if self.initial_seed is None:
                self.initial_seed = int(global_generator().integers(0, 2**31 - 1))
            self._generator = np.random.Generator(np.random.PCG64(self.initial_seed))
        return self._generator

    def next(self):
        """Returns the underlying ``numpy.random.Generator``."""
        return self.generator

    def get_state(self):
        """The stream's position, JSON-able (``None`` if never used), for exact resumption."""
        return None if self._generator is None else _state_of(self._generator)

    def set_state(self, state):
        """Restores a position from ``get_state()`` (``None``: not used yet)."""
        if state is None:
            return
        if self._generator is None:
            self._generator = np.random.Generator(np.random.PCG64(0))
        self._generator.bit_generator.state = state

    def get_config(self):
        return {"seed": self.initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


register_kind("seed generator", bases=(SeedGenerator,))
register_builtins("keras.random", {"SeedGenerator": SeedGenerator}, kind="seed generator")


def global_generator():
    """The ``numpy.random.Generator`` used when no seed is given (see the module docstring)."""
    global _process_generator
    generator = _context_generator.get()
    if generator is not None:
        return generator
    if _process_generator is None:
        with _process_lock:
            if _process_generator is None:
                _process_generator = np.random.Generator(np.random.PCG64())
    return _process_generator


def set_random_seed(seed):
    """Seeds Python's ``random``, numpy's legacy global state and kcore's global generator.

    kcore's generator is set for the calling thread / async task and as the process-wide
    default of contexts that never seed.
    """
    global _process_generator
    seed = int(seed)
    _pyrandom.seed(seed)
    np.random.seed(seed % (2**32))
    # Two streams with the same start: draws in unseeded threads never shift this one's.
    with _process_lock:
        _process_generator = np.random.Generator(np.random.PCG64(seed))
    _context_generator.set(np.random.Generator(np.random.PCG64(seed)))


def rng(seed=None):
    """The ``numpy.random.Generator`` for ``seed`` (``None``, an int or a SeedGenerator)."""
    if seed is None:
        return global_generator()
    if isinstance(seed, SeedGenerator):
        return seed.generator
    if isinstance(seed, (int, np.integer)):
        return np.random.Generator(np.random.PCG64(int(seed)))
    raise TypeError(
        f"seed must be None, an int or a kcore.random.SeedGenerator, got {type(seed).__name__}."
    )


def _state_of(generator):
    state = generator.bit_generator.state
    return {"bit_generator": state["bit_generator"],
            "state": {k: int(v) for k, v in state["state"].items()},
            "has_uint32": int(state["has_uint32"]), "uinteger": int(state["uinteger"])}


def get_state():
    """The global generator's state as a JSON-able dict (for exact resumption)."""
    return _state_of(global_generator())


def set_state(state):
    """Restores the global generator from ``get_state()``."""
    global_generator().bit_generator.state = state
