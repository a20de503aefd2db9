"""``TerminateOnNaN``: stop training as soon as the loss becomes NaN or infinite."""

import math

from kcore.callbacks import Callback


class TerminateOnNaN(Callback):
    """Stops training when a batch's ``loss`` is NaN or infinite (Keras 3).

    Args:
        raise_error: raise ``RuntimeError`` instead of stopping quietly. Then ``fit``
            ends with that error and ``on_train_end`` does not run.

    Example:
        >>> model.fit(x, y, epochs=10, callbacks=[kcore.callbacks.TerminateOnNaN()])
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        if self.raise_error:
            raise RuntimeError(
                f"NaN or Inf loss encountered at batch {batch}. Stopping training.")
        print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
