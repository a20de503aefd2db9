"""Fused recurrent primitives: a whole LSTM / GRU / SimpleRNN sequence as one op.

Each op runs the recurrence over time with numpy and returns a hand-written BPTT VJP:

* the input projection ``x @ kernel + bias`` of *all* time steps is one GEMM, and so are
  its gradients ``d_kernel = X^T dZ`` and ``dx = dZ kernel^T`` after the backward loop;
* each step does one fused gate GEMM ``h @ recurrent_kernel``; the backward loop stores the
  pre-activation gradients ``dZ`` of every step, so ``d_recurrent_kernel = H^T dZ`` is one
  GEMM over all steps too;
* the Python loop runs over time steps only; arrays are preallocated, time-major and in the
  inputs' dtype (float32 in practice).

The default LSTM (tanh cell, sigmoid gates) takes ``_lstm_tanh_sigmoid``, which keeps every
per-step array transposed (``(features, batch)``) so that each gate is a contiguous block and
needs about half the numpy calls per step; every other LSTM takes ``_lstm_generic``.

Masks (``(batch, time)`` booleans) follow Keras's ``backend.rnn``: at a masked step the
states are carried over unchanged and the output repeats the previous output (zeros before
the first unmasked step), or is zero with ``zero_output_for_mask=True``. With
``go_backwards=True`` the sequence is read from the end and the returned sequence is in
that (reversed) order, as in Keras.

Gate activations are given by name (``"tanh"``, ``"sigmoid"``, ``"relu"``,
``"hard_sigmoid"``, ``"linear"``); ``FUSED_ACTIVATIONS`` lists them. Layers fall back to a
step-by-step loop of ``kcore.ops`` for any other activation.
"""

import numpy as np

from kcore.backend.autodiff import is_recording, primitive
from kcore.backend.kernels import kernels_for

__all__ = ["lstm_sequence", "gru_sequence", "simple_rnn_sequence"]


# -- activations: y = f(x) in place, and f'(x) written in terms of y ----------------------
def _sigmoid_(a):
    # sigmoid(x) = (tanh(x / 2) + 1) / 2: one transcendental, no overflow for large |x|.
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5


def _hard_sigmoid_(a):
    a += 3.0
    np.clip(a, 0.0, 6.0, out=a)
    a /= 6.0


_FORWARD = {
    "tanh": lambda a: np.tanh(a, out=a),
    "sigmoid": _sigmoid_,
    "relu": lambda a: np.maximum(a, 0, out=a),
    "hard_sigmoid": _hard_sigmoid_,
    "linear": lambda a: None,
}
_DERIVATIVE = {
    "tanh": lambda y: 1.0 - y * y,
    "sigmoid": lambda y: y * (1.0 - y),
    "relu": lambda y: (y > 0).astype(y.dtype),
    "hard_sigmoid": lambda y: ((y > 0) & (y < 1)).astype(y.dtype) / 6.0,
    "linear": lambda y: np.ones_like(y),
}
FUSED_ACTIVATIONS = frozenset(_FORWARD)


class _Gates:
    """Applies per-column-block activations to a gate pre-activation array in place.

    Args:
        blocks: ``[(start, stop, name), ...]`` column blocks of the last axis.
        width: the last axis' size.
        dtype: the arrays' dtype.

    When every block is ``sigmoid`` or ``tanh`` (the default LSTM/GRU case) the whole array
    takes one ``exp``: ``sigmoid(x) = 1 / (1 + exp(-x))`` and ``tanh(x) = 2 sigmoid(2x) - 1``,
    i.e. ``1 / (1 + exp(pre * x))`` with ``pre`` = -1 or -2 per column, then ``2 s - 1`` on
    the tanh columns; the LSTM folds ``pre`` into its weights, saving one pass per step.
    numpy's ``exp`` is about twice as fast as its ``tanh``, and the activations dominate a
    small recurrent step. ``exp`` may overflow to ``inf`` for very negative inputs, which gives the exact limit
    (callers run the loop under ``np.errstate(over="ignore")``).
    Both derivatives are ``p + y (r - y)`` (``y (1 - y)``, ``1 - y^2``).
    """

    def __init__(self, blocks, width, dtype):
        for _, _, name in blocks:
            if name not in _FORWARD:
                raise ValueError(f"No fused kernel for activation {name!r}; known: "
                                 f"{sorted(_FORWARD)}.")
        self.blocks = blocks
        names = {name for _, _, name in blocks}
        self.fast = names <= {"sigmoid", "tanh"}
        if self.fast:
            tanh = np.zeros(width, bool)
            for lo, hi, name in blocks:
                tanh[lo:hi] = name == "tanh"
            self.tanh_blocks = [(lo, hi) for lo, hi, name in blocks if name == "tanh"]
            # Callers may fold this column scale into their weights (``prescaled=True``).
            self.pre = np.where(tanh, -2.0, -1.0).astype(dtype)
            self.p = np.where(tanh, 1.0, 0.0).astype(dtype)
            self.r = np.where(tanh, 0.0, 1.0).astype(dtype)

    def __call__(self, a, prescaled=False):
        """Activates ``a`` in place; ``prescaled``: ``a`` was already multiplied by ``pre``."""
        if self.fast:
            if not prescaled:
                a *= self.pre
            np.exp(a, out=a)
            a += 1.0
            np.reciprocal(a, out=a)
            for lo, hi in self.tanh_blocks:
                block = a[..., lo:hi]
                block *= 2.0
                block -= 1.0
        else:
            for lo, hi, name in self.blocks:
                _FORWARD[name](a[..., lo:hi])

    def apply_to(self, src, out):
        """Writes the activation of ``src`` into ``out``."""
        if self.fast:
            np.multiply(src, self.pre, out=out)
            self(out, prescaled=True)
        else:
            np.copyto(out, src)
            self(out)

    def prescale(self, w):
        """``w`` with its last axis scaled by ``pre`` (as is when there is no fast path)."""
        return w * self.pre if self.fast and w is not None else w

    def derivative(self, y, out):
        """Writes ``f'(x)`` for the activated array ``y = f(x)`` into ``out``; returns it.

        Backward loops call this per step on cache-sized arrays: whole-sequence
        element-wise passes are memory-bound and cost more than the per-step calls.
        """
        if self.fast:
            np.subtract(self.r, y, out=out)
            out *= y
            out += self.p
            return out
        for lo, hi, name in self.blocks:
            out[..., lo:hi] = _DERIVATIVE[name](y[..., lo:hi])
        return out


# -- shared plumbing: time-major inputs, the all-steps input projection, masks ------------
class _Sequence:
    """The input side of a fused recurrence, time-major and in processing order.

    ``X`` is ``(T, B, in)``, ``XW = X @ kernel + input_bias`` is ``(T, B, G*units)``, ``M``
    the mask as ``(T, B, 1)`` booleans or ``None`` (an all-true mask counts as none).
    """

    def __init__(self, x, kernel, input_bias, mask, go_backwards, scale=None):
        x = np.asarray(x)
        dtype = np.result_type(x.dtype, kernel.dtype)
        X = np.swapaxes(x, 0, 1)
        if go_backwards:
            X = X[::-1]
        self.X = np.ascontiguousarray(X, dtype=dtype)
        self.go_backwards = go_backwards
        T, B, n = self.X.shape
        if T == 0:
            raise ValueError("A recurrent layer needs at least one time step, got 0.")
        # ``scale``: a per-column factor folded into the projection (see ``_Gates``).
        xw = self.X.reshape(T * B, n) @ (kernel if scale is None else kernel * scale)
        if input_bias is not None:
            xw += input_bias if scale is None else input_bias * scale
        self.XW = xw.reshape(T, B, -1)
        self.M = None
        if mask is not None:
            m = np.asarray(mask).astype(bool)
            if m.shape != (B, T):
                raise ValueError(f"The mask must have shape (batch, time) = {(B, T)}, got "
                                 f"{m.shape}.")
            if not m.all():
                m = m.T[::-1] if go_backwards else m.T
                self.M = np.ascontiguousarray(m)[:, :, None]

    def gradients(self, dZ, kernel):
        """``(dx, d_kernel, d_input_bias)`` from the projection's gradient ``dZ``."""
        T, B, n = self.X.shape
        dZ2 = dZ.reshape(T * B, -1)
        d_kernel = self.X.reshape(T * B, n).T @ dZ2
        dx = (dZ2 @ kernel.T).reshape(T, B, n)
        if self.go_backwards:
            dx = dx[::-1]
        return np.ascontiguousarray(np.swapaxes(dx, 0, 1)), d_kernel, dZ2.sum(axis=0)

    def batch_major(self, seq):
        """A time-major ``(T, B, u)`` sequence as the ``(B, T, u)`` output."""
        return np.ascontiguousarray(np.swapaxes(seq, 0, 1))

    def time_major(self, g):
        """The ``(B, T, u)`` output gradient as time-major, or ``None``."""
        return None if g is None else np.ascontiguousarray(np.swapaxes(g, 0, 1))


class _Outputs:
    """Keras's masked outputs: ``y_t = h_t`` at kept steps, else ``y_{t-1}`` (or zeros)."""

    def __init__(self, T, B, u, dtype, keep_sequence, zero_output):
        self.Y = np.zeros((T, B, u), dtype) if keep_sequence else None
        self.last = np.zeros((B, u), dtype)
        self.zero_output = zero_output

    def step(self, t, m, h_new):
        prev = 0.0 if self.zero_output else self.last
        self.last = np.where(m, h_new, prev).astype(h_new.dtype, copy=False)
        if self.Y is not None:
            self.Y[t] = self.last


def _masked_split(m, dh, dc, gy, zero_output):
    """Backward through one masked step's ``where``s.

    Returns the gradients reaching the cell's new ``h`` and ``c``, those carried straight
    to the previous states, and the gradient carried to the previous output.
    """
    keep = ~m
    dh_new = np.where(m, dh + gy, 0.0)
    dc_new = np.where(m, dc, 0.0) if dc is not None else None
    dh_skip = np.where(keep, dh, 0.0)
    dc_skip = np.where(keep, dc, 0.0) if dc is not None else None
    dy_prev = np.zeros_like(gy) if zero_output else np.where(keep, gy, 0.0)
    return dh_new, dc_new, dh_skip, dc_skip, dy_prev


def _zeros_if_none(g, like):
    return np.zeros_like(like) if g is None else g


def _out(seq, Y_tm, last, keep_sequence):
    return seq.batch_major(Y_tm) if keep_sequence else last


# -- LSTM ---------------------------------------------------------------------------------
@primitive
def lstm_sequence(x, h0, c0, kernel, recurrent_kernel, bias=None, *, mask=None,
                  go_backwards=False, return_sequences=True, zero_output_for_mask=False,
                  activation="tanh", recurrent_activation="sigmoid"):
    """Runs an LSTM (Keras gate order i, f, c, o) over a whole sequence.

    Args:
        x: inputs ``(batch, time, features)``.
        h0, c0: initial states ``(batch, units)``.
        kernel: ``(features, 4 * units)``; recurrent_kernel: ``(units, 4 * units)``;
            bias: ``(4 * units,)`` or ``None``.
        mask: optional ``(batch, time)`` booleans (static, not differentiated).
        go_backwards: read the sequence from the end (the output sequence is reversed).
        return_sequences: return every step's output rather than the last one.
        zero_output_for_mask: masked steps output zeros instead of the previous output.
        activation, recurrent_activation: names from ``FUSED_ACTIVATIONS``.

    Returns:
        ``(outputs, h_T, c_T)``: ``outputs`` is ``(batch, time, units)`` or, without
        ``return_sequences``, the last output ``(batch, units)``.
    """
    if activation == "tanh" and recurrent_activation == "sigmoid" and np.ndim(x) == 3:
        return _lstm_tanh_sigmoid(x, h0, c0, kernel, recurrent_kernel, bias, mask,
                                  go_backwards, return_sequences, zero_output_for_mask)
    return _lstm_generic(x, h0, c0, kernel, recurrent_kernel, bias, mask, go_backwards,
                         return_sequences, zero_output_for_mask, activation,
                         recurrent_activation)


def _lstm_generic(x, h0, c0, kernel, recurrent_kernel, bias, mask, go_backwards,
                  return_sequences, zero_output_for_mask, activation, recurrent_activation):
    """Any fused activations, batch-major: gate blocks are column blocks of ``(B, 4u)``."""
    U = np.asarray(recurrent_kernel)
    u = U.shape[0]
    dtype = np.result_type(np.asarray(x).dtype, kernel.dtype)
    gates = _Gates([(0, 2 * u, recurrent_activation), (2 * u, 3 * u, activation),
                    (3 * u, 4 * u, recurrent_activation)], 4 * u, dtype)
    cell_act = _Gates([(0, u, activation)], u, dtype)
    prescaled = gates.fast
    seq = _Sequence(x, kernel, bias, mask, go_backwards, gates.pre if prescaled else None)
    T, B, _ = seq.XW.shape
    U_scaled = gates.prescale(U)
    save = is_recording()
    A = np.empty((T if save else 1, B, 4 * u), dtype)      # gate activations i, f, g, o
    TC = np.empty((T if save else 1, B, u), dtype)         # activation(c_new)
    H = np.empty((T + 1, B, u), dtype)                     # carried h, H[0] = h0
    C = np.empty((T + 1, B, u), dtype)
    H[0], C[0] = h0, c0
    outs = _Outputs(T, B, u, dtype, return_sequences, zero_output_for_mask) \
        if seq.M is not None else None
    ig = np.empty((B, u), dtype)
    # Hot loop: one GEMM and ~15 in-place ufuncs on cache-sized arrays per time step.
    with np.errstate(over="ignore"):
        for t in range(T):
            a = A[t if save else 0]
            tc = TC[t if save else 0]
            np.matmul(H[t], U_scaled, out=a)
            a += seq.XW[t]
            gates(a, prescaled=prescaled)
            np.multiply(a[:, u:2 * u], C[t], out=C[t + 1])
            np.multiply(a[:, :u], a[:, 2 * u:3 * u], out=ig)
            C[t + 1] += ig
            cell_act.apply_to(C[t + 1], tc)
            np.multiply(a[:, 3 * u:], tc, out=H[t + 1])
            if outs is not None:
                m = seq.M[t]
                outs.step(t, m, H[t + 1])
                np.copyto(H[t + 1], H[t], where=~m)
                np.copyto(C[t + 1], C[t], where=~m)
    if outs is None:
        y = _out(seq, H[1:], H[T].copy(), return_sequences)
    else:
        y = _out(seq, outs.Y, outs.last, return_sequences)

    def vjp(gs):
        gy, gh, gc = gs
        g_seq = seq.time_major(gy) if return_sequences else None
        g_last = None if return_sequences else gy
        dZ = np.empty_like(A)
        dh, dc = _lstm_backward_loop(seq, A, TC, C, (gates, cell_act), U, dZ, g_seq, g_last,
                                     _zeros_if_none(gh, h0), _zeros_if_none(gc, c0),
                                     zero_output_for_mask)
        dx, d_kernel, d_bias = seq.gradients(dZ, kernel)
        d_rec = H[:T].reshape(T * B, u).T @ dZ.reshape(T * B, 4 * u)
        return dx, dh, dc, d_kernel, d_rec, (d_bias if bias is not None else None)

    return (y, H[T].copy(), C[T].copy()), vjp


def _lstm_tanh_sigmoid(x, h0, c0, kernel, recurrent_kernel, bias, mask, go_backwards,
                       return_sequences, zero_output):
    """The default LSTM (tanh, sigmoid gates) in a layout made for numpy's per-call costs.

    Everything is transposed, ``(features, batch)`` per step, so each gate is a contiguous
    block of rows (numpy is about 3x slower on a column block of a row-major array), and
    the gate rows are reordered i, f, o, g so that the three sigmoid gates are one block:

    * each step's gates come from ONE GEMM, ``[U^T | W^T | b] @ [h_t; x_t; 1]``, written
      straight into the gate array: the input rows ``x_t`` and a row of ones sit under
      ``h_t`` in the step's operand ``S[t]``. The input projection costs the same FLOPs as
      a separate batched GEMM of all steps, but a GEMM with K = u + n + 1 runs at a higher
      rate than one with K = u + 1 plus one with K = n, and the ``a += U h`` pass goes
      (the benchmark's LSTM, forward + backward of one batch, interleaved in one process:
      28.7 -> 26.7 ms median);
    * ``sigmoid(z) = 0.5 tanh(z / 2) + 0.5``: the 0.5 is folded into the weights, so all
      four gates take one ``tanh`` call and the sigmoid block one multiply-add;
    * a forward step is one GEMM and 8 ufunc calls, a backward step one GEMM and ~16, all on
      contiguous arrays.
    """
    x = np.asarray(x)
    W = np.asarray(kernel)
    U = np.asarray(recurrent_kernel)
    dtype = np.result_type(x.dtype, W.dtype)
    B, T, n = x.shape
    if T == 0:
        raise ValueError("A recurrent layer needs at least one time step, got 0.")
    u = U.shape[0]
    perm = np.r_[0:2 * u, 3 * u:4 * u, 2 * u:3 * u]          # Keras i, f, c, o -> i, f, o, g
    scale = np.ones(4 * u, dtype)
    scale[:3 * u] = 0.5
    Wall = np.empty((4 * u, u + n + 1), dtype)                           # [U^T | W^T | bias]
    Wall[:, :u] = (U[:, perm] * scale).T
    Wall[:, u:u + n] = (W[:, perm] * scale).T
    Wall[:, u + n] = 0.0 if bias is None else np.asarray(bias)[perm] * scale
    Xv = x.transpose(1, 2, 0)                                            # (T, n, B) view
    if go_backwards:
        Xv = Xv[::-1]
    M = _time_mask(mask, B, T, go_backwards)
    save = is_recording()
    S = np.empty((T + 1, u + n + 1, B), dtype)                           # [h_t; x_t; 1]
    S[0, :u] = np.asarray(h0).T
    S[:T, u:u + n] = Xv
    S[T, u:u + n] = 0.0
    S[:, u + n] = 1.0
    A = np.empty((T, 4 * u, B), dtype)                                   # gate activations
    C = np.empty((T + 1, u, B), dtype)
    C[0] = np.asarray(c0).T
    TC = np.empty((T if save else 1, u, B), dtype)                       # tanh(c_t)
    outs = _Outputs(T, u, B, dtype, return_sequences, zero_output) if M is not None else None
    compiled = kernels_for(dtype)
    ig = np.empty((u, B), dtype) if compiled is None else None
    for t in range(T):
        a = A[t]
        np.matmul(Wall, S[t], out=a)
        np.tanh(a, out=a)
        c, h, tc = C[t + 1], S[t + 1, :u], TC[t if save else 0]
        if compiled is not None:  # the same arithmetic in one compiled pass
            compiled.lstm_step_cell(a, C[t], c)
        else:
            s = a[:3 * u]
            s *= 0.5
            s += 0.5
            np.multiply(a[u:2 * u], C[t], out=c)
            np.multiply(a[:u], a[3 * u:], out=ig)
            c += ig
        np.tanh(c, out=tc)
        np.multiply(a[2 * u:3 * u], tc, out=h)
        if outs is not None:
            m = M[t]
            outs.step(t, m, h)
            np.copyto(h, S[t, :u], where=~m)
            np.copyto(c, C[t], where=~m)
    seq_tm = S[1:, :u] if outs is None else outs.Y
    if return_sequences:
        y = np.ascontiguousarray(seq_tm.transpose(2, 0, 1))
    else:
        y = np.ascontiguousarray((S[T, :u] if outs is None else outs.last).T)

    def vjp(gs):
        gy, gh, gc = gs
        g_seq = g_last = None
        if gy is not None:
            if return_sequences:
                g_seq = np.ascontiguousarray(np.asarray(gy).transpose(1, 2, 0), dtype=dtype)
            else:
                g_last = np.asarray(gy, dtype).T
        dh = np.zeros((u, B), dtype) if gh is None else np.array(np.asarray(gh).T, dtype, order="C")
        dc = np.zeros((u, B), dtype) if gc is None else np.array(np.asarray(gc).T, dtype, order="C")
        UW = np.empty((u + n, 4 * u), dtype)                             # [U; W], unscaled
        UW[:u] = U[:, perm]
        UW[u:] = W[:, perm]
        sums = _GateGradSums(T, u, n, B, dtype, S, go_backwards)
        masked = M is not None
        dy = None
        if masked:
            dy = np.zeros((u, B), dtype) if g_last is None else np.array(g_last)
        elif g_last is not None:
            dh += g_last
        dc_next = np.empty((u, B), dtype)
        compiled = None if masked else kernels_for(dtype)
        if compiled is not None:
            no_gy = np.empty((0, B), dtype)
        else:
            dho, dct = np.empty((u, B), dtype), np.empty((u, B), dtype)
            ds, dg = np.empty((3 * u, B), dtype), np.empty((u, B), dtype)
        for t in range(T - 1, -1, -1):
            a, tc = A[t], TC[t]
            dz, hx = sums.slot(t)
            if compiled is not None:  # the same arithmetic in one compiled pass
                compiled.lstm_step_grad(a, tc, C[t], dh, dc,
                                        no_gy if g_seq is None else g_seq[t], dz, dc_next)
                np.matmul(UW, dz, out=hx)                                # [dh_{t-1}; dx_t^T]
                dh = hx[:u]
            else:
                if masked:
                    gy_t = dy if g_seq is None else dy + g_seq[t]
                    dh_new, dc_new, dh_skip, dc_skip, dy = _masked_split(M[t], dh, dc, gy_t,
                                                                         zero_output)
                else:
                    if g_seq is not None:
                        dh += g_seq[t]
                    dh_new, dc_new = dh, dc
                # dc_total = dc + dh * o * (1 - tanh(c)^2)
                np.multiply(dh_new, a[2 * u:3 * u], out=dho)
                np.multiply(tc, tc, out=dct)
                np.subtract(1.0, dct, out=dct)
                dct *= dho
                dct += dc_new
                np.multiply(dct, a[3 * u:], out=dz[:u])
                np.multiply(dct, C[t], out=dz[u:2 * u])
                np.multiply(dh_new, tc, out=dz[2 * u:3 * u])
                s = a[:3 * u]
                np.subtract(1.0, s, out=ds)
                ds *= s
                dz[:3 * u] *= ds
                g = a[3 * u:]
                np.multiply(g, g, out=dg)
                np.subtract(1.0, dg, out=dg)
                dg *= a[:u]
                np.multiply(dct, dg, out=dz[3 * u:])
                np.matmul(UW, dz, out=hx)
                np.multiply(dct, a[u:2 * u], out=dc_next)
                dh = hx[:u]
                if masked:
                    dh += dh_skip
                    dc_next += dc_skip
            dc, dc_next = dc_next, dc
            sums.add(t)
        dx, dWall = sums.dx, sums.dWall
        d_kernel = np.empty((n, 4 * u), dtype)
        d_kernel[:, perm] = dWall[:, u:u + n].T
        d_rec = np.empty((u, 4 * u), dtype)
        d_rec[:, perm] = dWall[:, :u].T
        d_bias = None
        if bias is not None:
            d_bias = np.empty(4 * u, dtype)
            d_bias[perm] = dWall[:, u + n]
        return (dx, np.ascontiguousarray(dh.T), np.ascontiguousarray(dc.T), d_kernel, d_rec,
                d_bias)

    return (y, np.ascontiguousarray(S[T, :u].T), np.ascontiguousarray(C[T].T)), vjp


class _GateGradSums:
    """The weight gradients of the LSTM fast path, from each chunk of steps at once, and the
    input gradient gathered chunk by chunk.

    The weight gradients are a sum over (step, sample) of the gate gradients ``dz_t (4u, B)``
    times the forward GEMM's operand: ``[dU^T | dW^T | d_bias] = sum_t dz_t S[t]^T`` with
    ``S[t] = [h_t; x_t; 1]``. The backward loop writes ``dz_t`` into a ring of :attr:`STEPS`
    slots; when a chunk of that many steps is complete, one GEMM runs on a time-major copy
    ``(4u, steps * B)`` while the chunk is still in cache, so every copy moves rows of ``B``
    contiguous floats. (Done once after the loop, the same GEMM needs the whole ``dz``,
    6.5 MB in the benchmark's LSTM, read back from memory.)

    The input gradient ``dx_t^T = W dz_t`` rides on the loop's own GEMM, ``[U; W] dz_t``,
    whose first ``u`` rows are the next step's ``dh``: in the benchmark's shapes the GEMM
    with ``u + n`` rows costs about 7 us more than the one with ``u``, where a separate
    ``dz^T W^T`` GEMM per chunk cost about 17 us per step. The loop writes that output into
    a second ring; each chunk's ``dx`` rows are copied to ``(B, T, n)`` with the chunk
    (forward + backward of the benchmark's batch, 100 interleaved rounds in one process:
    26.0 -> 25.1 ms median against a second GEMM per chunk). The weight gradients add
    chunk by chunk, so they round differently from one GEMM over all steps.
    """

    #: Steps per chunk.
    STEPS = 16

    def __init__(self, T, u, n, B, dtype, S, go_backwards):
        self.T, self.B, self.u, self.go_backwards = T, B, u, go_backwards
        steps = self.steps = min(T, self.STEPS)
        self.S, self.k = S, u + n + 1
        self.ring = np.empty((steps, 4 * u, B), dtype)                   # dz_t
        self.out = np.empty((steps, u + n, B), dtype)                    # [dh_{t-1}; dx_t^T]
        self.z = np.empty(4 * u * steps * B, dtype)                      # flat buffers, viewed
        self.s = np.empty(steps * B * self.k, dtype)                     # per chunk length
        self.part = np.empty((4 * u, self.k), dtype)
        self.dx = np.empty((B, T, n), dtype)
        self.dWall = None

    def slot(self, t):
        """Where the backward loop writes ``dz_t`` and ``[U; W] dz_t``."""
        return self.ring[t % self.steps], self.out[t % self.steps]

    def add(self, t):
        """Called after step ``t`` is written; the loop runs from ``t = T - 1`` down to 0."""
        if t % self.steps == 0:
            self._chunk(t, min(t + self.steps, self.T))

    def _chunk(self, t0, t1):
        k, B = t1 - t0, self.B
        four_u = self.ring.shape[1]
        z = self.z[:four_u * k * B].reshape(four_u, k, B)
        np.copyto(z, self.ring[:k].transpose(1, 0, 2))
        z = z.reshape(four_u, k * B)
        s = self.s[:k * B * self.k].reshape(k, B, self.k)
        np.copyto(s, self.S[t0:t1].transpose(0, 2, 1))
        if self.dWall is None:
            self.dWall = np.matmul(z, s.reshape(k * B, self.k))
        else:
            self.dWall += np.matmul(z, s.reshape(k * B, self.k), out=self.part)
        dx = self.out[:k, self.u:].transpose(2, 0, 1)                    # (B, k, n), t0 .. t1-1
        if self.go_backwards:                                            # step t is time T-1-t
            self.dx[:, self.T - t1:self.T - t0] = dx[:, ::-1]
        else:
            self.dx[:, t0:t1] = dx


def _time_mask(mask, B, T, go_backwards):
    """The ``(batch, time)`` mask as ``(T, 1, B)`` booleans in processing order, or ``None``."""
    if mask is None:
        return None
    m = np.asarray(mask).astype(bool)
    if m.shape != (B, T):
        raise ValueError(f"The mask must have shape (batch, time) = {(B, T)}, got {m.shape}.")
    if m.all():
        return None
    m = m.T[::-1] if go_backwards else m.T
    return np.ascontiguousarray(m)[:, None, :]


def _lstm_backward_loop(seq, A, TC, C, acts, U, dZ, g_seq, g_last, dh, dc, zero_output):
    """BPTT through the LSTM steps; fills ``dZ`` and returns ``(dh0, dc0)``.

    Hot loop: one GEMM and ~16 ufuncs on cache-sized arrays per step (plus the mask
    ``where``s when masked).
    """
    T, B, _ = A.shape
    u = U.shape[0]
    gates, cell_act = acts
    d_gates = np.empty((B, 4 * u), A.dtype)
    dct = np.empty((B, u), A.dtype)
    UT = np.ascontiguousarray(U.T)
    dh = np.array(dh, dtype=A.dtype)
    dc = np.array(dc, dtype=A.dtype)
    masked = seq.M is not None
    dy = (np.zeros_like(dh) if g_last is None else np.array(g_last, A.dtype)) if masked else None
    if not masked and g_last is not None:
        dh += g_last
    for t in range(T - 1, -1, -1):
        a, dz = A[t], dZ[t]
        if masked:
            gy = dy if g_seq is None else dy + g_seq[t]
            dh_new, dc_new, dh_skip, dc_skip, dy = _masked_split(seq.M[t], dh, dc, gy,
                                                                 zero_output)
        else:
            if g_seq is not None:
                dh += g_seq[t]
            dh_new, dc_new = dh, dc
        # dc_total = dc + dh * o * act'(c)
        cell_act.derivative(TC[t], out=dct)
        dct *= a[:, 3 * u:]
        dct *= dh_new
        dct += dc_new
        np.multiply(dct, a[:, 2 * u:3 * u], out=dz[:, :u])
        np.multiply(dct, C[t], out=dz[:, u:2 * u])
        np.multiply(dct, a[:, :u], out=dz[:, 2 * u:3 * u])
        np.multiply(dh_new, TC[t], out=dz[:, 3 * u:])
        dz *= gates.derivative(a, out=d_gates)
        dh = dz @ UT
        dc = dct * a[:, u:2 * u]
        if masked:
            dh += dh_skip
            dc += dc_skip
    return dh, dc


# -- GRU ----------------------------------------------------------------------------------
@primitive
def gru_sequence(x, h0, kernel, recurrent_kernel, bias=None, *, mask=None, go_backwards=False,
                 return_sequences=True, zero_output_for_mask=False, reset_after=True,
                 activation="tanh", recurrent_activation="sigmoid"):
    """Runs a GRU (Keras gate order z, r, h) over a whole sequence.

    ``reset_after=True`` (Keras's default): ``hh = act(x W_h + b_h + r * (h U_h + b'_h))``
    with ``bias`` of shape ``(2, 3 * units)`` (input bias, recurrent bias);
    ``reset_after=False``: ``hh = act(x W_h + b_h + (r * h) U_h)`` with ``bias (3 * units,)``.
    Then ``h = z * h_prev + (1 - z) * hh``.

    Args and returns as ``lstm_sequence``, without the carry state: ``(outputs, h_T)``.
    """
    U = np.asarray(recurrent_kernel)
    u = U.shape[0]
    b_in = b_rec = None
    if bias is not None:
        b_in, b_rec = (bias[0], bias[1]) if reset_after else (bias, None)
    seq = _Sequence(x, kernel, b_in, mask, go_backwards)
    T, B, _ = seq.XW.shape
    dtype = seq.XW.dtype
    zr_act = _Gates([(0, 2 * u, recurrent_activation)], 2 * u, dtype)
    h_act = _Gates([(0, u, activation)], u, dtype)
    save = is_recording()
    n = T if save else 1
    ZR = np.empty((n, B, 2 * u), dtype)          # update and reset gates
    HH = np.empty((n, B, u), dtype)              # candidate state
    RH = np.empty((n, B, u), dtype)              # h U_h + b'_h (reset_after) or r * h_prev
    H = np.empty((T + 1, B, u), dtype)
    H[0] = h0
    outs = _Outputs(T, B, u, dtype, return_sequences, zero_output_for_mask) \
        if seq.M is not None else None
    Uzr = U if reset_after else np.ascontiguousarray(U[:, :2 * u])
    Uh = np.ascontiguousarray(U[:, 2 * u:])
    # Hot loop: one (reset_after) or two GEMMs and ~15 ufuncs per step.
    with np.errstate(over="ignore"):
        for t in range(T):
            _gru_step(t, t if save else 0, seq, (ZR, HH, RH, H), (Uzr, Uh, b_rec),
                      (zr_act, h_act), reset_after, outs)
    if outs is None:
        y = _out(seq, H[1:], H[T].copy(), return_sequences)
    else:
        y = _out(seq, outs.Y, outs.last, return_sequences)

    def vjp(gs):
        gy, gh = gs
        g_seq = seq.time_major(gy) if return_sequences else None
        g_last = None if return_sequences else gy
        dZ = np.empty((T, B, 3 * u), dtype)     # gradient of x W + b_in
        # reset_after: gradient of h U + b_rec (all three gates)
        dI = np.empty((T, B, 3 * u), dtype) if reset_after else None
        dh = _gru_backward_loop(seq, (ZR, HH, RH, H), (zr_act, h_act), Uzr, Uh, dZ, dI, g_seq,
                                g_last, _zeros_if_none(gh, h0), zero_output_for_mask)
        dx, d_kernel, d_bias_in = seq.gradients(dZ, kernel)
        Hp = H[:T].reshape(T * B, u)
        dZ2 = dZ.reshape(T * B, 3 * u)
        d_rec = np.empty_like(U)
        if reset_after:
            dI2 = dI.reshape(T * B, 3 * u)
            d_rec[...] = Hp.T @ dI2
            d_bias = np.stack([d_bias_in, dI2.sum(axis=0)]) if bias is not None else None
        else:
            d_rec[:, :2 * u] = Hp.T @ dZ2[:, :2 * u]
            d_rec[:, 2 * u:] = RH.reshape(T * B, u).T @ dZ2[:, 2 * u:]
            d_bias = d_bias_in if bias is not None else None
        return dx, dh, d_kernel, d_rec, d_bias

    return (y, H[T].copy()), vjp


def _gru_step(t, k, seq, arrays, weights, acts, reset_after, outs):
    """One GRU forward step: fills ``ZR[k], HH[k], RH[k]`` and ``H[t + 1]``."""
    ZR, HH, RH, H = arrays
    Uzr, Uh, b_rec = weights
    zr_act, h_act = acts
    u = HH.shape[2]
    zr, hh, rh, h = ZR[k], HH[k], RH[k], H[t]
    inner = h @ Uzr
    if b_rec is not None:
        inner += b_rec
    np.add(seq.XW[t, :, :2 * u], inner[:, :2 * u], out=zr)
    zr_act(zr)
    if reset_after:
        np.copyto(rh, inner[:, 2 * u:])
        np.multiply(zr[:, u:], rh, out=hh)
    else:
        np.multiply(zr[:, u:], h, out=rh)
        np.matmul(rh, Uh, out=hh)
    hh += seq.XW[t, :, 2 * u:]
    h_act(hh)
    # h_new = hh + z * (h - hh)
    np.subtract(h, hh, out=H[t + 1])
    H[t + 1] *= zr[:, :u]
    H[t + 1] += hh
    if outs is not None:
        m = seq.M[t]
        outs.step(t, m, H[t + 1])
        np.copyto(H[t + 1], H[t], where=~m)


def _gru_backward_loop(seq, saved, acts, Uzr, Uh, dZ, dI, g_seq, g_last, dh, zero_output):
    """BPTT through the GRU steps; fills ``dZ`` (and ``dI``), returns ``dh0``.

    Hot loop: one or two GEMMs and ~15 ufuncs on cache-sized arrays per step (plus the
    mask ``where``s).
    """
    ZR, HH, RH, H = saved
    zr_act, h_act = acts
    T, B, u = HH.shape
    UzrT, UhT = np.ascontiguousarray(Uzr.T), np.ascontiguousarray(Uh.T)
    d_zr, d_hh = np.empty((B, 2 * u), ZR.dtype), np.empty((B, u), ZR.dtype)
    dh = np.array(dh, dtype=ZR.dtype)
    masked = seq.M is not None
    dy = (np.zeros_like(dh) if g_last is None else np.array(g_last, ZR.dtype)) if masked else None
    if not masked and g_last is not None:
        dh += g_last
    for t in range(T - 1, -1, -1):
        if masked:
            gy = dy if g_seq is None else dy + g_seq[t]
            dh_new, _, dh_skip, _, dy = _masked_split(seq.M[t], dh, None, gy, zero_output)
        else:
            if g_seq is not None:
                dh += g_seq[t]
            dh_new = dh
        z, r, hh, h = ZR[t, :, :u], ZR[t, :, u:], HH[t], H[t]
        dz = dZ[t]
        # h_new = hh + z (h - hh)
        np.subtract(h, hh, out=dz[:, :u])
        dz[:, :u] *= dh_new
        dah = dz[:, 2 * u:]
        np.subtract(1.0, z, out=dah)
        dah *= dh_new
        dah *= h_act.derivative(hh, out=d_hh)
        dh_prev = dh_new * z
        if dI is not None:
            di = dI[t]
            np.multiply(dah, RH[t], out=dz[:, u:2 * u])
            np.multiply(dah, r, out=di[:, 2 * u:])
            dz[:, :2 * u] *= zr_act.derivative(ZR[t], out=d_zr)
            di[:, :2 * u] = dz[:, :2 * u]
            dh_prev += di @ UzrT
        else:
            drh = dah @ UhT
            np.multiply(drh, h, out=dz[:, u:2 * u])
            drh *= r
            dh_prev += drh
            dz[:, :2 * u] *= zr_act.derivative(ZR[t], out=d_zr)
            dh_prev += dz[:, :2 * u] @ UzrT
        dh = dh_prev + dh_skip if masked else dh_prev
    return dh


# -- SimpleRNN ----------------------------------------------------------------------------
@primitive
def simple_rnn_sequence(x, h0, kernel, recurrent_kernel, bias=None, *, mask=None,
                        go_backwards=False, return_sequences=True, zero_output_for_mask=False,
                        activation="tanh"):
    """Runs a fully connected RNN, ``h_t = act(x_t W + b + h_{t-1} U)``, over a sequence.

    Args and returns as ``lstm_sequence``, without the carry state: ``(outputs, h_T)``.
    """
    U = np.asarray(recurrent_kernel)
    u = U.shape[0]
    seq = _Sequence(x, kernel, bias, mask, go_backwards)
    T, B, _ = seq.XW.shape
    dtype = seq.XW.dtype
    act = _Gates([(0, u, activation)], u, dtype)
    A = np.empty((T, B, u), dtype)               # act(pre-activation) before masking
    H = np.empty((T + 1, B, u), dtype)
    H[0] = h0
    outs = _Outputs(T, B, u, dtype, return_sequences, zero_output_for_mask) \
        if seq.M is not None else None
    with np.errstate(over="ignore"):
        for t in range(T):
            np.matmul(H[t], U, out=A[t])
            A[t] += seq.XW[t]
            act(A[t])
            H[t + 1] = A[t]
            if outs is not None:
                m = seq.M[t]
                outs.step(t, m, A[t])
                np.copyto(H[t + 1], H[t], where=~m)
    if outs is None:
        y = _out(seq, H[1:], H[T].copy(), return_sequences)
    else:
        y = _out(seq, outs.Y, outs.last, return_sequences)

    def vjp(gs):
        gy, gh = gs
        d_act = np.empty((B, u), dtype)
        g_seq = seq.time_major(gy) if return_sequences else None
        g_last = None if return_sequences else gy
        dZ = np.empty_like(A)
        UT = np.ascontiguousarray(U.T)
        masked = seq.M is not None
        dh = np.array(_zeros_if_none(gh, h0), dtype=dtype)
        dy = (np.zeros_like(dh) if g_last is None else np.array(g_last, dtype)) if masked else None
        if not masked and g_last is not None:
            dh += g_last
        for t in range(T - 1, -1, -1):
            if masked:
                g = dy if g_seq is None else dy + g_seq[t]
                dh_new, _, dh_skip, _, dy = _masked_split(seq.M[t], dh, None, g,
                                                          zero_output_for_mask)
            else:
                dh_new = dh + g_seq[t] if g_seq is not None else dh
            np.multiply(dh_new, act.derivative(A[t], out=d_act), out=dZ[t])
            dh = dZ[t] @ UT
            if masked:
                dh += dh_skip
        dx, d_kernel, d_bias = seq.gradients(dZ, kernel)
        d_rec = H[:T].reshape(T * B, u).T @ dZ.reshape(T * B, u)
        return dx, dh, d_kernel, d_rec, (d_bias if bias is not None else None)

    return (y, H[T].copy()), vjp
