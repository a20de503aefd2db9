"""The loop's side of data parallelism: one call per hook, free when no plugin distributes.

The hooks (``kcore_sync_initial_state``, ``kcore_shard_batch``,
``kcore_reduce_metric_states``, ``kcore_gather_outputs``) are specified in
``kcore.hooks.hookspecs``. Each helper here costs one dict lookup when nothing
implements its hook, so single-process runs are unchanged.
"""

import contextlib

from kcore.backend.sharding import shard_scope
from kcore.hooks.manager import get_plugin_manager


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
        yield shard.data


def gather_outputs(model, outputs):
    """The global batch's outputs when the current predict batch is sharded."""
    from kcore.backend.sharding import current_shard

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
    local = [v.value for v in variables]
    try:
        for v, state in zip(variables, states):
            v.value = state.astype(v.value.dtype, copy=False).reshape(v.value.shape)
        yield
    finally:
        for v, value in zip(variables, local):
            v.value = value
