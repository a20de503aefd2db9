"""``Tensor`` (an immutable numpy array that the tape can follow) and ``Variable``.

A ``Tensor`` wraps one numpy array in ``.value``. Arithmetic operators dispatch to
``kcore.ops`` so that every operation on a tensor is recorded when a ``GradientTape`` is
watching. A ``Variable`` is a ``Tensor`` whose array is updated in place (``assign*``), so
optimizers never reallocate parameters and views of a variable stay valid.
"""

import numpy as np

from kcore.backend import config

_ops = None
# How many times any Variable's `trainable` flag changed. Caches of trainable-variable lists
# (kcore.layers keeps them per layer) compare it to know when to rebuild.
trainable_flag_changes = [0]
# numpy's dtype.name is slow (it builds the string each time); dtypes are few and hashable.
_DTYPE_NAMES = {}


def dtype_name(dt):
    """``dt.name``, cached."""
    name = _DTYPE_NAMES.get(dt)
    if name is None:
        name = _DTYPE_NAMES[dt] = dt.name
    return name


def _o():
    global _ops
    if _ops is None:
        import kcore.ops as ops

        _ops = ops
    return _ops


class Tensor:
    """An n-dimensional array that ``kcore.ops`` and ``GradientTape`` understand.

    Args:
        value: a numpy array (or anything ``np.asarray`` accepts).

    Example:
        >>> t = kcore.ops.convert_to_tensor([[1.0, 2.0]])
        >>> (t * 2).numpy()
        array([[2., 4.]], dtype=float32)
    """

    __slots__ = ("value", "_keras_mask", "_keras_logits", "__weakref__")
    # numpy defers binary operators to Tensor's reflected methods.
    __array_ufunc__ = None

    def __init__(self, value):
        self.value = value if isinstance(value, np.ndarray) else np.asarray(value)
        self._keras_mask = None
        # (logits, "softmax", axis) or (logits, "sigmoid", None) when this tensor is the
        # output of those activations: cross-entropies then use the logits, as Keras does.
        self._keras_logits = None

    # -- array protocol -----------------------------------------------------------------
    @property
    def shape(self):
        return self.value.shape

    @property
    def dtype(self):
        return dtype_name(self.value.dtype)

    @property
    def ndim(self):
        return self.value.ndim

    @property
    def size(self):
        return self.value.size

    def numpy(self):
        """Returns the value as a numpy array."""
        return self.value

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and np.dtype(dtype) != self.value.dtype:
            return self.value.astype(dtype)
        if copy:
            return self.value.copy()
        return self.value

    def __len__(self):
        if self.value.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.value.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __bool__(self):
        return bool(self.value)

    def __float__(self):
        return float(self.value)

    def __int__(self):
        return int(self.value)

    def __index__(self):
        return int(self.value)

    def __format__(self, spec):
        if self.value.ndim == 0:
            return format(self.value.item(), spec)
        return format(str(self), spec)

    def __repr__(self):
        return f"<Tensor shape={self.shape}, dtype={self.dtype}, numpy=\n{self.value!r}>"

    def __str__(self):
        return str(self.value)

    __hash__ = object.__hash__

    @property
    def T(self):
        return _o().transpose(self)

    def astype(self, dtype):
        return _o().cast(self, dtype)

    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        return _o().reshape(self, shape)

    # -- operators ----------------------------------------------------------------------
    def __add__(self, o):
        return _o().add(self, o)

    def __radd__(self, o):
        return _o().add(o, self)

    def __sub__(self, o):
        return _o().subtract(self, o)

    def __rsub__(self, o):
        return _o().subtract(o, self)

    def __mul__(self, o):
        return _o().multiply(self, o)

    def __rmul__(self, o):
        return _o().multiply(o, self)

    def __truediv__(self, o):
        return _o().divide(self, o)

    def __rtruediv__(self, o):
        return _o().divide(o, self)

    def __floordiv__(self, o):
        return _o().floor_divide(self, o)

    def __rfloordiv__(self, o):
        return _o().floor_divide(o, self)

    def __mod__(self, o):
        return _o().mod(self, o)

    def __rmod__(self, o):
        return _o().mod(o, self)

    def __pow__(self, o):
        return _o().power(self, o)

    def __rpow__(self, o):
        return _o().power(o, self)

    def __matmul__(self, o):
        return _o().matmul(self, o)

    def __rmatmul__(self, o):
        return _o().matmul(o, self)

    def __neg__(self):
        return _o().negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _o().abs(self)

    def __invert__(self):
        return _o().logical_not(self)

    def __and__(self, o):
        return _o().logical_and(self, o)

    def __rand__(self, o):
        return _o().logical_and(o, self)

    def __or__(self, o):
        return _o().logical_or(self, o)

    def __ror__(self, o):
        return _o().logical_or(o, self)

    def __eq__(self, o):
        return _o().equal(self, o)

    def __ne__(self, o):
        return _o().not_equal(self, o)

    def __lt__(self, o):
        return _o().less(self, o)

    def __le__(self, o):
        return _o().less_equal(self, o)

    def __gt__(self, o):
        return _o().greater(self, o)

    def __ge__(self, o):
        return _o().greater_equal(self, o)

    def __getitem__(self, key):
        return _o().getitem(self, key)


class Variable(Tensor):
    """Mutable state, e.g. a layer's kernel, built as ``keras.Variable`` is.

    Args:
        initializer: an array or number (the initial value), or an initializer (a string
            name such as ``"glorot_uniform"`` or a callable ``f(shape, dtype)``), in which
            case ``shape`` is required.
        shape: the shape, required with a callable initializer.
        dtype: the dtype; defaults to ``kcore.config.floatx()``.
        trainable: whether optimizers and ``GradientTape`` (with
            ``watch_accessed_variables``) treat it as a trainable parameter.
        autocast, aggregation, synchronization: accepted for Keras compatibility.
        name: the variable's name; ``path`` is ``"<layer>/<name>"`` once a layer owns it.

    Example:
        >>> v = kcore.Variable(np.ones((2, 2)), name="w")
        >>> v.assign_add(np.ones((2, 2)))
        >>> v.numpy()
        array([[2., 2.], [2., 2.]], dtype=float32)
    """

    __slots__ = ("_trainable", "_frozen_by_layer", "name", "path", "regularizer", "constraint",
                 "autocast",
                 "aggregation", "synchronization", "_overwrite_with_gradient")

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, autocast=True,
                 aggregation="none", synchronization="auto", name=None):
        dtype = config.standardize_dtype(dtype)
        if isinstance(initializer, str) or (callable(initializer) and not isinstance(initializer, Tensor)):
            if shape is None:
                raise ValueError(
                    f"Variable {name or 'variable'!r}: when the initializer is a callable or a "
                    "name, `shape` is required, e.g. Variable('zeros', shape=(3,))."
                )
            if isinstance(initializer, str):
                from kcore import initializers

                initializer = initializers.get(initializer)
            value = np.asarray(initializer(tuple(shape), dtype=dtype), dtype=dtype)
        else:
            value = np.array(initializer.value if isinstance(initializer, Tensor) else initializer,
                             dtype=dtype)
            if shape is not None and tuple(shape) != value.shape:
                raise ValueError(
                    f"Variable {name or 'variable'!r}: initial value has shape {value.shape}, "
                    f"but shape={tuple(shape)} was given."
                )
        # np.ascontiguousarray would turn a 0-d value into shape (1,).
        super().__init__(np.require(value, requirements="C"))
        self._trainable = bool(trainable)
        self._frozen_by_layer = False
        self.name = name or "variable"
        self.path = self.name
        self.regularizer = None
        self.constraint = None
        self.autocast = autocast
        self.aggregation = aggregation
        self.synchronization = synchronization
        self._overwrite_with_gradient = False

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        trainable_flag_changes[0] += 1

    @property
    def overwrite_with_gradient(self):
        return self._overwrite_with_gradient

    @overwrite_with_gradient.setter
    def overwrite_with_gradient(self, value):
        self._overwrite_with_gradient = bool(value)

    def numpy(self):
        """Returns a copy of the current value."""
        return self.value.copy()

    def _coerce(self, value):
        value = np.asarray(value.value if isinstance(value, Tensor) else value)
        if value.shape != self.value.shape:
            try:
                value = np.broadcast_to(value, self.value.shape)
            except ValueError:
                raise ValueError(
                    f"Cannot assign a value of shape {value.shape} to variable {self.path!r} "
                    f"of shape {self.value.shape}."
                ) from None
        return value

    def assign(self, value):
        """Writes ``value`` into the variable in place; returns the variable."""
        np.copyto(self.value, self._coerce(value), casting="unsafe")
        return self

    def assign_add(self, delta):
        """Adds ``delta`` in place; returns the variable."""
        self.value += self._coerce(delta).astype(self.value.dtype, copy=False)
        return self

    def assign_sub(self, delta):
        """Subtracts ``delta`` in place; returns the variable."""
        self.value -= self._coerce(delta).astype(self.value.dtype, copy=False)
        return self

    def __repr__(self):
        return (f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, "
                f"value={self.value!r}>")
