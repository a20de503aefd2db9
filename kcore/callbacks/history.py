"""``History``: records the epoch logs of ``fit``."""

from kcore.callbacks.callback import Callback


class History(Callback):
    """Records every epoch's logs; ``fit`` returns it.

    Attributes:
        history: ``{key: [value per epoch]}``. Created once and *not* cleared
            when a new ``fit`` starts, so reusing one ``History`` across
            ``fit`` calls accumulates (as in Keras).
        epoch: the absolute epoch indices of the current ``fit``
            (``[2, 3]`` for ``initial_epoch=2, epochs=4``); reset at
            ``on_train_begin``.

    Example:
        >>> history = model.fit(x, y, epochs=2)
        >>> history.history["loss"]
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        self.model.history = self
