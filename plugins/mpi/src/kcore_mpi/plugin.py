"""The ``kcore.plugins`` entry point of kcore-mpi: data-parallel ``fit``/``evaluate``/``predict``.

``plugin`` is chosen when kcore loads its plugins: ``DataParallel`` when this
process is one of several ranks started by an MPI launcher (and
``KCORE_DISTRIBUTE`` is not ``off``), otherwise ``Idle``, which implements no
training hook at all, so a single-process run pays nothing and is unchanged.
"""

import time

import numpy as np

import kcore
from kcore.distribution import BatchShard, Distribution

from kcore_mpi import collectives, world


class Idle:
    """Single process (or ``KCORE_DISTRIBUTE=off``): reports the launcher, nothing else."""

    @kcore.hookimpl
    def kcore_plugin_status(self):
        return world.status_line()


class DataParallel(Idle):
    """Data parallelism over ``MPI.COMM_WORLD`` (see ``docs/distributed.md``).

    Every rank runs the same script on the same data. Each global batch is split
    into contiguous, nearly equal row ranges; gradients are weighted by rows and
    summed in one fused ``Allreduce`` per step; metric states are summed before
    results are read; rank 0's state is broadcast when ``fit`` starts.

    Attributes:
        stats: counters for benchmarks: ``steps``, ``allreduce_seconds`` (gradients
            only), ``bytes_per_step`` (gradient buffer size).
    """

    def __init__(self, mpi_world=None):
        self.world = mpi_world or world.World()
        self._distribution = None
        self._allreduce = None
        self.stats = {"steps": 0, "allreduce_seconds": 0.0, "bytes_per_step": 0}

    @property
    def comm(self):
        return self.world.comm

    @kcore.hookimpl
    def kcore_distribution(self):
        if self._distribution is None:
            launch = self.world.launch
            self._distribution = Distribution(launch.rank, launch.size, "kcore-mpi",
                                              launch.launcher)
        return self._distribution

    @kcore.hookimpl
    def kcore_sync_initial_state(self, model):
        comm = self.comm
        generators = _seed_generators(model)
        state = collectives.bcast_json(comm, {
            "global": kcore.random.get_state(),
            "layers": [g.get_state() for g in generators],
            "seeds": [g.initial_seed for g in generators]})
        kcore.random.set_state(state["global"])
        for gen, seed, gen_state in zip(generators, state["seeds"], state["layers"]):
            gen.initial_seed = seed
            gen.set_state(gen_state)
        if model.built:
            collectives.bcast_arrays(comm, [v.value for v in model.weights])
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and getattr(optimizer, "built", False):
            collectives.bcast_arrays(comm, [v.value for v in optimizer.variables])
        return True

    @kcore.hookimpl
    def kcore_shard_batch(self, data, stage):
        rows = _leading_rows(data)
        if rows is None:
            return None
        rank, size = self.world.rank, self.world.size
        start, stop = rows * rank // size, rows * (rank + 1) // size
        return BatchShard(_slice_rows(data, rows, start, stop), start, stop, rows)

    @kcore.hookimpl
    def kcore_reduce_gradients(self, step):
        if self._allreduce is None:
            self._allreduce = collectives.FusedAllreduce(self.comm)
        shard = kcore.distribution.batch_shard()
        scale, divisor = (1, self.world.size) if shard is None else (shard.rows, shard.global_rows)
        grads = step.grads
        if shard is not None and shard.rows == 0:
            # An empty shard's loss is a mean over nothing (NaN): it contributes zero.
            grads = [None if g is None else np.zeros_like(g) for g in grads]
        began = time.perf_counter()
        step.grads = self._allreduce(grads, scale, divisor)
        self.stats["allreduce_seconds"] += time.perf_counter() - began
        self.stats["steps"] += 1
        self.stats["bytes_per_step"] = self._allreduce.bytes_per_call
        return True

    @kcore.hookimpl
    def kcore_reduce_metric_states(self, variables):
        return collectives.allreduce_states(self.comm, variables)

    @kcore.hookimpl
    def kcore_gather_outputs(self, outputs, shard):
        counts = [shard.global_rows * (r + 1) // self.world.size -
                  shard.global_rows * r // self.world.size for r in range(self.world.size)]
        return _map_arrays(outputs, lambda a: collectives.allgather_rows(self.comm, a, counts))


def _seed_generators(model):
    """Every layer's ``SeedGenerator`` (dropout and noise streams), in a stable order."""
    found = []
    for layer in model._flatten_layers():
        for value in vars(layer).values():
            if isinstance(value, kcore.random.SeedGenerator) and \
                    not any(value is g for g in found):
                found.append(value)
    return found


def _leading_rows(data):
    for leaf in _leaves(data):
        shape = np.shape(getattr(leaf, "value", leaf))
        if shape:
            return int(shape[0])
    return None


def _leaves(data):
    if isinstance(data, dict):
        for value in data.values():
            yield from _leaves(value)
    elif isinstance(data, (list, tuple)):
        for value in data:
            yield from _leaves(value)
    elif data is not None:
        yield data


def _map_arrays(data, fn):
    if isinstance(data, dict):
        return {k: _map_arrays(v, fn) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(_map_arrays(v, fn) for v in data)
    return data if data is None else fn(data)


def _slice_rows(data, rows, start, stop):
    def cut(leaf):
        array = getattr(leaf, "value", leaf)
        shape = np.shape(array)
        return array[start:stop] if shape and shape[0] == rows else leaf

    return _map_arrays(data, cut)


plugin = DataParallel() if world.should_distribute() else Idle()
