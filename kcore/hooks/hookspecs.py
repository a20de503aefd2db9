"""The kcore plugin contract: every hook a plugin can implement.

This module is the one place where kcore's hooks are specified. Each docstring
says when the hook is called, what its arguments are, what an implementation
may do, and what happens when an implementation raises.

Rules that hold for every hook:

- kcore always calls a hook with keyword arguments and always passes every
  argument listed in the spec. An implementation declares only the arguments
  it needs, in any order, and gives them **no defaults** and makes none of them
  keyword-only (``KcorePluginManager.register`` rejects both, because pluggy
  would silently pass nothing to such a parameter on older versions, see
  ``docs/plugins.md``).
- Every implementation carries ``@kcore.hookimpl``. A misspelled hook name
  (``kcore_on_epoch_ned``) is reported by ``check_pending()``, which runs after
  autoload and at the start of every ``fit``.
- No behaviour may depend on the order in which two independent plugins run.
  Ordering between phases is expressed by the hooks themselves
  (``kcore_reduce_logs`` runs before the event hooks; ``kcore_reduce_gradients``
  before ``kcore_before_apply_gradients``).
- Within one event, the Keras callbacks of the running ``fit`` are called
  first (in list order, by the one adapter plugin of ``kcore.callbacks``),
  then plugin implementations.
- Unless a hook says otherwise, an exception raised by an implementation
  aborts the remaining implementations of that call and propagates out of
  ``fit``/``evaluate``/``predict`` (after ``kcore_on_exception`` has run),
  unchanged but for a note (``add_note``) naming the plugin and the hook.
- A plugin loaded from an entry point that implements a hook not specified
  here (a typo such as ``kcore_on_epoch_ned``) is not registered: it is
  reported like a plugin that fails to import.

``model`` is always the ``kcore.Model`` being trained or run; ``logs`` is a
mutable ``dict[str, float]`` shared by everything that handles the event.
"""

import pluggy

hookspec = pluggy.HookspecMarker("kcore")
hookimpl = pluggy.HookimplMarker("kcore")

#: The Keras callback events (14; ``on_batch_begin/end`` are aliases, not events).
KERAS_EVENTS = (
    "on_train_begin",
    "on_train_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_begin",
    "on_test_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_begin",
    "on_predict_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
)

#: Events fired once per batch: the loop guards them with the hook gate.
BATCH_EVENTS = tuple(e for e in KERAS_EVENTS if "_batch_" in e)

#: The plugin hook that carries each Keras event.
EVENT_HOOKS = {event: "kcore_" + event for event in KERAS_EVENTS}

#: Keras's older names of two events; a callback may override either name.
KERAS_ALIASES = {"on_train_batch_begin": "on_batch_begin",
                 "on_train_batch_end": "on_batch_end"}

#: Every method a Keras callback may define to be called: the events, their aliases and
#: kcore's extension ``on_exception(exception, stage)`` (delivered with
#: ``kcore_on_exception``).
CALLBACK_METHODS = frozenset(KERAS_EVENTS) | frozenset(KERAS_ALIASES.values()) | {
    "on_exception"}

#: ``scope`` passed to ``kcore_reduce_logs`` for each event.
LOG_SCOPES = {
    "on_train_begin": "train_begin",
    "on_train_end": "train_end",
    "on_epoch_begin": "epoch_begin",
    "on_epoch_end": "epoch",
    "on_train_batch_begin": "train_batch_begin",
    "on_train_batch_end": "train_batch",
    "on_test_begin": "test_begin",
    "on_test_end": "test",
    "on_test_batch_begin": "test_batch_begin",
    "on_test_batch_end": "test_batch",
    "on_predict_begin": "predict_begin",
    "on_predict_end": "predict",
    "on_predict_batch_begin": "predict_batch_begin",
    "on_predict_batch_end": "predict_batch",
}


# --- The Keras events ---------------------------------------------------


@hookspec
def kcore_on_train_begin(model, logs):
    """Called once at the start of ``fit``, before the first epoch.

    Args:
        model: the model being trained.
        logs: ``{}`` (Keras passes no data here).
    """


@hookspec
def kcore_on_train_end(model, logs):
    """Called once at the end of ``fit`` (not when ``fit`` raised).

    Args:
        model: the model being trained.
        logs: the logs of the last epoch, ``val_`` keys included.
    """


@hookspec
def kcore_on_epoch_begin(model, epoch, logs):
    """Called at the start of every epoch, after the metrics were reset.

    Args:
        model: the model being trained.
        epoch: absolute 0-based epoch index (``initial_epoch`` counts).
        logs: ``{}``.
    """


@hookspec
def kcore_on_epoch_end(model, epoch, logs):
    """Called at the end of every epoch, after validation.

    Setting ``model.stop_training = True`` here ends ``fit`` after this epoch.

    Args:
        model: the model being trained.
        epoch: absolute 0-based epoch index.
        logs: epoch aggregates of loss and metrics plus the ``val_`` keys of
            the validation pass when one ran this epoch. Keys added here are
            seen by later handlers and recorded by ``History``.
    """


@hookspec
def kcore_on_train_batch_begin(model, batch, logs):
    """Called before every training batch (gated: free when unimplemented).

    Args:
        model: the model being trained.
        batch: 0-based batch index within the epoch.
        logs: ``{}``.
    """


@hookspec
def kcore_on_train_batch_end(model, batch, logs):
    """Called after every training batch (gated: free when unimplemented).

    Setting ``model.stop_training = True`` ends the epoch after this batch
    (``on_epoch_end`` still runs) and then ``fit``.

    Args:
        model: the model being trained.
        batch: 0-based batch index within the epoch.
        logs: running means of loss and metrics since the epoch started.
    """


@hookspec
def kcore_on_test_begin(model, logs):
    """Called at the start of ``evaluate`` and of the validation pass of ``fit``.

    Args:
        model: the model being evaluated.
        logs: ``{}``.
    """


@hookspec
def kcore_on_test_end(model, logs):
    """Called at the end of ``evaluate`` and of the validation pass of ``fit``.

    Args:
        model: the model being evaluated.
        logs: aggregated loss and metrics, without a ``val_`` prefix.
    """


@hookspec
def kcore_on_test_batch_begin(model, batch, logs):
    """Called before every evaluation batch (gated).

    Args:
        model: the model being evaluated.
        batch: 0-based batch index.
        logs: ``{}``.
    """


@hookspec
def kcore_on_test_batch_end(model, batch, logs):
    """Called after every evaluation batch (gated).

    Args:
        model: the model being evaluated.
        batch: 0-based batch index.
        logs: running loss and metrics, without a ``val_`` prefix.
    """


@hookspec
def kcore_on_predict_begin(model, logs):
    """Called at the start of ``predict``.

    Args:
        model: the model making predictions.
        logs: ``{}``.
    """


@hookspec
def kcore_on_predict_end(model, logs):
    """Called at the end of ``predict``.

    Args:
        model: the model making predictions.
        logs: ``{}``.
    """


@hookspec
def kcore_on_predict_batch_begin(model, batch, logs):
    """Called before every prediction batch (gated).

    Args:
        model: the model making predictions.
        batch: 0-based batch index.
        logs: ``{}``.
    """


@hookspec
def kcore_on_predict_batch_end(model, batch, logs):
    """Called after every prediction batch (gated).

    Args:
        model: the model making predictions.
        batch: 0-based batch index.
        logs: ``{"outputs": <this batch's predictions>}``.
    """


# --- Engine points beyond Keras --------------------------------------------


@hookspec(firstresult=True)
def kcore_reduce_gradients(model, step):
    """Combine gradients across workers; called once per training batch (gated).

    Runs after the backward pass and before ``kcore_before_apply_gradients``.
    This is where a data-parallel plugin all-reduces ``step.grads`` (in place,
    or by assigning a new list of the same length and shapes).

    ``firstresult``: the first implementation that returns a value other than
    ``None`` (conventionally ``True``, meaning "reduced") ends the call, so two
    reducers never both reduce the same gradients. Return ``None`` to pass.

    Args:
        model: the model being trained.
        step: the ``kcore.hooks.StepContext`` of this batch.

    Returns:
        ``None`` to let the next implementation run, anything else to claim
        the reduction.
    """


@hookspec
def kcore_before_apply_gradients(model, step):
    """Inspect or change the gradients right before the optimizer applies them.

    Called once per training batch (gated), after ``kcore_reduce_gradients``.
    Clip in place (``g *= scale`` on each array of ``step.grads``) or set
    ``step.skip = True`` to skip this optimizer update (e.g. on NaN); the
    batch's logs are still reported. Every implementation sees the same
    ``step`` object, so in-place changes compose.

    Args:
        model: the model being trained.
        step: the ``kcore.hooks.StepContext`` of this batch.
    """


@hookspec
def kcore_after_apply_gradients(model, step):
    """Called after the optimizer update of a training batch (gated).

    Also called when ``step.skip`` was set (check it to tell).

    Args:
        model: the model being trained.
        step: the ``kcore.hooks.StepContext`` of this batch.
    """


@hookspec
def kcore_reduce_logs(model, logs, scope):
    """Change ``logs`` in place before any callback or event hook sees them.

    Called first in every event that carries logs, whenever at least one
    plugin implements it (it then runs every batch, so keep it cheap).
    Typical uses: all-reduce metrics across workers, add or rename keys.

    Args:
        model: the model concerned.
        logs: the event's mutable logs dict; change it in place.
        scope: which event the logs belong to. One of ``"train_begin"``,
            ``"train_end"``, ``"epoch_begin"``, ``"epoch"`` (epoch end),
            ``"train_batch_begin"``, ``"train_batch"`` (train batch end),
            ``"test_begin"``, ``"test"`` (test end), ``"test_batch_begin"``,
            ``"test_batch"`` (test batch end), ``"predict_begin"``,
            ``"predict"`` (predict end), ``"predict_batch_begin"``,
            ``"predict_batch"`` (predict batch end).
    """


@hookspec
def kcore_on_exception(model, exception, stage):
    """Called when ``fit``, ``evaluate`` or ``predict`` raises, before it propagates.

    Use it to flush buffers, close files or mark a run as failed. The Keras
    callbacks of the failing call get it first, as
    ``callback.on_exception(exception, stage)`` (a kcore extension). Every
    implementation runs even if another one raises: each is called on its
    own, and a failure is reported as a ``RuntimeWarning`` naming the plugin.
    Afterwards the original exception propagates unchanged. Never swallow or
    replace it, and never call ``sys.exit``. Also called for
    ``KeyboardInterrupt``. Wrapper implementations are not allowed here.

    Args:
        model: the model concerned.
        exception: the exception instance that is propagating.
        stage: ``"fit"``, ``"evaluate"`` or ``"predict"`` (the outermost call;
            a failure in the validation pass of ``fit`` has stage ``"fit"``).
    """


@hookspec
def kcore_default_callbacks(model, params):
    """Return Keras callbacks this plugin adds to every ``fit``/``evaluate``/``predict``.

    Opt-in: return ``[]`` unless the user enabled the feature (for example
    with an environment variable named after your plugin). The returned
    callbacks are placed after the user's callbacks and before ``History``
    and ``ProgbarLogger``. Called once per callback list.

    Args:
        model: the model concerned.
        params: the ``params`` dict of the callback list (``verbose``,
            ``epochs``, ``steps``).

    Returns:
        A list of ``kcore.callbacks.Callback`` instances (possibly empty).
    """


# --- Data parallelism (kcore extension; see docs/distributed.md) ------------------

#: Hooks about the process rather than one model: they take no arguments.
PROCESS_HOOKS = ("kcore_distribution", "kcore_plugin_status")
#
# A data-parallel plugin runs the same script in N worker processes. kcore's loop
# calls these hooks only while a ``fit``/``evaluate``/``predict`` runs, at the same
# point on every worker, so an implementation may use collective operations in them
# (every worker reaches the same call). None of them is called per batch unless a
# plugin implements it; a plugin that is not distributing should not implement them
# at all (register them only when it distributes).


@hookspec(firstresult=True)
def kcore_distribution():
    """Describe the data-parallel run this process belongs to.

    Backs ``kcore.distribution`` (``rank()``, ``size()``, ``is_rank_zero()``, ...),
    which plugins and callbacks use to write files and print on rank 0 only.
    May be called often: keep it cheap (cache the answer).

    Returns:
        A ``kcore.distribution.Distribution`` when this process is one worker of
        a distributed run, ``None`` otherwise (the next plugin is asked).
    """


@hookspec(firstresult=True)
def kcore_sync_initial_state(model):
    """Make every worker start ``fit`` from the same state.

    Called once at the start of every ``fit``, before the data is shuffled,
    the callbacks start or the first batch is read. A data-parallel plugin
    broadcasts one worker's weights (``model.weights``, when built), optimizer
    variables (when built) and random state (``kcore.random.get_state()`` and the
    layers' ``SeedGenerator`` streams), so that shuffling, dropout masks and a
    model built during the first step agree everywhere. A resume by
    ``BackupAndRestore`` happens afterwards, from the same files on every worker.

    Args:
        model: the model about to be trained.

    Returns:
        ``None`` to let the next implementation run, anything else to claim it.
    """


@hookspec(firstresult=True)
def kcore_shard_batch(model, data, stage):
    """Pick this worker's rows of one global batch.

    Called for every batch of ``fit`` (training and validation), ``evaluate`` and
    ``predict``, before ``train_step``/``test_step``/``predict_step``. ``batch_size``
    keeps Keras's meaning: it is the global batch. The loop then runs the step on
    ``shard.data`` with ``shard`` as the current shard
    (``kcore.distribution.batch_shard()``): random layers draw the global
    batch's randomness and keep their rows, and ``kcore_reduce_gradients`` can
    weight this worker's gradients by ``shard.rows / shard.global_rows`` so that
    the update equals the single-process one for the mean-over-rows losses of
    ``compile``.

    Args:
        model: the model concerned.
        data: the global batch: ``(x, y, sample_weight)`` in training and
            evaluation, ``(x,)`` in prediction; arrays (or lists/dicts of them)
            whose first axis is the batch.
        stage: ``"train"``, ``"test"`` or ``"predict"``.

    Returns:
        A ``kcore.distribution.BatchShard`` whose ``data`` has the structure of
        ``data``, or ``None`` to run the whole batch here (the next plugin is
        asked first).
    """


@hookspec(firstresult=True)
def kcore_reduce_metric_states(model, variables):
    """Combine the metric states of all workers, without changing them.

    Called inside a run whenever the loop reads metric results (after every
    train/test batch and at epoch and evaluation end), on every worker. kcore
    then computes every metric's ``result()`` from the returned global states
    and puts the worker's own accumulators back, so results such as AUC or
    precision are exact (computed from the summed confusion counts, not
    averaged), and each worker keeps accumulating only its own rows.

    Args:
        model: the model concerned.
        variables: the state variables of ``model.metrics``, in order; each has
            ``value`` (``np.ndarray``) and ``aggregation`` (``"sum"``, ``"mean"``,
            ``"only_first_replica"`` or ``"none"``, as in Keras).

    Returns:
        A list of arrays, one per variable and of its shape: the global states;
        or ``None`` to pass.
    """


@hookspec(firstresult=True)
def kcore_gather_outputs(model, outputs, shard):
    """Join the workers' predictions of one global batch, in row order.

    Called for every ``predict`` batch that ``kcore_shard_batch`` sharded, after
    ``predict_step``; ``predict`` returns the gathered outputs on every worker.

    Args:
        model: the model concerned.
        outputs: this worker's outputs (numpy arrays in the model's output
            structure) for rows ``shard.start:shard.stop``.
        shard: the ``kcore.distribution.BatchShard`` of this batch.

    Returns:
        The outputs of the whole global batch, same structure; or ``None``.
    """


@hookspec
def kcore_plugin_status():
    """A one-line description of this plugin's state for ``python -m kcore plugins``.

    For example the launcher a data-parallel plugin detected. Must be cheap
    and must not start anything.

    Returns:
        A string, or ``None`` for nothing to add.
    """
