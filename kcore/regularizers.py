"""``kcore.regularizers``: weight penalties added to the loss, as in Keras 3.

A regularizer is called on a weight and returns a scalar penalty tensor, computed with
``kcore.ops`` so that it is differentiable under a ``GradientTape``.

Example:
    >>> reg = kcore.regularizers.L2(0.01)
    >>> float(reg(np.array([1.0, 2.0])))     # 0.01 * (1 + 4)
    0.05
"""

import math

from kcore import ops
from kcore.backend import config
from kcore.backend.serialization import (deserialize_keras_object, get_object,
                                         register_builtins, register_kind,
                                         serialize_keras_object)


def _penalty(value, name):
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or math.isinf(value) or math.isnan(value) or value < 0):
        raise ValueError(
            f"Invalid value for argument {name}: expected a non-negative float. "
            f"Received: {name}={value!r}"
        )
    return float(value)


class Regularizer:
    """Base class: ``__call__(x)`` returns the penalty for weight ``x``."""

    _keras_module = "keras.regularizers"

    def __call__(self, x):
        return 0.0

    def get_config(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config().")

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer):
    """``l1 * sum(abs(x)) + l2 * sum(square(x))``.

    Args:
        l1: L1 factor (default 0.0).
        l2: L2 factor (default 0.0).
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _penalty(0.0 if l1 is None else l1, "l1")
        self.l2 = _penalty(0.0 if l2 is None else l2, "l2")

    def __call__(self, x):
        penalty = ops.convert_to_tensor(0.0, dtype=_float_dtype(x))
        if self.l1:
            penalty = ops.add(penalty, ops.multiply(self.l1, ops.sum(ops.abs(x))))
        if self.l2:
            penalty = ops.add(penalty, ops.multiply(self.l2, ops.sum(ops.square(x))))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1 * sum(abs(x))``."""

    def __init__(self, l1=0.01):
        self.l1 = _penalty(0.01 if l1 is None else l1, "l1")

    def __call__(self, x):
        return ops.multiply(self.l1, ops.sum(ops.abs(x)))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(square(x))``."""

    def __init__(self, l2=0.01):
        self.l2 = _penalty(0.01 if l2 is None else l2, "l2")

    def __call__(self, x):
        return ops.multiply(self.l2, ops.sum(ops.square(x)))

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a 2D weight towards orthonormality.

    ``factor * 0.5 * sum(|N N^T - diag|) / (n * (n - 1) / 2)`` where ``N`` holds the
    L2-normalised rows (``mode="rows"``) or columns (``mode="columns"``).
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _penalty(factor, "factor")
        if mode not in ("rows", "columns"):
            raise ValueError(
                "Invalid value for argument `mode`. Expected one of {'rows', 'columns'}. "
                f"Received: mode={mode!r}"
            )
        self.mode = mode

    def __call__(self, x):
        x = ops.convert_to_tensor(x)
        if x.ndim != 2:
            raise ValueError(
                f"Inputs to OrthogonalRegularizer must have rank 2. Received: shape={x.shape}"
            )
        axis = 1 if self.mode == "rows" else 0
        norms = ops.maximum(ops.sqrt(ops.sum(ops.square(x), axis=axis, keepdims=True)),
                            config.epsilon())
        n = ops.divide(x, norms)
        if self.mode == "columns":
            n = ops.transpose(n)
        product = ops.matmul(n, ops.transpose(n))
        size = product.shape[0]
        off_diagonal = ops.multiply(product, 1.0 - ops.eye(size, dtype=product.dtype))
        pairs = size * (size - 1.0) / 2.0
        return ops.multiply(self.factor * 0.5 / pairs, ops.sum(ops.abs(off_diagonal)))

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


def _float_dtype(x):
    dtype = ops.convert_to_tensor(x).dtype
    return dtype if config.is_float_dtype(dtype) else config.floatx()


l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer

ALL_OBJECTS_DICT = {
    "Regularizer": Regularizer, "L1": L1, "L2": L2, "L1L2": L1L2,
    "OrthogonalRegularizer": OrthogonalRegularizer,
    "regularizer": Regularizer, "l1": L1, "l2": L2, "l1l2": L1L2, "l1_l2": L1L2,
    "orthogonal_regularizer": OrthogonalRegularizer,
}
register_kind("regularizer", bases=(Regularizer,), functions=True)
register_builtins("keras.regularizers", ALL_OBJECTS_DICT, kind="regularizer")


def serialize(regularizer):
    """The Keras 3 config dict of a regularizer."""
    return serialize_keras_object(regularizer)


def deserialize(config, custom_objects=None):
    """Rebuilds a regularizer from a name or config dict."""
    return deserialize_keras_object(config, module_objects=ALL_OBJECTS_DICT,
                                    custom_objects=custom_objects, kind="regularizer")


def get(identifier):
    """Resolves ``None``, a name (``"l2"``), a config dict, a class or a callable.

    Raises:
        ValueError: for an unknown name (listing the known ones) or a non-callable.
    """
    return get_object(identifier, deserialize, "regularizer",
                      "a name such as 'l2', a config dict, a Regularizer or a callable "
                      "f(weight) -> penalty")
