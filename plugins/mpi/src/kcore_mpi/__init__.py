"""kcore-mpi: the user's unmodified kcore script, data-parallel under ``mpirun -n N``.

Installing this distribution is all it takes: under an MPI launcher with more than one
rank, ``fit``/``evaluate``/``predict`` split every global batch across the ranks (see
``docs/distributed.md``). ``SyncBatchNormalization`` normalizes with the statistics of
the global batch.
"""

from kcore_mpi.world import detect_launch, should_distribute

__all__ = ["SyncBatchNormalization", "detect_launch", "should_distribute", "stats"]


def stats():
    """Communication counters of this process's data-parallel run (``{}`` when not distributed).

    ``steps``: gradient allreduces so far; ``allreduce_seconds``: time spent in them;
    ``bytes_per_step``: size of the fused gradient buffer.
    """
    from kcore_mpi.plugin import plugin

    return dict(getattr(plugin, "stats", {}))


def __getattr__(name):
    # The layer imports kcore's layer machinery: only when asked for.
    if name == "SyncBatchNormalization":
        from kcore_mpi.sync_batch_normalization import SyncBatchNormalization

        return SyncBatchNormalization
    raise AttributeError(f"module 'kcore_mpi' has no attribute {name!r}")
