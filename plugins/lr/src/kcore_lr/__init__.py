"""kcore-lr: the Keras ``LearningRateScheduler`` and ``ReduceLROnPlateau`` callbacks.

Found through the ``kcore.callbacks`` entry-point group, e.g.
``kcore.callbacks.ReduceLROnPlateau`` or ``fit(callbacks=["ReduceLROnPlateau"])``.
"""

from kcore_lr.plateau import ReduceLROnPlateau
from kcore_lr.scheduler import LearningRateScheduler

__version__ = "0.1.0"
__all__ = ["LearningRateScheduler", "ReduceLROnPlateau"]
