"""``WandbMetricsLogger``: wandb's Keras metrics logger, for kcore."""

from kcore.callbacks import Callback

from kcore_wandb import runs


class WandbMetricsLogger(Callback):
    """Logs the ``fit`` metrics and the learning rate to Weights & Biases.

    Keys and axes are those of wandb's own Keras ``WandbMetricsLogger``:

    - every epoch: ``epoch/<key>`` for every logs key (``epoch/loss``,
      ``epoch/val_loss``, ...), ``epoch/learning_rate`` and ``epoch/epoch``
      (0-based), with ``epoch/*`` plotted against ``epoch/epoch``;
    - with ``log_freq="batch"`` or N: ``batch/<key>`` (running means since the
      epoch began), ``batch/learning_rate`` and ``batch/batch_step`` (the
      0-based global batch, counted from ``initial_global_step``), every N
      batches of each epoch, with ``batch/*`` plotted against ``batch/batch_step``.

    ``wandb.log`` is never called with ``step=``, so the callback mixes safely
    with your own logging. With no active run (``wandb.init()`` not called),
    one is started at train begin and finished at train end (set
    ``WANDB_PROJECT``, ``WANDB_MODE=offline`` etc. in the environment). Only
    rank 0 logs.

    Args:
        log_freq: ``"epoch"``, ``"batch"`` (every batch) or an int N (every N batches).
        initial_global_step: the first ``batch/batch_step``; pass
            ``steps_per_epoch * initial_epoch`` when resuming a run.

    Example:
        >>> wandb.init(project="mnist")
        >>> model.fit(x, y, epochs=5, callbacks=[WandbMetricsLogger(log_freq=10)])
    """

    def __init__(self, log_freq="epoch", initial_global_step=0):
        super().__init__()
        if log_freq == "batch":
            log_freq = 1
        if log_freq != "epoch" and (isinstance(log_freq, bool) or not isinstance(log_freq, int)
                                    or log_freq < 1):
            raise ValueError(
                f"WandbMetricsLogger(log_freq=...) expects 'epoch', 'batch' or a positive "
                f"int (log every N batches), got {log_freq!r}.")
        self.log_freq = log_freq
        self.logging_batch_wise = log_freq != "epoch"
        self.initial_global_step = initial_global_step
        self.global_step = initial_global_step
        self._run = None
        # True for the instance KCORE_WANDB=1 adds (kcore_wandb.autolog): it stands
        # down when the user passed a WandbMetricsLogger of their own.
        self._auto = False

    def on_train_begin(self, logs=None):
        if not runs.is_chief(self.model) or self._user_has_own_logger():
            return
        self._run = runs.acquire(self)
        self._run.define_metric("epoch/epoch")
        self._run.define_metric("epoch/*", step_metric="epoch/epoch")
        if self.logging_batch_wise:
            self._run.define_metric("batch/batch_step")
            self._run.define_metric("batch/*", step_metric="batch/batch_step")

    def on_train_batch_end(self, batch, logs=None):
        if self._run is None:
            return
        step = self.global_step
        self.global_step += 1
        if self.logging_batch_wise and batch % self.log_freq == 0:
            row = {f"batch/{k}": v for k, v in (logs or {}).items()}
            row["batch/batch_step"] = step
            self._log(row, "batch/learning_rate")

    def on_epoch_end(self, epoch, logs=None):
        if self._run is None:
            return
        row = {f"epoch/{k}": v for k, v in (logs or {}).items()}
        row["epoch/epoch"] = epoch
        self._log(row, "epoch/learning_rate")

    def on_train_end(self, logs=None):
        if self._run is not None:
            self._run = None
            runs.release(self)

    def on_exception(self, exception, stage):
        """``fit`` failed: a run kcore-wandb started for it is finished as failed."""
        if self._run is not None:
            self._run = None
            runs.fail(self.model)

    def _log(self, row, lr_key):
        lr = runs.learning_rate(self.model)
        if lr is not None:
            row[lr_key] = lr
        self._run.log(row)

    def _user_has_own_logger(self):
        return self._auto and any(
            isinstance(cb, WandbMetricsLogger) and not cb._auto
            for cb in self.model.active_callbacks or ())
