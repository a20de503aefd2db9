"""The ``Loss`` base class, ``LossFunctionWrapper`` and Keras 3's reduction rules.

A loss is called as ``loss(y_true, y_pred, sample_weight=None)``. ``call`` returns one value
per sample (or per sample and time step); ``__call__`` weights and reduces them. Entries
masked out (``y_pred._keras_mask`` set by a masking layer, or the losses' own mask, e.g.
``ignore_class``) get weight 0 and, for the mean reductions, leave the denominator:

* ``"sum_over_batch_size"`` (default) and ``"mean"``: ``sum(w * values) / values.size``;
* ``"mean_with_sample_weight"``: ``sum(w * values) / sum(w)`` (0 when ``sum(w) == 0``);
* ``"sum"``: ``sum(w * values)``; ``"none"`` / ``None``: the weighted values themselves.

Sample weights whose rank differs from the values' by one with a trailing dimension of 1 are
squeezed/expanded as in Keras. kcore also accepts weights that cover only the leading axes of
the values (``(batch,)`` weights with ``(batch, timesteps)`` losses): each sample's weight then
applies to all its entries. Keras 3 multiplies such arrays with right-aligned broadcasting,
which fails (or, when ``timesteps == batch``, silently weights the wrong axis).
"""

import math
import re
import threading

import numpy as np

from kcore import ops
from kcore.backend import config
from kcore.backend import serialization

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)

_name_counts = {}
_name_lock = threading.Lock()


def to_snake_case(name):
    """Keras's snake_case rule: ``"MeanSquaredError"`` → ``"mean_squared_error"``, ``"IoU"`` →
    ``"io_u"``."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def auto_name(class_name):
    """A fresh default name for an unnamed object: ``"auc"``, then ``"auc_1"``, ``"auc_2"``...

    Mirrors Keras's ``auto_name``: the snake_case class name, made unique per process.
    """
    base = to_snake_case(class_name)
    with _name_lock:
        if base not in _name_counts:
            _name_counts[base] = 1
            return base
        i = _name_counts[base]
        while f"{base}_{i}" in _name_counts:
            i += 1
        _name_counts[base] = i + 1
        _name_counts[f"{base}_{i}"] = 1
    return f"{base}_{i}"


def standardize_reduction(reduction):
    """Returns ``reduction`` if it is one of ``REDUCTIONS``; raises ``ValueError`` otherwise."""
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`: {reduction!r}. Expected one of "
            f"{list(REDUCTIONS)}."
        )
    return reduction


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Makes ranks equal when they differ by one and the longer one ends in a 1 (Keras's rule).

    Works on kcore tensors (differentiably) and on numpy arrays alike. A rank-1 partner is
    expanded (``(n,)`` → ``(n, 1)``) rather than the other squeezed, when ``expand_rank_1``.
    """
    r1, r2 = len(x1.shape), len(x2.shape)
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2.reshape(tuple(x2.shape) + (1,))
        else:
            x1 = x1.reshape(tuple(x1.shape[:-1]))
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1.reshape(tuple(x1.shape) + (1,))
        else:
            x2 = x2.reshape(tuple(x2.shape[:-1]))
    return x1, x2


def align_sample_weight(values, sample_weight):
    """Reshapes ``sample_weight`` so that it broadcasts against ``values`` per sample.

    Returns ``(values, sample_weight)``; raises ``ValueError`` naming both shapes when the
    weights cannot apply to the values.
    """
    values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
    vshape, wshape = tuple(values.shape), tuple(sample_weight.shape)
    if 0 < len(wshape) < len(vshape) and vshape[:len(wshape)] == wshape:
        sample_weight = sample_weight.reshape(wshape + (1,) * (len(vshape) - len(wshape)))
        wshape = tuple(sample_weight.shape)
    if len(wshape) > len(vshape):
        raise ValueError(
            f"`sample_weight` of shape {wshape} has more dimensions than the losses "
            f"{vshape}; reduce the weights to the losses' shape first."
        )
    try:
        np.broadcast_shapes(vshape, wshape)
    except ValueError:
        raise ValueError(
            f"`sample_weight` of shape {wshape} cannot be applied to losses of shape {vshape}. "
            "Pass one weight per sample (shape (batch,)) or one per loss entry."
        ) from None
    return values, sample_weight


def combine_masks(mask1, mask2):
    """The entries valid in both masks (either may be ``None``), as a numpy bool array."""
    masks = [np.asarray(ops.convert_to_numpy(m), dtype=bool) for m in (mask1, mask2)
             if m is not None]
    if not masks:
        return None
    return masks[0] if len(masks) == 1 else np.logical_and(masks[0], masks[1])


def apply_mask(sample_weight, mask, dtype, reduction):
    """Folds a validity mask into the sample weights, as Keras does.

    With a mean reduction the valid entries are scaled by ``total / valid``, so that the
    reduced loss is the mean over valid entries only.
    """
    if mask is None:
        return sample_weight
    mask = ops.convert_to_tensor(mask, dtype=dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        total = float(np.prod(mask.shape))
        valid = float(np.sum(ops.convert_to_numpy(mask)))
        mask = mask * (total / valid if valid else 0.0)
    if sample_weight is None:
        return mask
    sample_weight = ops.convert_to_tensor(sample_weight, dtype=dtype)
    mask, sample_weight = squeeze_or_expand_to_same_rank(mask, sample_weight)
    return sample_weight * mask


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Reduces already weighted ``values`` to a scalar according to ``reduction``."""
    if reduction in (None, "none") or tuple(values.shape) in ((), (0,)):
        return values
    loss = ops.sum(values)
    if reduction == "sum":
        return loss
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = ops.cast(ops.sum(sample_weight), loss.dtype)
        return loss / divisor if float(divisor) != 0.0 else loss * 0.0
    count = math.prod(values.shape)
    return loss / count if count else loss * 0.0


def reduce_weighted_values(values, sample_weight=None, mask=None,
                           reduction="sum_over_batch_size", dtype=None):
    """Weights ``values`` by ``sample_weight`` (and ``mask``), then reduces them.

    This is the whole of ``Loss.__call__`` after ``call``; compile-time loss wiring may call
    it directly with a layer mask.
    """
    reduction = standardize_reduction(reduction)
    values = ops.convert_to_tensor(values, dtype=dtype)
    if sample_weight is not None:
        sample_weight = ops.convert_to_tensor(sample_weight, dtype=values.dtype)
    sample_weight = apply_mask(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        values, sample_weight = align_sample_weight(values, sample_weight)
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


class Loss:
    """Base class of all losses.

    Subclasses implement ``call(y_true, y_pred)``, returning one loss value per sample.

    Args:
        name: the loss's name; defaults to the snake_case class name.
        reduction: one of ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or ``None`` (see the module docstring).
        dtype: the computation dtype; defaults to ``kcore.config.floatx()``. ``y_true`` and
            ``y_pred`` are converted to it before ``call``.

    Example:
        >>> class MyMSE(kcore.losses.Loss):
        ...     def call(self, y_true, y_pred):
        ...         return kcore.ops.mean(kcore.ops.square(y_pred - y_true), axis=-1)
        >>> float(MyMSE()([[0.0, 1.0]], [[1.0, 1.0]]))
        0.5
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or auto_name(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype_arg = dtype
        self._dtype = config.standardize_dtype(getattr(dtype, "compute_dtype", dtype))

    @property
    def dtype(self):
        """The computation dtype, e.g. ``"float32"``."""
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        in_mask = getattr(y_pred, "_keras_mask", None)
        y_pred = ops.convert_to_tensor(y_pred, dtype=self._dtype)
        y_true = ops.convert_to_tensor(y_true, dtype=self._dtype)
        losses = self.call(y_true, y_pred)
        mask = combine_masks(in_mask, getattr(losses, "_keras_mask", None))
        return reduce_weighted_values(losses, sample_weight=sample_weight, mask=mask,
                                      reduction=self.reduction, dtype=self._dtype)

    def call(self, y_true, y_pred):
        """Returns the per-sample losses; subclasses must implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def get_config(self):
        """``{"name", "reduction"}`` plus ``"dtype"`` when one was given explicitly."""
        cfg = {"name": self.name, "reduction": self.reduction}
        if self._dtype_arg is not None:
            cfg["dtype"] = self._dtype
        return cfg

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class LossFunctionWrapper(Loss):
    """Turns a function ``fn(y_true, y_pred, **kwargs)`` into a ``Loss``.

    ``y_true`` and ``y_pred`` are first brought to the same rank when they differ by a
    trailing dimension of 1, e.g. ``(batch,)`` labels against ``(batch, 1)`` predictions.

    Args:
        fn: the per-sample loss function.
        reduction, name, dtype: as for ``Loss``.
        **kwargs: passed on to ``fn`` on every call (and saved in the config).

    Example:
        >>> loss = kcore.losses.LossFunctionWrapper(kcore.losses.huber, delta=2.0)
        >>> float(loss([[0.0]], [[3.0]]))
        4.0
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        cfg = super().get_config()
        cfg["fn"] = serialization.serialize_keras_object(self.fn)
        cfg.update(serialization.serialize_keras_object(self._fn_kwargs))
        return cfg

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" in config:
            from kcore.losses import get

            config["fn"] = get(config["fn"])
        return cls(**config)

    def __repr__(self):
        fn = getattr(self.fn, "__name__", self.fn)
        return f"<LossFunctionWrapper({fn}, kwargs={self._fn_kwargs})>"


class _KerasLoss(LossFunctionWrapper):
    """Built-in losses: their config holds their constructor arguments, not ``fn``."""

    _config_keys = ()
    # Arguments Keras 3 leaves out of the config (so a reloaded loss silently loses them);
    # kcore adds them when they differ from the default, so configs of default-constructed
    # losses stay identical to Keras's.
    _extra_config_defaults = {}

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(fn, reduction=reduction, name=name, dtype=dtype, **kwargs)
        for key in (*self._config_keys, *self._extra_config_defaults):
            setattr(self, key, kwargs[key])

    def get_config(self):
        cfg = Loss.get_config(self)
        cfg.update({k: self._fn_kwargs[k] for k in self._config_keys})
        cfg.update({k: self._fn_kwargs[k] for k, default in self._extra_config_defaults.items()
                    if self._fn_kwargs[k] != default})
        return cfg

    @classmethod
    def from_config(cls, config):
        return cls(**config)
