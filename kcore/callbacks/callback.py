"""The Keras ``Callback`` base class (the method names come from ``kcore.hooks.hookspecs``)."""


class Callback:
    """Base class for Keras callbacks: override the events you need.

    Subclasses override plain methods; no decorator is needed (and none must
    be added: callbacks are not pluggy plugins, see ``docs/plugins.md``).
    During ``fit``, ``self.model`` is the model and ``self.params`` holds
    ``verbose``, ``epochs`` and ``steps``. Set ``self.model.stop_training =
    True`` to stop training after the current batch or epoch.

    ``on_exception(exception, stage)`` (a kcore extension) is called when the
    ``fit``/``evaluate``/``predict`` the callback belongs to raises, before the
    exception propagates: close files or mark a run failed there. An error
    inside it is reported as a ``RuntimeWarning``; the original propagates.

    Stateful callbacks (whose state must survive a crash and resume) also
    define ``state_dict()`` returning a JSON-able dict and
    ``load_state_dict(state)`` restoring it. Their state is stored under
    ``state_key`` (the class name by default); two stateful callbacks of one
    ``fit`` must have different keys, so override ``state_key`` when a class
    can be used twice, e.g. ``return f"ModelCheckpoint[{self.filepath}]"``.

    Example:
        >>> class PrintLoss(Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         print(epoch, logs["loss"])
    """

    def __init__(self):
        self.params = {}
        self._model = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self._model = model

    @property
    def model(self):
        return self._model

    @model.setter
    def model(self, model):
        self._model = model

    @property
    def state_key(self):
        """The key under which a stateful callback's ``state_dict()`` is saved."""
        return type(self).__name__

    def on_batch_begin(self, batch, logs=None):
        """Alias of ``on_train_batch_begin`` kept for backward compatibility."""

    def on_batch_end(self, batch, logs=None):
        """Alias of ``on_train_batch_end`` kept for backward compatibility."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of an epoch (``logs`` is empty)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch with the epoch's metrics (``val_`` included)."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before a training batch; by default calls ``on_batch_begin``."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after a training batch with running metrics; calls ``on_batch_end``."""
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Called before an evaluation batch."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after an evaluation batch with running metrics."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before a prediction batch."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after a prediction batch; ``logs["outputs"]`` holds its predictions."""

    def on_train_begin(self, logs=None):
        """Called at the start of ``fit``."""

    def on_train_end(self, logs=None):
        """Called at the end of ``fit`` with the last epoch's logs."""

    def on_test_begin(self, logs=None):
        """Called at the start of ``evaluate`` or of a validation pass."""

    def on_test_end(self, logs=None):
        """Called at the end of ``evaluate`` or of a validation pass."""

    def on_predict_begin(self, logs=None):
        """Called at the start of ``predict``."""

    def on_predict_end(self, logs=None):
        """Called at the end of ``predict``."""

    def on_exception(self, exception, stage):
        """Called when the running call raises (kcore extension; ``stage`` is ``"fit"``,
        ``"evaluate"`` or ``"predict"``)."""


def is_stateful(callback):
    """Whether ``callback`` follows the ``state_dict``/``load_state_dict`` protocol."""
    return callable(getattr(callback, "state_dict", None)) and callable(
        getattr(callback, "load_state_dict", None))
