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

    Plugins run after the Keras callbacks in every event, so a key that a
    ``kcore_on_epoch_end`` hook adds to the logs (or a value it changes) comes
    after ``History`` saw them. The epoch's entry is therefore settled once the
    event is over — at the next epoch, at the end of ``fit``, or when
    ``history`` is read — and takes in what the hooks added. Other callbacks
    reading ``history`` during ``on_epoch_end`` see the epochs before this one,
    as in Keras, where ``History`` is the last callback.

    Example:
        >>> history = model.fit(x, y, epochs=2)
        >>> history.history["loss"]
    """

    def __init__(self):
        super().__init__()
        self._history = {}
        self._open_epoch = None
        self.epoch = []

    @property
    def history(self):
        self._settle()
        return self._history

    @history.setter
    def history(self, value):
        self._open_epoch = None
        self._history = value

    def on_train_begin(self, logs=None):
        self._settle()
        self.epoch = []

    def on_epoch_begin(self, epoch, logs=None):
        self._settle()

    def on_epoch_end(self, epoch, logs=None):
        self._settle()
        self.epoch.append(epoch)
        logs = logs if logs is not None else {}
        for key, value in logs.items():
            self._history.setdefault(key, []).append(value)
        # The live dict: handlers after this one may still add keys or change values.
        self._open_epoch = (dict(logs), logs)
        self.model.history = self

    def on_train_end(self, logs=None):
        self._settle()

    def _settle(self):
        if self._open_epoch is None:
            return
        seen, live = self._open_epoch
        self._open_epoch = None
        for key, value in live.items():
            if key not in seen:
                self._history.setdefault(key, []).append(value)
            elif value is not seen[key]:
                self._history[key][-1] = value
