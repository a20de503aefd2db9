"""The numba kernels behind :mod:`kcore.backend.kernels` (imported only through it).

Each kernel computes exactly what the numpy code it replaces computes, element by element in
the same floating-point operations, so the two paths agree bit for bit.
"""

import numpy as np
from numba import njit

# error_model="numpy": a division by zero gives inf or NaN as in numpy, instead of raising
# (which would also keep LLVM from vectorising the loops).
_JIT = {"nogil": True, "cache": True, "error_model": "numpy"}


@njit(**_JIT)
def max_pool2d(x, kh, kw, out, first):
    """Max pooling of ``x (N, H, W, C)`` over non-overlapping ``kh x kw`` windows.

    Writes ``out (N, H // kh, W // kw, C)`` and, in ``first`` (same shape and dtype as
    ``out``), the number of each window's FIRST maximum cell in row-major window order, or
    ``kh * kw`` when the maximum is NaN: a NaN in a window makes its maximum NaN (as
    ``np.maximum``), and no cell equals NaN, so such a window sends no gradient back. The
    cell numbers are small integers, exact as floats; an array of the same width as ``x``
    keeps the loop vectorised (a uint8 one made it 40% slower). Rows and columns that do
    not fill a whole window are left out (``padding="valid"``).
    """
    n, h, w, c = x.shape
    o1, o2 = out.shape[1], out.shape[2]
    cells = kh * kw
    none = x.dtype.type(cells)
    for b in range(n):
        for i in range(o1):
            for j in range(o2):
                o, f = out[b, i, j], first[b, i, j]
                for ch in range(c):
                    o[ch] = x[b, i * kh, j * kw, ch]
                    f[ch] = 0
                for cell in range(1, cells):
                    v = x[b, i * kh + cell // kw, j * kw + cell % kw]
                    number = x.dtype.type(cell)
                    for ch in range(c):
                        # strictly greater: an equal later cell is not the first maximum;
                        # a NaN takes over (and the maximum stays once NaN: v > NaN is False)
                        take = (v[ch] > o[ch]) | (v[ch] != v[ch])
                        o[ch] = v[ch] if take else o[ch]
                        f[ch] = number if take else f[ch]
                for ch in range(c):
                    f[ch] = none if o[ch] != o[ch] else f[ch]


@njit(**_JIT)
def max_pool2d_grad(first, g, h, w, kh, kw):
    """Gradient of :func:`max_pool2d` w.r.t. ``x (N, h, w, C)``: each window's ``g`` goes to
    its cell ``first`` (to none when that is ``kh * kw``); every other cell gets zero.
    """
    n, o1, o2, c = g.shape
    dx = np.empty((n, h, w, c), g.dtype)
    zero = g.dtype.type(0)
    for b in range(n):
        for i in range(o1):
            for j in range(o2):
                for cell in range(kh * kw):
                    r, s = i * kh + cell // kw, j * kw + cell % kw
                    number = first.dtype.type(cell)
                    for ch in range(c):
                        dx[b, r, s, ch] = g[b, i, j, ch] if first[b, i, j, ch] == number else zero
        for r in range(h):
            for s in range(w):
                if r >= o1 * kh or s >= o2 * kw:
                    for ch in range(c):
                        dx[b, r, s, ch] = zero
    return dx


@njit(**_JIT)
def sign_times(y, g):
    """``np.sign(y) * g`` in one pass (the ReLU mask applied to a gradient), 1-D arrays."""
    out = np.empty_like(g)
    one, zero = y.dtype.type(1), y.dtype.type(0)
    for i in range(y.size):
        v = y[i]
        # np.sign: 1, -1, +0 for both zeros, NaN for NaN
        out[i] = (one if v > 0 else (-one if v < 0 else (zero if v == 0 else v))) * g[i]
    return out


@njit(**_JIT)
def col2im2d(cols, h, w, s1, s2, d1, d2):
    """``_col2im`` for 2D windows: ``cols (N, o1, o2, k1, k2, C)`` added into zeros
    ``(N, h, w, C)``. Each input cell receives its window cells' values in the same order as
    the numpy code (kernel offset by offset, onto zero), so the sums round the same way.
    """
    n, o1, o2, k1, k2, c = cols.shape
    dx = np.zeros((n, h, w, c), cols.dtype)
    for b in range(n):  # one sample's slab at a time stays in cache through the offsets
        for di in range(k1):
            for dj in range(k2):
                for i in range(o1):
                    r = i * s1 + di * d1
                    for j in range(o2):
                        q = j * s2 + dj * d2
                        for ch in range(c):
                            dx[b, r, q, ch] += cols[b, i, j, di, dj, ch]
    return dx


@njit(**_JIT)
def lstm_step_grad(a, tc, c_prev, dh, dc, gy, dz, dc_next):
    """The element-wise part of one backward step of the tanh/sigmoid LSTM, in one pass.

    Layout of ``recurrent._lstm_tanh_sigmoid``: ``a (4u, B)`` holds the gate activations in
    the order i, f, o (sigmoids) and g (tanh); ``tc = tanh(c_t)``, ``c_prev = c_{t-1}``,
    ``dh``/``dc`` the incoming gradients (``gy``, this step's output gradient, is added to
    ``dh`` in place first unless it is empty). Writes the pre-activation gradients ``dz
    (4u, B)`` and ``dc_next = dc_total * f``; every value is computed with the same
    operations in the same order as the numpy loop.
    """
    u, batch = dh.shape
    add_gy = gy.shape[0] > 0
    one = a.dtype.type(1)
    for j in range(u):
        for b in range(batch):
            if add_gy:
                dh[j, b] = dh[j, b] + gy[j, b]
            h = dh[j, b]
            i, f, o, g = a[j, b], a[u + j, b], a[2 * u + j, b], a[3 * u + j, b]
            t = tc[j, b]
            dct = (one - t * t) * (h * o) + dc[j, b]
            dz[j, b] = (dct * g) * ((one - i) * i)
            dz[u + j, b] = (dct * c_prev[j, b]) * ((one - f) * f)
            dz[2 * u + j, b] = (h * t) * ((one - o) * o)
            dz[3 * u + j, b] = dct * ((one - g * g) * i)
            dc_next[j, b] = dct * f


@njit(**_JIT)
def lstm_step_cell(a, c_prev, c):
    """The middle of one forward step of the tanh/sigmoid LSTM, in one pass.

    ``a (4u, B)`` holds ``tanh`` of the gate pre-activations (i, f, o halved, then g), as
    ``recurrent._lstm_tanh_sigmoid`` lays them out: the first three blocks become the
    sigmoids ``0.5 * a + 0.5`` in place, and ``c = f * c_prev + i * g`` is written.
    """
    u, batch = c.shape
    half = a.dtype.type(0.5)
    for j in range(3 * u):
        for b in range(batch):
            a[j, b] = a[j, b] * half + half
    for j in range(u):
        for b in range(batch):
            c[j, b] = a[u + j, b] * c_prev[j, b] + a[j, b] * a[3 * u + j, b]


@njit(**_JIT)
def adam_update(w, g, m, v, one_minus_b1, one_minus_b2, eps, alpha):
    """Adam's update of ``w`` and its moments ``m``, ``v`` in place, in one pass (1-D arrays).

    The operations and their order are ``optimizers.Adam.update_step``'s numpy passes;
    the scalars come in the arrays' dtype, as numpy casts Python floats there.
    """
    cast = w.dtype.type
    for k in range(w.size):
        gk = g[k]
        mk = m[k] + (gk - m[k]) * one_minus_b1
        vk = v[k] + (gk * gk - v[k]) * one_minus_b2
        m[k] = mk
        v[k] = vk
        # numba's sqrt of a float32 is a float64: rounding it back gives the float32 sqrt
        w[k] = w[k] - (mk / (cast(np.sqrt(vk)) + eps)) * alpha


@njit(**_JIT)
def gather_rows_grad(ids, rows, n):
    """Gradient of gathering rows ``ids`` (in ``[0, n)``) of an ``(n, D)`` table.

    The numpy code (``ops.shape._take``) sorts the ids stably and sums each run of equal
    ids by a pairwise tree: at step ``s = 1, 2, 4, ...`` the row of rank ``r`` (a multiple
    of ``2s``) within the run adds the row of rank ``r + s``. The same sums in the same
    tree here, with a counting sort, so the result is bit-identical.
    """
    count = np.zeros(n + 1, np.int64)
    for i in range(ids.size):
        count[ids[i] + 1] += 1
    for k in range(n):
        count[k + 1] += count[k]            # count[k]: first position of id k once sorted
    order = np.empty(ids.size, np.int64)
    fill = count[:n].copy()
    for i in range(ids.size):               # stable: occurrences keep their order
        order[fill[ids[i]]] = i
        fill[ids[i]] += 1
    width = rows.shape[1]
    grad = np.zeros((n, width), rows.dtype)
    longest = 0
    for k in range(n):
        longest = max(longest, count[k + 1] - count[k])
    run = np.empty((longest, width), rows.dtype)
    # Rows are copied element by element: a row assignment (``grad[k] = rows[i]``) makes
    # numba build two array views per row, which made the kernel 1.8x slower (1.06 vs
    # 0.60 ms median for the benchmark LSTM's 6400 ids of a 10000 x 64 table).
    for k in range(n):
        start, size = count[k], count[k + 1] - count[k]
        if size == 1:
            src = order[start]
            for j in range(width):
                grad[k, j] = rows[src, j]
        elif size > 1:
            for r in range(size):
                src = order[start + r]
                for j in range(width):
                    run[r, j] = rows[src, j]
            step = 1
            while step < size:
                for r in range(0, size - step, 2 * step):
                    for j in range(width):
                        run[r, j] = run[r, j] + run[r + step, j]
                step *= 2
            for j in range(width):
                grad[k, j] = run[0, j]
    return grad
