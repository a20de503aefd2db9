"""kcore-tensorboard: Keras's ``TensorBoard`` callback for kcore, written with tensorboardX.

``kcore.callbacks.TensorBoard`` (or ``fit(callbacks=["TensorBoard"])``) finds it
through the ``kcore.callbacks`` entry point. tensorboardX is imported only when
a callback first writes, so ``import kcore`` and ``python -m kcore plugins``
stay light.
"""

from kcore_tensorboard.callback import TensorBoard

__all__ = ["TensorBoard"]
__version__ = "0.1.0"
