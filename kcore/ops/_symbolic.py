"""Public ``kcore.ops`` functions on symbolic tensors: one graph node per call.

A public op called on a KerasTensor (``kcore.Input``) is recorded as one graph node (an
``OpLayer``) that runs the op on the real tensors, as Keras records one operation per
``keras.ops`` call; primitives (``add``, ``multiply``...) record themselves. Checking the
arguments costs about 2 microseconds per call.
"""

import functools
import inspect

from kcore.backend import autodiff

#: Public ops that take no tensor (creation), or return Python values or NumPy arrays:
#: never graph nodes.
_NOT_RECORDED = frozenset({
    "arange", "convert_to_numpy", "convert_to_tensor", "dtype", "empty", "eye", "full",
    "is_tensor", "linspace", "ones", "shape", "size", "tri", "zeros"})

#: ``{name: op}`` of the public ops recorded whole on symbolic tensors.
PUBLIC_OPS = {}
_NAMESPACE = {}


def _record_when_symbolic(fn):
    @functools.wraps(fn)
    def op(*args, **kwargs):
        node = autodiff._symbolic_fallback(op, args, kwargs)
        return fn(*args, **kwargs) if node is None else node

    op.public_op = fn.__name__
    return op


def install(namespace):
    """Wraps the public functions of ``kcore.ops`` (its ``namespace``) in place."""
    _NAMESPACE.update(namespace)
    for name, fn in list(namespace.items()):
        if (name.startswith("_") or name in _NOT_RECORDED or not inspect.isfunction(fn)
                or hasattr(fn, "raw") or getattr(fn, "__name__", None) != name
                or not fn.__module__.startswith("kcore.ops.")):
            continue
        namespace[name] = _NAMESPACE[name] = PUBLIC_OPS[name] = _record_when_symbolic(fn)


def public_op(name):
    """The public ``kcore.ops`` op called ``name`` (recorded whole, or a primitive such as
    ``add`` or its alias ``true_divide``), or ``None``."""
    fn = PUBLIC_OPS.get(name)
    if fn is None and not name.startswith("_"):
        candidate = _NAMESPACE.get(name)
        if getattr(candidate, "raw", None) is not None:  # a primitive or nondifferentiable op
            fn = candidate
    return fn
