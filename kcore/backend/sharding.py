"""The batch shard of the running step: which rows of the global batch this worker holds.

A data-parallel plugin splits every global batch across its workers (hook
``kcore_shard_batch``); the loop then runs the step inside ``shard_scope(shard)``.
Random layers read ``current_shard()`` through ``batch_draw_shape`` so that they draw
the randomness of the *global* batch and keep their rows of it: a worker's dropout
mask is then exactly the slice a single process would have drawn, and every
worker's random streams advance as one process's would.

The shard lives in a context variable, never in a module global, so threads and
async tasks running other computations are unaffected.
"""

import contextlib
import contextvars
import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class BatchShard:
    """This worker's part of one global batch.

    Attributes:
        data: the worker's batch, in the structure of the global batch
            (``(x, y, sample_weight)`` for training and evaluation, ``(x,)`` for
            prediction), holding rows ``start:stop`` of every array.
        start: first row of the global batch held here.
        stop: one past the last row held here (``start == stop`` is allowed: a
            global batch smaller than the number of workers leaves some empty).
        global_rows: rows in the global batch.
    """

    data: Any
    start: int
    stop: int
    global_rows: int

    @property
    def rows(self):
        """Rows held by this worker (``stop - start``)."""
        return self.stop - self.start


_current = contextvars.ContextVar("kcore_batch_shard", default=None)


def current_shard():
    """The ``BatchShard`` of the step running in this context, or ``None``."""
    return _current.get()


@contextlib.contextmanager
def shard_scope(shard):
    """Runs the body with ``shard`` as the current shard (``None``: not sharded)."""
    token = _current.set(shard)
    try:
        yield shard
    finally:
        _current.reset(token)


def batch_draw_shape(shape):
    """The shape to draw random numbers for, and the rows to keep.

    Inside a shard whose rows are fewer than the global batch's, a draw whose
    leading dimension is this worker's row count is taken to be per-row (the
    batch axis comes first in kcore): draw ``(global_rows, *shape[1:])`` and keep
    ``rows``. Anything else (no shard, a broadcast dimension of 1, a shape that is
    not per-row) is drawn as asked, identically on every worker.

    Returns:
        ``(shape_to_draw, rows)`` where ``rows`` is a ``slice`` or ``None``.
    """
    shape = tuple(shape)
    shard = _current.get()
    if shard is None or not shape or shape[0] != shard.rows or shard.rows == shard.global_rows:
        return shape, None
    return (shard.global_rows,) + shape[1:], slice(shard.start, shard.stop)
