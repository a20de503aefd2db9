"""``kcore.constraints``: projections applied to a weight after each optimizer update.

A constraint is called on a weight (a ``Variable``/``Tensor`` or a numpy array) and returns
the projected value, of the same kind: a ``Tensor`` for a tensor input, a numpy array for an
array. Optimizers call ``variable.assign(variable.constraint(variable))`` after each
update; a constraint is a projection, not part of the differentiated computation, so it is
computed with plain numpy.

Example:
    >>> c = kcore.constraints.MaxNorm(max_value=1.0)
    >>> c(np.array([[3.0], [4.0]])).round(3)     # the column's norm 5 becomes 1
    array([[0.6],
           [0.8]])
"""

import numpy as np

from kcore.backend import config
from kcore.backend.serialization import (deserialize_keras_object, get_object,
                                         register_builtins, register_kind,
                                         serialize_keras_object)
from kcore.backend.tensor import Tensor


def _array(w):
    return w.value if isinstance(w, Tensor) else np.asarray(w)


def _like(w, out):
    return Tensor(out) if isinstance(w, Tensor) else out


def _norms(w, axis):
    return np.sqrt(np.sum(np.square(w), axis=axis, keepdims=True))


class Constraint:
    """Base class: ``__call__(w)`` returns the projected weight (identity here)."""

    _keras_module = "keras.constraints"

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MaxNorm(Constraint):
    """Rescales slices whose L2 norm along ``axis`` exceeds ``max_value``.

    ``w * clip(norm, 0, max_value) / (epsilon + norm)``. For a Dense kernel ``(in, out)``,
    ``axis=0`` constrains each unit's incoming weight vector; for a conv kernel
    ``(h, w, in, out)`` use ``axis=[0, 1, 2]``.
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        x = _array(w)
        norms = _norms(x, _axis(self.axis))
        desired = np.clip(norms, 0, self.max_value)
        return _like(w, (x * (desired / (config.epsilon() + norms))).astype(x.dtype, copy=False))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves slice norms along ``axis`` towards ``[min_value, max_value]`` at ``rate``.

    ``desired = rate * clip(norm, min_value, max_value) + (1 - rate) * norm``;
    ``w * desired / (epsilon + norm)``.
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        x = _array(w)
        norms = _norms(x, _axis(self.axis))
        desired = (self.rate * np.clip(norms, self.min_value, self.max_value)
                   + (1 - self.rate) * norms)
        return _like(w, (x * (desired / (config.epsilon() + norms))).astype(x.dtype, copy=False))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


class NonNeg(Constraint):
    """Zeroes negative entries."""

    def __call__(self, w):
        x = _array(w)
        return _like(w, x * (x >= 0).astype(x.dtype))


class UnitNorm(Constraint):
    """Scales slices along ``axis`` to unit L2 norm: ``w / (epsilon + norm)``."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        x = _array(w)
        norms = _norms(x, _axis(self.axis))
        return _like(w, (x / (config.epsilon() + norms)).astype(x.dtype, copy=False))

    def get_config(self):
        return {"axis": self.axis}


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


max_norm = MaxNorm
min_max_norm = MinMaxNorm
non_neg = NonNeg
unit_norm = UnitNorm

ALL_OBJECTS_DICT = {
    "Constraint": Constraint, "MaxNorm": MaxNorm, "MinMaxNorm": MinMaxNorm,
    "NonNeg": NonNeg, "UnitNorm": UnitNorm,
    "constraint": Constraint, "max_norm": MaxNorm, "min_max_norm": MinMaxNorm,
    "non_neg": NonNeg, "unit_norm": UnitNorm,
}
register_kind("constraint", bases=(Constraint,), functions=True)
register_builtins("keras.constraints", ALL_OBJECTS_DICT, kind="constraint")


def serialize(constraint):
    """The Keras 3 config dict of a constraint."""
    return serialize_keras_object(constraint)


def deserialize(config, custom_objects=None):
    """Rebuilds a constraint from a name or config dict."""
    return deserialize_keras_object(config, module_objects=ALL_OBJECTS_DICT,
                                    custom_objects=custom_objects, kind="constraint")


def get(identifier):
    """Resolves ``None``, a name (``"max_norm"``), a config dict, a class or a callable.

    Raises:
        ValueError: for an unknown name (listing the known ones) or a non-callable.
    """
    return get_object(identifier, deserialize, "constraint",
                      "a name such as 'max_norm', a config dict, a Constraint or a callable "
                      "f(weight) -> weight")
