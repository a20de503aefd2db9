"""``EpochTimer``: a Keras callback published through the ``kcore.callbacks`` group."""

import time

from kcore.callbacks import Callback


class EpochTimer(Callback):
    """Adds ``epoch_time`` (wall-clock seconds of the epoch, validation included) to the logs.

    Because every callback of a ``fit`` shares one logs dict and ``History`` comes
    after user callbacks, the value ends up in ``history.history["epoch_time"]``.

    Example:
        >>> model.fit(x, y, epochs=3, callbacks=["EpochTimer"])
    """

    def __init__(self):
        super().__init__()
        self.times = []
        self._start = None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - self._start
        self.times.append(elapsed)
        if logs is not None:
            logs["epoch_time"] = elapsed

    def state_dict(self):
        return {"times": list(self.times)}

    def load_state_dict(self, state):
        self.times = list(state["times"])
