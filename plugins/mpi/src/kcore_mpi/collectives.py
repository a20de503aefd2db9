"""The MPI collectives kcore-mpi needs, on numpy buffers (no pickle on the wire).

- ``FusedAllreduce``: every gradient of a step packed into one contiguous buffer
  and summed with a single in-place ``Allreduce`` (one call per step, not one per
  variable); the buffer is reused from step to step.
- ``allreduce_states``: metric states, one ``Allreduce`` in float64.
- ``bcast_arrays`` / ``bcast_json``: rank 0's weights, optimizer and random state.
- ``allgather_rows``: the rows of one predict batch, in rank order.
"""

import json

import numpy as np


class FusedAllreduce:
    """Sums lists of same-dtype arrays across ranks through one reusable buffer.

    Args:
        comm: an ``mpi4py`` communicator.
    """

    def __init__(self, comm):
        self.comm = comm
        self._buffer = None
        self.bytes_per_call = 0
        self.calls = 0

    def _buffer_for(self, size, dtype):
        buf = self._buffer
        if buf is None or buf.size != size or buf.dtype != dtype:
            buf = self._buffer = np.empty(size, dtype=dtype)
        return buf

    def __call__(self, arrays, scale, divisor):
        """``sum over ranks of (scale * a)) / divisor`` for every array, as views of one buffer.

        Args:
            arrays: this rank's arrays (``None`` entries pass through).
            scale: this rank's weight (its row count), applied before the sum.
            divisor: the sum of all ranks' weights.

        Returns:
            A list of arrays of the same shapes (views into the shared buffer).
        """
        from mpi4py import MPI

        present = [a for a in arrays if a is not None]
        dtype = np.result_type(*present) if present else np.float32
        buf = self._buffer_for(sum(a.size for a in present), dtype)
        out, offset = [], 0
        for a in arrays:
            if a is None:
                out.append(None)
                continue
            view = buf[offset:offset + a.size].reshape(a.shape)
            np.multiply(a, scale, out=view, casting="unsafe")
            out.append(view)
            offset += a.size
        self.comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
        buf *= dtype.type(1.0 / divisor)
        self.calls += 1
        self.bytes_per_call = buf.nbytes
        return out


def allreduce_states(comm, variables):
    """The global value of every metric state variable, by its ``aggregation``.

    ``"sum"`` and ``"none"`` (counts, totals, confusion matrices) are summed,
    ``"mean"`` averaged over ranks, ``"only_first_replica"`` taken from rank 0.
    One ``Allreduce`` of a float64 buffer for all of them.
    """
    from mpi4py import MPI

    values = [np.asarray(v.value) for v in variables]
    first = [getattr(v, "aggregation", "sum") == "only_first_replica" for v in variables]
    buf = np.concatenate([
        (np.zeros(a.size) if f and comm.Get_rank() else a.astype(np.float64).ravel())
        for a, f in zip(values, first)]) if values else np.zeros(0)
    comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
    out, offset = [], 0
    for v, a in zip(variables, values):
        part = buf[offset:offset + a.size].reshape(a.shape)
        if getattr(v, "aggregation", "sum") == "mean":
            part = part / comm.Get_size()
        out.append(part.astype(a.dtype))
        offset += a.size
    return out


def bcast_arrays(comm, arrays, root=0):
    """Overwrites every array (in place) with ``root``'s values."""
    for a in arrays:
        comm.Bcast(a, root=root)


def bcast_json(comm, obj, root=0):
    """``root``'s JSON-able object, on every rank (sent as UTF-8 bytes)."""
    data = json.dumps(obj).encode() if comm.Get_rank() == root else b""
    length = np.array([len(data)], dtype=np.int64)
    comm.Bcast(length, root=root)
    buf = np.frombuffer(data, dtype=np.uint8).copy() if comm.Get_rank() == root else \
        np.empty(int(length[0]), dtype=np.uint8)
    comm.Bcast(buf, root=root)
    return json.loads(buf.tobytes().decode())


def allgather_rows(comm, array, counts):
    """Concatenates every rank's ``array`` along axis 0; ``counts``: rows per rank."""
    from mpi4py import MPI

    array = np.ascontiguousarray(array)
    row_bytes = int(np.prod(array.shape[1:], dtype=np.int64)) * array.dtype.itemsize
    out = np.empty((int(sum(counts)),) + array.shape[1:], dtype=array.dtype)
    sizes = [int(c) * row_bytes for c in counts]
    displs = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int).tolist()
    # Sent as bytes: any dtype, no datatype table needed.
    comm.Allgatherv([array.view(np.uint8).reshape(-1), MPI.BYTE],
                    [out.view(np.uint8).reshape(-1), sizes, displs, MPI.BYTE])
    return out
