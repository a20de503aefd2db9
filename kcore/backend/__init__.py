"""``kcore.backend``: the numpy engine (tensor, tape, config), plus ``keras.backend`` names.

``clear_session``, ``floatx``, ``epsilon``, ``image_data_format`` and their setters are
available here, as in ``keras.backend``.

Importing it tunes glibc's allocator once (``kcore.backend.allocator``; ``KCORE_MALLOPT=0``
opts out) so that per-step temporaries do not page-fault on every training step.
"""

from kcore.backend import allocator as _allocator
from kcore.backend.config import (backend, epsilon, floatx, image_data_format, set_epsilon,
                                  set_floatx, set_image_data_format, standardize_dtype)


_allocator.tune()


def clear_session(free_memory=True):
    """Resets automatic layer names (``dense``, ``dense_1``...), as ``keras.backend.clear_session``."""
    from kcore.layers.layer import clear_session as _clear

    _clear()


def is_keras_tensor(x):
    """True for symbolic tensors made by ``kcore.Input`` and layer calls on them."""
    from kcore.layers.input_layer import KerasTensor

    return isinstance(x, KerasTensor)
