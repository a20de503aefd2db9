"""``SyncBatchNormalization``: batch normalization with the statistics of the global batch.

In a data-parallel step each rank holds only its rows. This layer all-reduces every
channel's sum (for the mean) and sum of squared deviations (for the variance) across
ranks, so its output and its moving statistics equal ``BatchNormalization`` on one
process with the whole global batch. The backward pass all-reduces the matching
gradient sums (the VJP of ``_rank_sum``), weighted by rows like the gradients of the
step (see ``kcore_reduce_gradients``), so the weight updates are the single-process ones.

Outside a sharded step (one process, ``evaluate``/``predict`` in inference mode, a
custom loop) it is exactly ``BatchNormalization``.
"""

import numpy as np

import kcore
from kcore import ops
from kcore.backend import autodiff

from kcore_mpi import world


def _comm():
    from kcore_mpi.plugin import plugin

    return plugin.world.comm


def _allreduce(array):
    from mpi4py import MPI

    out = np.ascontiguousarray(array).copy()
    _comm().Allreduce(MPI.IN_PLACE, out, op=MPI.SUM)
    return out


def _rank_sum_raw(x, rows):
    """Sum of ``x`` over ranks. VJP: the rows-weighted sum of the ranks' cotangents / rows.

    Every rank's backward pass is in units of its own mean loss, and the step's gradient
    reduction later multiplies by ``rows / global_rows``; weighting the cotangents by rows
    here keeps both consistent (see module docstring).
    """
    out = _allreduce(x)

    def vjp(g):
        weighted = _allreduce(g * rows)
        return (weighted / rows if rows else np.zeros_like(g),)

    return out, vjp


_rank_sum = autodiff.primitive(_rank_sum_raw)
# A plugin's op, not one of kcore's primitives (whose table drives kcore's gradient checks);
# its gradient is checked by the plugin's tests against BatchNormalization under mpirun.
autodiff.PRIMITIVES.pop(_rank_sum_raw.__name__, None)


class SyncBatchNormalization(kcore.layers.BatchNormalization):
    """``BatchNormalization`` whose training statistics span every rank's rows.

    tf.keras's ``SyncBatchNormalization``; Keras 3 writes it
    ``BatchNormalization(synchronized=True)``. Arguments are ``BatchNormalization``'s.
    A ``mask`` is honoured with per-rank statistics.

    Example:
        >>> from kcore_mpi import SyncBatchNormalization
        >>> model = kcore.Sequential([kcore.Input((8,)), kcore.layers.Dense(16),
        ...                          SyncBatchNormalization(), kcore.layers.Activation("relu")])
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, **kwargs):
        kwargs["synchronized"] = True
        super().__init__(axis=axis, momentum=momentum, epsilon=epsilon, **kwargs)

    def call(self, inputs, training=None, mask=None):
        shard = kcore.distribution.batch_shard()
        if not (training and self.trainable) or mask is not None or shard is None \
                or not world.should_distribute():
            return super().call(inputs, training=training, mask=mask)
        axes = self._reduction_axes
        shape = [1] * len(inputs.shape)
        channel = self.axis % len(inputs.shape)
        shape[channel] = inputs.shape[channel]
        per_row = int(np.prod([inputs.shape[a] for a in axes if a != 0], dtype=np.int64))
        count = float(per_row * shard.global_rows)
        mean = ops.divide(_rank_sum(ops.sum(inputs, axis=axes), rows=shard.rows), count)
        centered = ops.subtract(inputs, ops.reshape(mean, shape))
        variance = ops.divide(
            _rank_sum(ops.sum(ops.square(centered), axis=axes), rows=shard.rows), count)
        out = ops.divide(centered, ops.reshape(ops.sqrt(ops.add(variance, self.epsilon)), shape))
        if self.gamma is not None:
            out = ops.multiply(out, ops.reshape(self.gamma, shape))
        if self.beta is not None:
            out = ops.add(out, ops.reshape(self.beta, shape))
        self._update_moving_stats(mean.numpy(), variance.numpy())
        return out

    def get_config(self):
        config = super().get_config()
        config.pop("synchronized", None)
        return config
