"""Linear algebra: ``matmul``, ``einsum``, triangles and diagonals; products compose on einsum."""

import builtins
import string
from collections import Counter

import numpy as np

from kcore.backend.autodiff import primitive
from kcore.backend.tensor import Tensor
from kcore.ops.math import multiply
from kcore.ops.reductions import sum
from kcore.ops.shape import reshape

__all__ = ["matmul", "dot", "tensordot", "einsum", "outer", "inner", "trace", "vdot", "tril",
           "triu", "diag", "diagonal"]


@primitive
def matmul(x1, x2):
    """Matrix product with numpy's rules: 1-D operands are promoted, leading dims broadcast.

    Example:
        >>> kcore.ops.matmul(np.ones((2, 3)), np.ones((3, 4))).shape
        (2, 4)
    """
    x1 = np.asarray(x1)
    x2 = np.asarray(x2)
    out = np.matmul(x1, x2)

    def vjp(g, needs=(True, True)):
        if x1.ndim >= 2 and x2.ndim == 2:
            # The common (batch, ..., in) @ (in, out) case: one GEMM per needed gradient.
            ga = np.matmul(g, x2.T) if needs[0] else None
            gb = None
            if needs[1]:
                gb = np.matmul(x1.reshape(-1, x1.shape[-1]).T, g.reshape(-1, g.shape[-1]))
            return ga, gb
        # Promote 1-D operands to matrices, as the forward does, then undo the promotion.
        a = x1[None, :] if x1.ndim == 1 else x1
        b = x2[:, None] if x2.ndim == 1 else x2
        if x2.ndim == 1:
            g = np.expand_dims(g, -1)
        if x1.ndim == 1:
            g = np.expand_dims(g, -2)
        ga = np.matmul(g, np.swapaxes(b, -1, -2)) if needs[0] else None
        gb = np.matmul(np.swapaxes(a, -1, -2), g) if needs[1] else None
        if x1.ndim == 1 and ga is not None:
            ga = ga.reshape(ga.shape[:-2] + (-1,)).reshape(-1, x1.shape[0]).sum(0)
        if x2.ndim == 1 and gb is not None:
            gb = gb[..., 0].reshape(-1, x2.shape[0]).sum(0)
        return ga, gb

    return out, vjp


def _normalize_subscripts(subscripts, shapes):
    """Explicit form of an einsum spec: ellipses become letters, the output is spelled out."""
    subs = subscripts.replace(" ", "")
    ins, out = subs.split("->") if "->" in subs else (subs, None)
    ins = ins.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum: {subscripts!r} names {len(ins)} operands, got {len(shapes)}.")
    free = [c for c in string.ascii_letters if c not in subs]
    n_ell = [len(shape) - (len(s) - 3) if "..." in s else 0 for s, shape in zip(ins, shapes)]
    ell = "".join(free[:max(n_ell, default=0)])
    # Ellipsis dims are right-aligned across operands, as in broadcasting.
    ins = [s.replace("...", ell[len(ell) - n:]) for s, n in zip(ins, n_ell)]
    if out is None:
        counts = Counter(c for s in ins for c in s if c not in ell)
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1))
    else:
        out = out.replace("...", ell)
    return ins, out


@primitive
def _einsum(*operands, subscripts):
    ops = [np.asarray(o) for o in operands]
    ins, out = _normalize_subscripts(subscripts, [o.shape for o in ops])
    result = np.einsum(",".join(ins) + "->" + out, *ops, optimize=True)

    def grad(i, g):
        s, x = ins[i], ops[i]
        others = [j for j in range(len(ops)) if j != i]
        uniq = "".join(dict.fromkeys(s))
        avail = set(out).union(*[ins[j] for j in others])
        target = "".join(c for c in uniq if c in avail)
        expr = ",".join([out] + [ins[j] for j in others]) + "->" + target
        r = np.einsum(expr, g, *[ops[j] for j in others], optimize=True)
        if len(target) < len(uniq):
            # Letters summed out of this operand alone: its gradient is constant along them.
            size = dict(zip(s, x.shape))
            r = np.broadcast_to(r.reshape([r.shape[target.index(c)] if c in target else 1
                                           for c in uniq]), [size[c] for c in uniq])
        if len(uniq) < len(s):
            # Repeated letters (a diagonal): write into the diagonal view of a zero array.
            gx = np.zeros(x.shape, np.result_type(g, x))
            np.einsum(s + "->" + uniq, gx)[...] = r
            return gx
        return r

    return result, lambda g: tuple(grad(i, g) for i in range(len(ops)))


def einsum(subscripts, *operands, **kwargs):
    """Einstein summation, as ``np.einsum`` (ellipsis and implicit output supported).

    The gradient for each operand is another einsum of the upstream gradient with the
    other operands.

    Example:
        >>> kcore.ops.einsum("ij,jk->ik", np.ones((2, 3)), np.ones((3, 4))).shape
        (2, 4)
    """
    return _einsum(*operands, subscripts=subscripts)


def tensordot(x1, x2, axes=2):
    """Sums products over ``axes`` (an int, or a pair of axis lists), as ``np.tensordot``."""
    n1, n2 = np.ndim(_val(x1)), np.ndim(_val(x2))
    if isinstance(axes, int):
        a1, a2 = list(range(n1 - axes, n1)), list(range(axes))
    else:
        a1, a2 = ([a] if isinstance(a, int) else list(a) for a in axes)
    a1, a2 = [a % n1 for a in a1], [a % n2 for a in a2]
    letters = iter(string.ascii_letters)
    s1 = [next(letters) for _ in range(n1)]
    s2 = [next(letters) for _ in range(n2)]
    for i, j in zip(a1, a2):
        s2[j] = s1[i]
    out = [c for i, c in enumerate(s1) if i not in a1] + [c for j, c in enumerate(s2) if j not in a2]
    return einsum("".join(s1) + "," + "".join(s2) + "->" + "".join(out), x1, x2)


def _val(x):
    return x.value if isinstance(x, Tensor) else x


def dot(x1, x2):
    """Dot product with ``np.dot``'s rules (matmul for 1-D/2-D, last-by-second-last for N-D)."""
    n1, n2 = np.ndim(_val(x1)), np.ndim(_val(x2))
    if n1 == 0 or n2 == 0:
        return multiply(x1, x2)
    if n1 <= 2 and n2 <= 2:
        return matmul(x1, x2)
    return tensordot(x1, x2, axes=([-1], [-2 if n2 >= 2 else 0]))


def vdot(x1, x2):
    """Dot product of the flattened inputs."""
    return sum(multiply(reshape(x1, (-1,)), reshape(x2, (-1,))))


def outer(x1, x2):
    """Outer product of the flattened inputs."""
    return multiply(reshape(x1, (-1, 1)), reshape(x2, (1, -1)))


def inner(x1, x2):
    """Sums products over the last axes of ``x1`` and ``x2``."""
    if np.ndim(_val(x1)) == 0 or np.ndim(_val(x2)) == 0:
        return multiply(x1, x2)
    return tensordot(x1, x2, axes=([-1], [-1]))


def trace(x, offset=0, axis1=0, axis2=1):
    """Sum along the ``offset``-th diagonal over ``axis1`` and ``axis2``."""
    return sum(diagonal(x, offset=offset, axis1=axis1, axis2=axis2), axis=-1)


# -- triangles and diagonals ----------------------------------------------------------------
@primitive
def tril(x, k=0):
    """Zeroes the entries above the ``k``-th diagonal."""
    return np.tril(x, k), lambda g: (np.tril(g, k),)


@primitive
def triu(x, k=0):
    """Zeroes the entries below the ``k``-th diagonal."""
    return np.triu(x, k), lambda g: (np.triu(g, k),)


def _diag_index(n_rows, n_cols, k):
    rows = np.arange(builtins.max(0, -k), builtins.min(n_rows, n_cols - k))
    return rows, rows + k


@primitive
def diagonal(x, offset=0, axis1=0, axis2=1):
    """The ``offset``-th diagonal over ``axis1``, ``axis2``, appended as the last axis."""
    x = np.asarray(x)

    def vjp(g):
        gx = np.zeros(x.shape, g.dtype)
        view = np.moveaxis(gx, (axis1, axis2), (-2, -1))
        rows, cols = _diag_index(view.shape[-2], view.shape[-1], offset)
        view[..., rows, cols] = g
        return (gx,)

    return np.diagonal(x, offset, axis1, axis2).copy(), vjp


@primitive
def diag(x, k=0):
    """Builds a diagonal matrix from a vector, or extracts the diagonal of a matrix."""
    x = np.asarray(x)

    def vjp(g):
        if x.ndim == 1:
            return (np.diagonal(g, k).copy(),)
        gx = np.zeros(x.shape, g.dtype)
        gx[_diag_index(x.shape[0], x.shape[1], k)] = g
        return (gx,)

    return np.diag(x, k).copy(), vjp
