"""Losses reported as metrics: the sample-weighted mean of kcore's per-sample loss functions.

``Poisson``, ``KLDivergence``, ``Hinge``, ``SquaredHinge`` and ``CategoricalHinge`` wrap
``kcore.losses.poisson``, ``kl_divergence``, ``hinge``, ``squared_hinge`` and
``categorical_hinge`` (the functions ``kcore.metrics`` also exports, as Keras does).
Smaller is better.
"""

from kcore import losses
from kcore.metrics import MeanMetricWrapper


class _MeanLoss(MeanMetricWrapper):
    """A ``MeanMetricWrapper`` of a fixed loss function; its config is name and dtype."""

    _direction = "down"
    _loss = None

    def __init__(self, name=None, dtype=None):
        super().__init__(type(self)._loss, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class Poisson(_MeanLoss):
    """Mean of ``y_pred - y_true * log(y_pred + eps)`` (Poisson negative log-likelihood).

    Example:
        >>> m = kcore.metrics.Poisson()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> round(float(m.result()), 4)
        0.5
    """

    _loss = staticmethod(losses.poisson)

    def __init__(self, name="poisson", dtype=None):
        super().__init__(name=name, dtype=dtype)


class KLDivergence(_MeanLoss):
    """Mean of ``sum(y_true * log(y_true / y_pred))`` (both clipped to ``[eps, 1]``).

    Example:
        >>> m = kcore.metrics.KLDivergence()
        >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> round(float(m.result()), 4)
        0.4581
    """

    _loss = staticmethod(losses.kl_divergence)

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(name=name, dtype=dtype)


class Hinge(_MeanLoss):
    """Mean of ``max(1 - y_true * y_pred, 0)``; 0/1 labels are mapped to -1/1 first.

    Example:
        >>> m = kcore.metrics.Hinge()
        >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> round(float(m.result()), 4)
        1.3
    """

    _loss = staticmethod(losses.hinge)

    def __init__(self, name="hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


class SquaredHinge(_MeanLoss):
    """Mean of ``max(1 - y_true * y_pred, 0) ** 2``; 0/1 labels are mapped to -1/1 first.

    Example:
        >>> m = kcore.metrics.SquaredHinge()
        >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> round(float(m.result()), 4)
        1.86
    """

    _loss = staticmethod(losses.squared_hinge)

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


class CategoricalHinge(_MeanLoss):
    """Mean of ``max(0, max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1)``.

    Example:
        >>> m = kcore.metrics.CategoricalHinge()
        >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> round(float(m.result()), 4)
        1.4
    """

    _loss = staticmethod(losses.categorical_hinge)

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)
