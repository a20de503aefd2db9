"""``InputSpec``: what a layer accepts, checked on every call with an actionable error."""

import numpy as np


class InputSpec:
    """Rank, dtype and axis sizes a layer expects, as ``keras.InputSpec``.

    Args:
        dtype: expected dtype.
        shape: expected full shape (``None`` entries match anything).
        ndim, max_ndim, min_ndim: expected rank bounds.
        axes: ``{axis: size}`` for axes whose size is fixed (e.g. ``{-1: 784}``).
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = dtype
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(shape) if shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name
        self.optional = optional

    def __repr__(self):
        return (f"InputSpec(dtype={self.dtype}, shape={self.shape}, ndim={self.ndim}, "
                f"max_ndim={self.max_ndim}, min_ndim={self.min_ndim}, axes={self.axes})")

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes}


def _shape(x):
    if hasattr(x, "symbolic_shape"):
        return x.symbolic_shape
    return tuple(np.shape(getattr(x, "value", x)))


def _hint(spec, shape):
    want = spec.axes.get(-1)
    if want is not None and len(shape) > 2 and spec.ndim in (None, 2) and (spec.min_ndim or 2) <= 2:
        return " Did you forget a Flatten layer?"
    if spec.ndim is not None and len(shape) == spec.ndim - 1:
        return " Did you forget the batch dimension? Add one with x[None] or np.expand_dims."
    return ""


def check_input_spec(layer, specs, inputs):
    """Raises ``ValueError`` naming the layer, expected and received shapes, and a fix."""
    if not isinstance(specs, (list, tuple)):
        specs, inputs = [specs], [inputs]
    elif not isinstance(inputs, (list, tuple)):
        inputs = [inputs]
    for i, (spec, x) in enumerate(zip(specs, inputs)):
        if spec is None or x is None:
            continue
        shape = _shape(x)
        rank = len(shape)
        where = f"Input {i} of layer {layer.name!r}"
        if spec.ndim is not None and rank != spec.ndim and not (
                spec.allow_last_axis_squeeze and rank == spec.ndim + 1 and shape[-1] == 1):
            raise ValueError(
                f"{where} is incompatible with the layer: expected ndim={spec.ndim}, found "
                f"ndim={rank}. Full shape received: {shape}.{_hint(spec, shape)}"
            )
        if spec.max_ndim is not None and rank > spec.max_ndim:
            raise ValueError(f"{where} expects at most {spec.max_ndim} dimensions, got shape {shape}.")
        if spec.min_ndim is not None and rank < spec.min_ndim:
            raise ValueError(
                f"{where} expects at least {spec.min_ndim} dimensions, got shape {shape}."
                + (" Did you forget the batch dimension?" if rank == spec.min_ndim - 1 else "")
            )
        for axis, size in spec.axes.items():
            if size is None:
                continue
            if -rank <= axis < rank and shape[axis] is not None and shape[axis] != size:
                axis_name = "last dimension" if axis == -1 else f"axis {axis}"
                raise ValueError(
                    f"{where} expects {axis_name} {size}, got shape {shape}.{_hint(spec, shape)}"
                )
        if spec.shape is not None:
            for want, got in zip(spec.shape, shape):
                if want is not None and got is not None and want != got:
                    raise ValueError(f"{where} expects shape {spec.shape}, got {shape}.")
