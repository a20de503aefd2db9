"""A Tier-1 hook module published through the ``kcore.plugins`` group.

Opt-in: without ``KCORE_EXAMPLE_CLIPNORM`` every hook returns at once. With
``KCORE_EXAMPLE_CLIPNORM=<max_norm>`` it clips the gradients of every training
step to that global norm and reports the norm before clipping as ``grad_norm``
in the batch logs (the last batch's) and the epoch logs (the epoch mean).

Note the hook rules: every function carries ``@kcore.hooks.hookimpl``, takes
only the arguments it needs, and gives none of them a default.
"""

import math
import os

import numpy as np

from kcore.hooks import hookimpl

# Per-model running statistics, keyed by id(model): plugins must not add
# attributes to the user's model.
_norms = {}


def _max_norm():
    value = os.environ.get("KCORE_EXAMPLE_CLIPNORM")
    return float(value) if value else None


@hookimpl
def kcore_before_apply_gradients(model, step):
    max_norm = _max_norm()
    if max_norm is None:
        return
    norm = math.sqrt(sum(float(np.sum(np.square(g))) for g in step.grads))
    if norm > max_norm:
        scale = max_norm / norm
        for g in step.grads:
            g *= scale
    _norms.setdefault(id(model), []).append(norm)


@hookimpl
def kcore_reduce_logs(model, logs, scope):
    if _max_norm() is None:
        return
    norms = _norms.get(id(model))
    if not norms:
        return
    if scope == "train_batch":
        logs["grad_norm"] = norms[-1]
    elif scope == "epoch":
        logs["grad_norm"] = sum(norms) / len(norms)
        norms.clear()


@hookimpl
def kcore_on_train_end(model):
    _norms.pop(id(model), None)


@hookimpl
def kcore_on_exception(model):
    _norms.pop(id(model), None)
