"""``LambdaCallback``: a callback built from plain functions."""

import difflib

from kcore.callbacks import Callback
from kcore.hooks import CALLBACK_METHODS

_HOOKS = sorted(CALLBACK_METHODS)


class LambdaCallback(Callback):
    """Calls the given functions at the matching training events (Keras 3).

    The functions are called as Keras calls them, without ``self``:

    * ``on_epoch_begin`` / ``on_epoch_end``: ``f(epoch, logs)``;
    * ``on_train_begin`` / ``on_train_end`` (and the other begin/end events):
      ``f(logs)``;
    * batch events (``on_train_batch_begin``, ``on_test_batch_end``, ...):
      ``f(batch, logs)``.

    Any other Keras event can be given by name as a keyword argument, e.g.
    ``on_test_end=...`` or ``on_predict_batch_end=...``; the old aliases
    ``on_batch_begin``/``on_batch_end`` work too.

    Args:
        on_epoch_begin, on_epoch_end, on_train_begin, on_train_end, on_train_batch_begin,
        on_train_batch_end: functions for these events (``None``: nothing).
        **kwargs: functions for other events, by event name.

    Raises:
        TypeError: a keyword that is not a Keras event name (kcore checks; Keras would
            store it and never call it), or a value that is not callable.

    Example:
        >>> log_loss = kcore.callbacks.LambdaCallback(
        ...     on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]),
        ...     on_test_end=lambda logs: print("validated", logs))
        >>> model.fit(x, y, epochs=3, validation_split=0.2, callbacks=[log_loss])
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        functions = dict(kwargs, on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                         on_train_begin=on_train_begin, on_train_end=on_train_end,
                         on_train_batch_begin=on_train_batch_begin,
                         on_train_batch_end=on_train_batch_end)
        for name, function in functions.items():
            if name not in _HOOKS:
                close = difflib.get_close_matches(name, _HOOKS, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise TypeError(
                    f"LambdaCallback got {name}=, which is not a Keras callback event.{hint} "
                    f"Known events: {', '.join(_HOOKS)}.")
            if function is None:
                continue
            if not callable(function):
                raise TypeError(
                    f"LambdaCallback {name}= must be a function, got {function!r}.")
            # An instance attribute shadows the method, so the function is called without self.
            setattr(self, name, function)
