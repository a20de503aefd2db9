"""Array manipulation: reshaping, joining, indexing, gathering, sorting, padding."""

import builtins

import numpy as np

from kcore.backend.autodiff import nondifferentiable, primitive
from kcore.backend.kernels import kernels_for
from kcore.backend.tensor import Tensor
from kcore.ops.core import as_array

__all__ = [
    "reshape", "transpose", "expand_dims", "squeeze", "ravel", "swapaxes", "moveaxis",
    "concatenate", "stack", "split", "tile", "repeat", "pad", "take", "take_along_axis",
    "broadcast_to", "flip", "getitem", "slice", "slice_update", "dynamic_update_slice",
    "scatter", "scatter_update", "sort", "argsort", "top_k", "roll", "unstack",
]

_slice = builtins.slice


def _val(x):
    return x.value if isinstance(x, Tensor) else x


def _arr(x):
    return x if isinstance(x, Tensor) else as_array(x)


# -- shape ----------------------------------------------------------------------------
@primitive
def reshape(x, newshape):
    """Gives ``x`` a new shape with the same number of elements (one entry may be -1)."""
    x = np.asarray(x)
    return np.reshape(x, newshape), lambda g: (np.reshape(g, x.shape),)


@primitive
def _transpose(x, axes):
    inv = None if axes is None else np.argsort(axes)
    return np.transpose(x, axes), lambda g: (np.transpose(g, inv),)


def transpose(x, axes=None):
    """Permutes the axes of ``x`` (reverses them when ``axes`` is None)."""
    return _transpose(x, axes=None if axes is None else tuple(int(a) for a in axes))


def expand_dims(x, axis):
    """Inserts length-1 axes at ``axis`` (an int or a tuple)."""
    shape = np.shape(_val(x))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    ndim = len(shape) + len(axes)
    axes = {a % ndim for a in axes}
    it = iter(shape)
    return reshape(x, tuple(1 if i in axes else next(it) for i in range(ndim)))


def squeeze(x, axis=None):
    """Removes length-1 axes (all of them, or those in ``axis``)."""
    shape = np.shape(_val(x))
    if axis is None:
        axes = {i for i, n in enumerate(shape) if n == 1}
    else:
        axes = {a % len(shape) for a in (axis if isinstance(axis, (tuple, list)) else (axis,))}
        bad = [a for a in axes if shape[a] != 1]
        if bad:
            raise ValueError(f"squeeze: axis {bad[0]} of shape {shape} does not have length 1.")
    return reshape(x, tuple(n for i, n in enumerate(shape) if i not in axes))


def ravel(x):
    """Flattens ``x`` to one dimension."""
    return reshape(x, (-1,))


def swapaxes(x, axis1, axis2):
    """Interchanges two axes."""
    perm = list(range(np.ndim(_val(x))))
    perm[axis1], perm[axis2] = perm[axis2], perm[axis1]
    return transpose(x, perm)


def moveaxis(x, source, destination):
    """Moves axes ``source`` to positions ``destination``, as ``np.moveaxis``."""
    ndim = np.ndim(_val(x))
    src = [s % ndim for s in (source if isinstance(source, (tuple, list)) else (source,))]
    dst = [d % ndim for d in (destination if isinstance(destination, (tuple, list)) else (destination,))]
    perm = [i for i in range(ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        perm.insert(d, s)
    return transpose(x, perm)


@primitive
def broadcast_to(x, shape):
    """Broadcasts ``x`` to ``shape``; the tape sums the gradient back."""
    return np.broadcast_to(x, shape), lambda g: (g,)


# -- joining and splitting ----------------------------------------------------------------
@primitive
def _concatenate(*xs, axis):
    sizes = [np.shape(x)[axis] for x in xs]
    cuts = np.cumsum(sizes)[:-1]
    return np.concatenate(xs, axis=axis), lambda g: tuple(np.split(g, cuts, axis=axis))


def concatenate(xs, axis=0):
    """Joins a sequence of tensors along an existing ``axis``."""
    return _concatenate(*[_arr(x) for x in xs], axis=axis)


def stack(x, axis=0):
    """Joins a sequence of same-shaped tensors along a new ``axis``."""
    return concatenate([expand_dims(t, axis) for t in x], axis=axis)


@primitive
def _split(x, indices_or_sections, axis):
    outs = tuple(np.split(x, indices_or_sections, axis=axis))
    return outs, lambda gs: (np.concatenate(gs, axis=axis),)


def split(x, indices_or_sections, axis=0):
    """Splits ``x`` into equal sections (an int) or at the given indices; returns a list."""
    ios = indices_or_sections
    if not isinstance(ios, int):
        ios = [int(_val(i)) for i in ios]
    return list(_split(x, ios, axis=axis))


def unstack(x, num=None, axis=0):
    """Splits ``x`` along ``axis`` into a list of tensors with that axis removed."""
    n = np.shape(_val(x))[axis]
    return [squeeze(t, axis) for t in split(x, n, axis=axis)]


@primitive
def tile(x, repeats):
    """Repeats the whole of ``x`` ``repeats[i]`` times along each axis, as ``np.tile``."""
    x = np.asarray(x)
    reps = (repeats,) if isinstance(repeats, int) else tuple(repeats)
    d = builtins.max(x.ndim, len(reps))
    reps = (1,) * (d - len(reps)) + reps
    xs = (1,) * (d - x.ndim) + x.shape

    def vjp(g):
        g = g.reshape([n for pair in zip(reps, xs) for n in pair])
        return (g.sum(axis=tuple(range(0, 2 * d, 2))).reshape(x.shape),)

    return np.tile(x, reps), vjp


@primitive
def repeat(x, repeats, axis=None):
    """Repeats each element of ``x`` ``repeats`` times along ``axis`` (flattened if None)."""
    x = np.asarray(x)
    out = np.repeat(x, repeats, axis=axis)

    def vjp(g):
        src = x.reshape(-1) if axis is None else x
        ax = 0 if axis is None else axis % x.ndim
        owner = np.repeat(np.arange(src.shape[ax]), repeats)
        gx = np.zeros(src.shape, g.dtype)
        np.add.at(gx, (_slice(None),) * ax + (owner,), g)
        return (gx.reshape(x.shape),)

    return out, vjp


# -- padding ------------------------------------------------------------------------------
@primitive
def _pad_constant(x, pad_width, constant_values):
    x = np.asarray(x)
    out = np.pad(x, pad_width, mode="constant", constant_values=constant_values)
    inner = tuple(_slice(lo, lo + n) for (lo, _), n in zip(pad_width, x.shape))
    return out, lambda g: (g[inner],)


def pad(x, pad_width, mode="constant", constant_values=None):
    """Pads ``x``, as ``np.pad``.

    Args:
        x: input tensor.
        pad_width: ``((before, after), ...)`` per axis, or anything ``np.pad`` broadcasts.
        mode: ``"constant"``, ``"reflect"``, ``"symmetric"``, ``"edge"`` or ``"wrap"``.
        constant_values: the fill value for ``"constant"`` (default 0).

    Returns:
        The padded tensor.
    """
    ndim = np.ndim(_val(x))
    pw = tuple(tuple(int(v) for v in p) for p in np.broadcast_to(np.asarray(pad_width), (ndim, 2)))
    if mode == "constant":
        return _pad_constant(x, pw, 0 if constant_values is None else constant_values)
    if constant_values is not None:
        raise ValueError(f"pad: constant_values only applies to mode='constant', got mode={mode!r}.")
    # Every other mode gathers existing elements: pad the index range, then take.
    shape = np.shape(_val(x))
    for axis, p in enumerate(pw):
        if p != (0, 0):
            x = take(x, np.pad(np.arange(shape[axis]), p, mode=mode), axis=axis)
    return x


# -- gathering and indexing ---------------------------------------------------------------
def _sum_runs(ids, rows):
    """Sums each run of equal sorted ``ids`` of ``rows`` into the run's first row, in place.

    Returns the runs' first positions. A pairwise tree over each run: ``log2(longest run)``
    vectorised adds, each over the rows still to be combined. About 3x faster than
    ``np.add.reduceat`` on embedding gradients (which loops per run in C), and it stays
    fast when one id repeats thousands of times.
    """
    new = np.empty(ids.size, bool)
    new[0] = True
    np.not_equal(ids[1:], ids[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, ids.size))
    if counts.max() > 1:
        pos = np.arange(ids.size) - np.repeat(starts, counts)   # rank within the run
        size = np.repeat(counts, counts)
        live = np.flatnonzero(size > 1)
        step = 1
        while live.size:
            live = live[pos[live] % (2 * step) == 0]
            add = live[pos[live] + step < size[live]]
            rows[add] += rows[add + step]
            step *= 2
            live = live[size[live] > step]
    return starts


@primitive
def _take(x, indices, axis):
    x = np.asarray(x)
    idx = np.asarray(indices)

    def vjp(g):
        if axis is not None and axis % x.ndim == 0 and idx.size:
            # Row gathers (embeddings): sort the ids, then sum each run of equal ids.
            n = x.shape[0]
            flat = idx.reshape(-1)
            flat = np.where(flat < 0, flat + n, flat)
            compiled = kernels_for(g.dtype)
            if compiled is not None:  # the same sums, compiled
                rows = np.ascontiguousarray(g).reshape(flat.size, -1)
                return compiled.gather_rows_grad(flat, rows, n).reshape(x.shape), None
            order = np.argsort(flat, kind="stable")
            ids = flat[order]
            rows = g.reshape(flat.size, -1)[order]
            gx = np.zeros((n, rows.shape[1]), g.dtype)
            starts = _sum_runs(ids, rows)
            gx[ids[starts]] = rows[starts]
            return gx.reshape(x.shape), None
        gx = np.zeros(x.size if axis is None else x.shape, g.dtype)
        lead = () if axis is None else (_slice(None),) * (axis % x.ndim)
        np.add.at(gx, lead + (idx,), g)
        return gx.reshape(x.shape), None

    return np.take(x, idx, axis=axis), vjp


def take(x, indices, axis=None):
    """Gathers elements of ``x`` at integer ``indices`` along ``axis`` (flattened if None)."""
    return _take(x, _val(indices), axis=axis)


@primitive
def _take_along_axis(x, indices, axis):
    x = np.asarray(x)
    idx = np.asarray(indices)

    def vjp(g):
        ax = axis % x.ndim
        grid = list(np.ogrid[tuple(_slice(n) for n in idx.shape)])
        grid[ax] = idx
        gx = np.zeros(x.shape, g.dtype)
        np.add.at(gx, tuple(grid), g)
        return gx, None

    return np.take_along_axis(x, idx, axis=axis), vjp


def take_along_axis(x, indices, axis=None):
    """Gathers ``x`` along ``axis`` with ``indices`` of the same rank, as numpy."""
    if axis is None:
        x, axis = ravel(x), 0
    return _take_along_axis(x, _val(indices), axis=axis)


def _index_key(key):
    """Unwraps tensors (and lists) inside an indexing key into numpy arrays."""
    if isinstance(key, Tensor):
        return key.value
    if isinstance(key, list):
        if builtins.any(k is None or k is Ellipsis or isinstance(k, _slice) for k in key):
            # a multi-axis key written as a list, as Keras's saved GetItem nodes store it
            return tuple(_index_key(k) for k in key)
        return np.asarray([_val(k) for k in key])
    if isinstance(key, tuple):
        return tuple(_index_key(k) for k in key)
    return key


def _may_repeat(key):
    keys = key if isinstance(key, tuple) else (key,)
    return builtins.any(isinstance(k, np.ndarray) and k.dtype.kind in "iu" and k.ndim > 0
                        for k in keys)


@primitive
def _getitem(x, key):
    x = np.asarray(x)

    def vjp(g):
        gx = np.zeros(x.shape, g.dtype)
        # Integer arrays may select an element twice: only then pay for a scatter-add.
        if _may_repeat(key):
            np.add.at(gx, key, g)
        else:
            gx[key] = g
        return (gx,)

    return x[key], vjp


def getitem(x, key):
    """``x[key]`` with numpy semantics: slices, ints, None, Ellipsis, int arrays, bool masks.

    Example:
        >>> kcore.ops.getitem(kcore.ops.arange(6), slice(1, 3)).numpy()
        array([1, 2], dtype=int32)
    """
    return _getitem(x, key=_index_key(key))


def slice(inputs, start_indices, shape):
    """The block of ``inputs`` starting at ``start_indices`` with ``shape``."""
    key = tuple(_slice(int(_val(s)), int(_val(s)) + int(n)) for s, n in zip(start_indices, shape))
    return _getitem(inputs, key=key)


@primitive
def _slice_update(inputs, updates, key):
    out = np.array(inputs, copy=True)
    out[key] = updates

    def vjp(g):
        gi = np.array(g, copy=True)
        gi[key] = 0
        return gi, g[key]

    return out, vjp


def slice_update(inputs, start_indices, updates):
    """A copy of ``inputs`` with the block at ``start_indices`` replaced by ``updates``."""
    upd_shape = np.shape(_val(updates))
    key = tuple(_slice(int(_val(s)), int(_val(s)) + n) for s, n in zip(start_indices, upd_shape))
    return _slice_update(inputs, updates, key=key)


dynamic_update_slice = slice_update


@primitive
def _scatter(values, indices, shape):
    idx = tuple(np.moveaxis(np.asarray(indices), -1, 0))
    out = np.zeros(shape, np.asarray(values).dtype)
    np.add.at(out, idx, values)
    return out, lambda g: (g[idx], None)


def scatter(indices, values, shape):
    """A zero tensor of ``shape`` with ``values`` added at ``indices`` (shape ``(N, k)``)."""
    return _scatter(values, _val(indices), shape=tuple(shape))


@primitive
def _scatter_update(inputs, indices, updates):
    idx = tuple(np.moveaxis(np.asarray(indices), -1, 0))
    out = np.array(inputs, copy=True)
    out[idx] = updates

    def vjp(g):
        gi = np.array(g, copy=True)
        gi[idx] = 0
        return gi, None, g[idx]

    return out, vjp


def scatter_update(inputs, indices, updates):
    """A copy of ``inputs`` with the entries at ``indices`` (shape ``(N, k)``) set to ``updates``."""
    return _scatter_update(inputs, _val(indices), updates)


@primitive
def flip(x, axis=None):
    """Reverses the order of elements along ``axis`` (all axes if None)."""
    return np.flip(x, axis), lambda g: (np.flip(g, axis),)


@primitive
def roll(x, shift, axis=None):
    """Rolls elements of ``x`` by ``shift`` along ``axis``, as ``np.roll``."""
    neg = -np.asarray(shift) if not isinstance(shift, int) else -shift
    return np.roll(x, shift, axis), lambda g: (np.roll(g, neg, axis),)


# -- sorting --------------------------------------------------------------------------------
@nondifferentiable
def argsort(x, axis=-1):
    """Indices that sort ``x`` along ``axis`` (stable)."""
    return np.argsort(x, axis=axis, kind="stable")


def sort(x, axis=-1):
    """Sorts ``x`` along ``axis``; the gradient follows each element to its new place."""
    return take_along_axis(x, argsort(x, axis=axis), axis=axis)


def top_k(x, k, sorted=True):
    """The ``k`` largest entries along the last axis and their indices.

    Returns:
        ``(values, indices)``, largest first; ties keep the lower index first.
    """
    a = np.asarray(_val(x))
    idx = np.argsort(-a if a.dtype.kind != "b" else ~a, axis=-1, kind="stable")[..., :k]
    idx = idx.astype(np.int32)
    return take_along_axis(x, idx, axis=-1), Tensor(idx)
