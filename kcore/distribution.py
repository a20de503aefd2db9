"""``kcore.distribution``: is this process one worker of a data-parallel run, and which?

kcore itself never starts workers. A data-parallel plugin (``kcore-mpi``: the
user's unmodified script under ``mpirun -n N``) answers the hook
``kcore_distribution`` with a ``Distribution``; without one, every function here
describes a single process: rank 0 of 1.

Plugins and callbacks that write files or print use ``is_rank_zero()`` so that
only one worker does it::

    if kcore.distribution.is_rank_zero():
        model.save(path)

``batch_shard()`` tells which rows of the current global batch this worker
holds, inside a training, evaluation or prediction step.

Example:
    >>> import kcore
    >>> kcore.distribution.rank(), kcore.distribution.size()
    (0, 1)
"""

import dataclasses

from kcore.backend.sharding import BatchShard, current_shard
from kcore.hooks.manager import get_plugin_manager

__all__ = ["BatchShard", "Distribution", "batch_shard", "distribution", "is_distributed",
           "is_rank_zero", "rank", "size"]


@dataclasses.dataclass(frozen=True)
class Distribution:
    """The data-parallel run this process belongs to.

    Attributes:
        rank: this worker's 0-based index.
        size: the number of workers.
        backend: who provides the run, e.g. ``"kcore-mpi"``.
        launcher: how the workers were started, e.g. ``"Open MPI mpirun"``.
    """

    rank: int
    size: int
    backend: str = ""
    launcher: str = ""

    @property
    def world_size(self):
        """Alias of ``size``."""
        return self.size


def distribution():
    """The active ``Distribution``, or ``None`` for a single process.

    Asks the installed plugins (hook ``kcore_distribution``); with no plugin
    answering, or ``KCORE_DISTRIBUTE=off`` honoured by the plugin, it is ``None``.
    """
    pm = get_plugin_manager()
    if not pm.gate["kcore_distribution"]:
        return None
    return pm.hook.kcore_distribution()


def rank():
    """This worker's index (0 in a single process)."""
    dist = distribution()
    return 0 if dist is None else dist.rank


def size():
    """The number of workers (1 in a single process)."""
    dist = distribution()
    return 1 if dist is None else dist.size


def is_distributed():
    """Whether this process is one of several data-parallel workers."""
    dist = distribution()
    return dist is not None and dist.size > 1


def is_rank_zero():
    """Whether this process is rank 0: the one that writes files and prints.

    ``True`` in a single process. Checkpoints, logs, TensorBoard and W&B
    files and the progress bar are written by rank 0 only.
    """
    return rank() == 0


def batch_shard():
    """The ``BatchShard`` of the running step (``None`` outside a sharded step)."""
    return current_shard()
