"""The loop's side of data parallelism: one call per hook, free when no plugin distributes.

The hooks (``kcore_sync_initial_state``, ``kcore_shard_batch``,
``kcore_reduce_metric_states``, ``kcore_gather_outputs``) are specified in
``kcore.hooks.hookspecs``. Each helper here costs one dict lookup when nothing
implements its hook, so single-process runs are unchanged.
"""

import contextlib
import contextvars
import warnings
import weakref

import numpy as np

from kcore import distribution
from kcore.backend.sharding import current_shard, shard_scope
from kcore.hooks.manager import get_plugin_manager

# The global metric states last read in this context, as (weakref to the model, states):
# what a backup taken now must save (only rank 0 saves: it cannot run a collective itself).
_last_global_states = contextvars.ContextVar("kcore_last_global_metric_states",
                                             default=(None, None))


def sync_initial_state(model):
    """Fire ``kcore_sync_initial_state`` (start of ``fit``)."""
    pm = get_plugin_manager()
    if pm.gate["kcore_sync_initial_state"]:
        pm.hook.kcore_sync_initial_state(model=model)


@contextlib.contextmanager
def sharded(model, data, stage):
    """Runs the body on this worker's rows of the global batch ``data``.

    Yields the batch to give the step (``data`` itself when nothing shards it);
    inside, ``kcore.distribution.batch_shard()`` is the shard.
    """
    pm = get_plugin_manager()
    shard = pm.hook.kcore_shard_batch(model=model, data=data, stage=stage) \
        if pm.gate["kcore_shard_batch"] else None
    if shard is None:
        yield data
        return
    with shard_scope(shard):
        if shard.rows:
            yield shard.data
            return
        # An empty share of a short last batch: numpy's "mean of empty slice" warnings are
        # expected (its loss is NaN and contributes nothing).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            yield shard.data


def gather_outputs(model, outputs):
    """The global batch's outputs when the current predict batch is sharded."""
    shard = current_shard()
    pm = get_plugin_manager()
    if shard is None or not pm.gate["kcore_gather_outputs"]:
        return outputs
    gathered = pm.hook.kcore_gather_outputs(model=model, outputs=outputs, shard=shard)
    return outputs if gathered is None else gathered


@contextlib.contextmanager
def global_metric_states(model, metrics):
    """Runs the body with every metric holding the global state, then restores it.

    Only inside a run (``model.active_callbacks`` set), where every worker reads
    the metrics at the same point; elsewhere, and when no plugin implements
    ``kcore_reduce_metric_states``, the body sees the local state.
    """
    pm = get_plugin_manager()
    if not pm.gate["kcore_reduce_metric_states"] or model.active_callbacks is None:
        yield
        return
    variables = [v for m in metrics for v in m.variables]
    states = pm.hook.kcore_reduce_metric_states(model=model, variables=variables)
    if states is None:
        yield
        return
    _last_global_states.set((weakref.ref(model), states))
    local = [v.value for v in variables]
    try:
        for v, state in zip(variables, states):
            v.value = state.astype(v.value.dtype, copy=False).reshape(v.value.shape)
        yield
    finally:
        for v, value in zip(variables, local):
            v.value = value


def metric_states_to_save(model):
    """The metric states a fit state records: the global ones in a data-parallel run."""
    ref, states = _last_global_states.get()
    if ref is not None and ref() is model:
        return states
    return [v.value for m in model.metrics for v in m.variables]


def metric_states_to_resume(values):
    """Saved (global) metric states to load: rank 0 takes them, other workers start at zero,
    so that their sum stays the global state."""
    if distribution.is_rank_zero():
        return values
    return [np.zeros_like(np.asarray(v)) for v in values]
