"""``TensorBoard``: Keras 3's TensorBoard callback, writing event files with tensorboardX."""

import itertools
import os
import time
import uuid
import warnings

import numpy as np

import kcore
from kcore.callbacks import Callback

# Keys of batch logs that are bookkeeping, not metrics (Keras skips them too).
_NOT_METRICS = frozenset(("batch", "size", "num_steps"))
_writer_ids = itertools.count()


class TensorBoard(Callback):
    """Writes TensorBoard logs: metrics, learning rate, weight histograms, the model graph.

    The layout and tags are Keras 3's, so TensorBoard shows the same dashboards
    (``tensorboard --logdir <log_dir>``):

    - ``<log_dir>/train``: ``epoch_<metric>`` and ``epoch_learning_rate`` at
      step = epoch (0-based); ``batch_<metric>`` at the 1-based global batch
      when ``update_freq`` is ``"batch"`` or an int; ``<weight path>/histogram``
      every ``histogram_freq`` epochs; the model's Keras JSON under tag
      ``keras`` (the graph dashboard's conceptual graph) when ``write_graph``.
    - ``<log_dir>/validation``: ``epoch_<metric>`` for every ``val_<metric>``
      (prefix stripped, so train and validation curves overlay) and
      ``evaluation_<metric>_vs_iterations`` at step = optimizer iterations
      after every validation pass or ``evaluate(callbacks=[tb])``.

    Event files are unique per writer (process id, counter and random suffix),
    so several ``fit`` calls into one ``log_dir`` never overwrite each other.
    Writers are flushed at each epoch end and closed at the end of ``fit``,
    and also when ``fit`` raises (through this plugin's ``kcore_on_exception``).
    Only rank 0 writes when training is distributed.

    Args:
        log_dir: directory of the logs; ``train/`` and ``validation/`` go inside.
        histogram_freq: write weight histograms every this many epochs (0: never).
        write_graph: write the model's architecture (Sequential and Functional
            models; a subclassed model without ``get_config`` is skipped with a warning).
        write_images: with ``histogram_freq``, also write weights as images.
        write_steps_per_second: also write ``epoch_steps_per_second`` and
            ``batch_steps_per_second``.
        update_freq: ``"epoch"``, ``"batch"`` (every batch) or an int N (every
            N batches): how often ``batch_*`` scalars are written.
        profile_batch: must be 0: kcore has no profiler to trace.
        embeddings_freq: must be 0: the embedding projector is not supported.
        embeddings_metadata: must be ``None``.
        write_hparams: kcore extension: also write an hparams summary
            (optimizer, learning rate, loss, epochs, steps) into the ``train``
            run at the end of ``fit``, for TensorBoard's HParams dashboard.

    Raises:
        ValueError: an invalid ``update_freq``/``histogram_freq``, or a
            profiler or embeddings request.

    Example:
        >>> tb = kcore.callbacks.TensorBoard(log_dir="logs", histogram_freq=1)
        >>> model.fit(x, y, epochs=5, validation_split=0.2, callbacks=[tb])
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None, *, write_hparams=False):
        super().__init__()
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = _non_negative_int("histogram_freq", histogram_freq)
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self._batch_freq = _batch_freq(update_freq)
        _refuse_profiling(profile_batch)
        if embeddings_freq or embeddings_metadata is not None:
            raise ValueError(
                f"TensorBoard(embeddings_freq={embeddings_freq!r}, embeddings_metadata="
                f"{embeddings_metadata!r}): the embedding projector is not supported by "
                "kcore-tensorboard. Use embeddings_freq=0, and log embedding weights with "
                "histogram_freq or tensorboardX's SummaryWriter.add_embedding yourself.")
        self.profile_batch = profile_batch
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self.write_hparams = write_hparams
        self._writers = {}
        self._enabled = True
        self._in_fit = False
        self._global_train_batch = 0
        self._epoch_batches = 0
        self._epoch_start = self._batch_start = 0.0
        self._last_train_scalars = {}

    # --- writers -----------------------------------------------------------------

    def _writer(self, run):
        """The ``SummaryWriter`` of ``run`` (``"train"``/``"validation"``), opened on first use."""
        writer = self._writers.get(run)
        if writer is None:
            from tensorboardX import SummaryWriter

            # tensorboardX names files by the second: a unique suffix stops a second
            # writer from truncating the first one's file.
            suffix = f".{os.getpid()}.{next(_writer_ids)}.{uuid.uuid4().hex[:8]}.v2"
            writer = SummaryWriter(logdir=os.path.join(self.log_dir, run),
                                   filename_suffix=suffix)
            self._writers[run] = writer
        return writer

    def _write(self, run, values, step):
        if values:
            from kcore_tensorboard import summaries

            self._writer(run)._get_file_writer().add_summary(summaries.scalars(values), step)

    def _flush(self):
        for writer in self._writers.values():
            writer.flush()

    def close(self):
        """Flush and close every writer (called at train end and when ``fit`` raises).

        Safe to call twice; a later event opens new files rather than appending
        to closed ones.
        """
        writers, self._writers = self._writers, {}
        for writer in writers.values():
            writer.close()
        self._in_fit = False

    # --- events ------------------------------------------------------------------

    def on_exception(self, exception, stage):
        """``fit`` failed: what was logged so far is flushed to disk, no writer thread stays."""
        self.close()

    def on_train_begin(self, logs=None):
        self._enabled = kcore.distribution.is_rank_zero()
        if not self._enabled:
            return
        self._in_fit = True
        self._global_train_batch = 0
        self._last_train_scalars = {}
        if self.write_graph:
            self._write_keras_model()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_batches = 0
        self._epoch_start = time.perf_counter()

    def on_train_batch_begin(self, batch, logs=None):
        if self.write_steps_per_second:
            self._batch_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self._global_train_batch += 1
        self._epoch_batches += 1
        step = self._global_train_batch
        if not self._enabled or self._batch_freq is None or step % self._batch_freq:
            return
        values = _scalars(logs, "batch_")
        if self.write_steps_per_second:
            values["batch_steps_per_second"] = 1.0 / max(
                time.perf_counter() - self._batch_start, 1e-9)
        self._write("train", values, step)

    def on_epoch_end(self, epoch, logs=None):
        if not self._enabled:
            return
        logs = logs or {}
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        train_values = _scalars(train, "epoch_")
        lr = _learning_rate(self.model)
        if lr is not None:
            train_values["epoch_learning_rate"] = lr
        if self.write_steps_per_second:
            train_values["epoch_steps_per_second"] = self._epoch_batches / max(
                time.perf_counter() - self._epoch_start, 1e-9)
        self._write("train", train_values, epoch)
        self._write("validation", _scalars(val, "epoch_"), epoch)
        self._last_train_scalars = train_values
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_weights(epoch)
        self._flush()

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._enabled = kcore.distribution.is_rank_zero()
        if not self._enabled:
            return
        iterations = getattr(getattr(self.model, "optimizer", None), "iterations", None)
        if iterations is not None:
            values = {f"evaluation_{k}_vs_iterations": v for k, v in _scalars(logs, "").items()}
            self._write("validation", values, int(np.asarray(iterations)))
        if not self._in_fit:
            self.close()  # a standalone evaluate(): nothing else will close the file

    def on_train_end(self, logs=None):
        if not self._enabled:
            return
        if self.write_hparams:
            self._write_hparams()
        self.close()

    # --- what is written ---------------------------------------------------------

    def _write_keras_model(self):
        from kcore_tensorboard import summaries

        try:
            model_json = self.model.to_json()
        except Exception as exc:  # subclassed models without get_config
            warnings.warn(
                f"TensorBoard(write_graph=True): model {self.model.name!r} cannot be "
                f"serialized to JSON ({type(exc).__name__}: {exc}); no graph is written.",
                UserWarning, stacklevel=2)
            return
        self._writer("train")._get_file_writer().add_summary(
            summaries.keras_model(model_json), 0)

    def _write_weights(self, epoch):
        from kcore_tensorboard import summaries

        writer = self._writer("train")
        for weight in self.model.weights:
            values = np.asarray(weight.numpy())
            if values.size == 0:
                continue
            tag = weight.path.replace(":", "_")
            writer.add_histogram(f"{tag}/histogram", values, epoch, bins="auto")
            if self.write_images:
                images = summaries.weight_images(f"{tag}/image", values)
                if images is not None:
                    writer._get_file_writer().add_summary(images, epoch)

    def _write_hparams(self):
        from kcore_tensorboard import summaries

        if not self._last_train_scalars:
            return
        exp, start, end = summaries.hparams(_hparams(self.model, self.params),
                                            self._last_train_scalars)
        file_writer = self._writer("train")._get_file_writer()
        for summary in (exp, start, end):
            file_writer.add_summary(summary)


def _scalars(logs, prefix):
    """``{prefix + key: float}`` for every scalar metric of ``logs`` (arrays are skipped)."""
    out = {}
    for key, value in (logs or {}).items():
        if key in _NOT_METRICS:
            continue
        try:
            out[prefix + key] = float(value)
        except (TypeError, ValueError):
            continue
    return out


def _learning_rate(model):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        return None
    try:
        return float(optimizer.learning_rate)
    except (TypeError, ValueError):
        return None


def _hparams(model, params):
    """Compile and fit settings as hparams (str, bool, int or float values only)."""
    optimizer = model.optimizer
    out = {"optimizer": type(optimizer).__name__}
    lr = _learning_rate(model)
    if lr is not None:
        out["learning_rate"] = lr
    config = model.get_compile_config() or {}
    if config.get("loss") is not None:
        out["loss"] = _hparam_value(config["loss"])
    for key in ("epochs", "steps"):
        if isinstance(params.get(key), int):
            out[key] = params[key]
    return out


def _hparam_value(value):
    if isinstance(value, (str, bool, int, float)):
        return value
    return getattr(value, "name", None) or getattr(value, "__name__", None) or repr(value)


def _non_negative_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"TensorBoard({name}=...) expects an int >= 0, got {value!r}.")
    return value


def _batch_freq(update_freq):
    if update_freq == "epoch":
        return None
    if update_freq == "batch":
        return 1
    if isinstance(update_freq, int) and not isinstance(update_freq, bool) and update_freq > 0:
        return update_freq
    raise ValueError(
        f"TensorBoard(update_freq=...) expects 'epoch', 'batch' or a positive int (write "
        f"batch metrics every N batches), got {update_freq!r}.")


def _refuse_profiling(profile_batch):
    if isinstance(profile_batch, str):
        parts = [p.strip() for p in profile_batch.split(",")]
        wants = any(p not in ("", "0") for p in parts)
    elif isinstance(profile_batch, (list, tuple)):
        wants = any(int(p) != 0 for p in profile_batch)
    else:
        wants = profile_batch != 0
    if wants:
        raise ValueError(
            f"TensorBoard(profile_batch={profile_batch!r}): profiling is not supported by "
            "kcore (a numpy engine has no TensorFlow/JAX profiler to trace; Keras 3 raises "
            "the same for its numpy and torch backends). Use profile_batch=0, and Python's "
            "cProfile for profiling kcore.")
