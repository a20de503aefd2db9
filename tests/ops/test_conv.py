"""Forward values of the convolution and pooling ops against naive loop implementations."""

import itertools

import numpy as np
import pytest

from kcore import ops

rng = np.random.default_rng(1)


def rand(*shape, dtype="float64"):
    return rng.standard_normal(shape).astype(dtype)


def same_pads(size, window, strides, dilation):
    """TF "SAME": out = ceil(in / s); the odd padding cell goes at the end."""
    pads = []
    for n, k, s, d in zip(size, window, strides, dilation):
        out = -(-n // s)
        total = max(0, (out - 1) * s + d * (k - 1) + 1 - n)
        pads.append((total // 2, total - total // 2))
    return pads


def naive_conv(x, w, strides, pads, dilation):
    """Channels-last grouped convolution, one output position at a time; bounds checked."""
    n, *size, c = x.shape
    *window, cg, f = w.shape
    groups, fg = c // cg, f // (c // cg)
    out_size = [(s + l + r - d * (k - 1) - 1) // st + 1
                for s, (l, r), k, st, d in zip(size, pads, window, strides, dilation)]
    y = np.zeros((n, *out_size, f))
    for pos in itertools.product(*map(range, out_size)):
        for offs in itertools.product(*map(range, window)):
            src = [p * st + o * d - l for p, st, o, d, (l, _) in
                   zip(pos, strides, offs, dilation, pads)]
            if all(0 <= i < s for i, s in zip(src, size)):
                xv = x[(slice(None), *src)]
                for g in range(groups):
                    y[(slice(None), *pos, slice(g * fg, (g + 1) * fg))] += (
                        xv[:, g * cg:(g + 1) * cg] @ w[(*offs,)][:, g * fg:(g + 1) * fg])
    return y


def per_dim(v, nd):
    return (v,) * nd if v is None or isinstance(v, int) else tuple(v)


def to_first(a):
    return np.moveaxis(a, -1, 1)


CONV_CASES = [  # input shape, kernel shape, strides, padding, dilation
    ((2, 9, 3), (3, 3, 4), 1, "valid", 1),
    ((2, 9, 3), (3, 3, 4), 2, "same", 1),
    ((2, 10, 3), (4, 3, 2), 3, "same", 1),
    ((2, 9, 2), (3, 2, 3), 1, "causal", 2),
    ((2, 9, 2), (2, 2, 3), 2, "causal", 1),
    ((2, 8, 7, 3), (3, 3, 3, 4), 1, "valid", 1),
    ((2, 8, 7, 3), (3, 2, 3, 4), (2, 3), "same", 1),
    ((2, 9, 9, 2), (3, 3, 2, 2), 1, "same", (2, 3)),
    ((1, 8, 9, 2), (2, 3, 2, 3), 2, "valid", 1),
    ((2, 7, 6, 8), (3, 3, 8, 5), (2, 1), "same", 1),  # channel-major im2col (> 4 channels)
    ((2, 6, 6, 6), (3, 3, 2, 9), 1, "same", 1),   # 3 groups
    ((2, 6, 7, 12), (2, 3, 6, 4), 2, "valid", 1),  # 2 groups of 6 channels
    ((2, 6, 6, 4), (1, 1, 1, 4), 1, "valid", 1),  # depthwise-like 4 groups
    ((2, 5, 6, 4, 2), (3, 2, 2, 2, 3), (2, 1, 2), "same", 1),
    ((1, 6, 5, 7, 2), (2, 3, 2, 2, 2), 1, "valid", (2, 1, 3)),
]


@pytest.mark.parametrize("xs, ws, strides, padding, dilation", CONV_CASES)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv_matches_naive(xs, ws, strides, padding, dilation, data_format):
    x, w = rand(*xs), rand(*ws)
    nd = len(xs) - 2
    st = (strides,) * nd if isinstance(strides, int) else strides
    dl = (dilation,) * nd if isinstance(dilation, int) else dilation
    if padding == "same":
        pads = same_pads(xs[1:-1], ws[:-2], st, dl)
    elif padding == "causal":
        pads = [(dl[0] * (ws[0] - 1), 0)]
    else:
        pads = [(0, 0)] * nd
    want = naive_conv(x, w, st, pads, dl)
    if data_format == "channels_first":
        if padding == "causal":
            pytest.skip("causal padding is a Conv1D (channels-last) feature")
        got = ops.conv(to_first(x), w, strides, padding, data_format, dilation).numpy()
        got = np.moveaxis(got, 1, -1)
    else:
        got = ops.conv(x, w, strides, padding, data_format, dilation).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_conv_same_padding_puts_odd_cell_at_end():
    x = np.arange(4.0).reshape(1, 4, 1)
    w = np.ones((3, 1, 1))
    # out = ceil(4/2) = 2, total pad 1 -> (0, 1): windows [0,1,2] and [2,3,pad].
    got = ops.conv(x, w, 2, "same").numpy()
    np.testing.assert_array_equal(got[0, :, 0], [3.0, 5.0])


def test_conv_keeps_float32():
    y = ops.conv(rand(2, 8, 8, 3, dtype="float32"), rand(3, 3, 3, 4, dtype="float32"),
                 padding="same")
    assert y.dtype == "float32"


def test_conv_rejects_channel_mismatch():
    with pytest.raises(ValueError, match="channels"):
        ops.conv(rand(1, 5, 5, 3), rand(3, 3, 2, 4))


def test_conv_rejects_wrong_kernel_rank():
    with pytest.raises(ValueError, match="rank"):
        ops.conv(rand(1, 5, 5, 3), rand(3, 3, 4))


DEPTHWISE_CASES = [
    ((2, 9, 3), (3, 3, 2), 2, "same", 1),
    ((2, 8, 7, 3), (3, 3, 3, 1), 1, "valid", 1),
    ((2, 8, 7, 3), (3, 2, 3, 2), (2, 1), "same", 1),
    ((2, 9, 9, 2), (3, 3, 2, 3), 1, "same", 2),
    ((1, 5, 4, 6, 2), (2, 2, 3, 2, 2), 1, "same", 1),
]


def naive_depthwise(x, w, st, pads, dl):
    *window, c, mult = w.shape
    # Channel c times multiplier m lands on output channel c * mult + m.
    return naive_conv(x, w.reshape(*window, 1, c * mult), st, pads, dl)


@pytest.mark.parametrize("xs, ws, strides, padding, dilation", DEPTHWISE_CASES)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_depthwise_conv_matches_naive(xs, ws, strides, padding, dilation, data_format):
    x, w = rand(*xs), rand(*ws)
    nd = len(xs) - 2
    st = (strides,) * nd if isinstance(strides, int) else strides
    dl = (dilation,) * nd
    pads = same_pads(xs[1:-1], ws[:-2], st, dl) if padding == "same" else [(0, 0)] * nd
    want = naive_depthwise(x, w, st, pads, dl)
    xin = to_first(x) if data_format == "channels_first" else x
    got = ops.depthwise_conv(xin, w, strides, padding, data_format, dilation).numpy()
    if data_format == "channels_first":
        got = np.moveaxis(got, 1, -1)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_depthwise_output_channel_order():
    x = np.zeros((1, 1, 1, 2))
    x[..., 1] = 1.0
    w = np.arange(4.0).reshape(1, 1, 2, 2)  # w[0, 0, c, m] = 2c + m
    got = ops.depthwise_conv(x, w).numpy().ravel()
    np.testing.assert_array_equal(got, [0.0, 0.0, 2.0, 3.0])


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_separable_conv_is_depthwise_then_pointwise(data_format):
    x, dw, pw = rand(2, 9, 8, 3), rand(3, 3, 3, 2), rand(1, 1, 6, 5)
    pads = same_pads((9, 8), (3, 3), (2, 2), (1, 1))
    want = naive_conv(naive_depthwise(x, dw, (2, 2), pads, (1, 1)), pw, (1, 1),
                      [(0, 0)] * 2, (1, 1))
    xin = to_first(x) if data_format == "channels_first" else x
    got = ops.separable_conv(xin, dw, pw, 2, "same", data_format).numpy()
    if data_format == "channels_first":
        got = np.moveaxis(got, 1, -1)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def keras_transpose_length(n, k, s, padding, output_padding, d):
    """``keras.src.backend.common.backend_utils._get_output_shape_given_tf_padding``."""
    k = (k - 1) * d + 1
    if padding == "valid":
        return (n - 1) * s + k + (max(k, s) - k if output_padding is None else output_padding)
    return n * s if output_padding is None else (n - 1) * s + k % 2 + output_padding


def naive_conv_transpose(x, w, strides, padding, output_padding, dilation):
    """TF ``conv2d_transpose``: scatter every input cell, then crop as the SAME conv does."""
    n, *size, _ = x.shape
    *window, f, _ = w.shape
    full = [(i - 1) * s + (k - 1) * d + 1 for i, k, s, d in zip(size, window, strides, dilation)]
    y = np.zeros((n, *full, f))
    for pos in itertools.product(*map(range, size)):
        for offs in itertools.product(*map(range, window)):
            dst = [p * s + o * d for p, s, o, d in zip(pos, strides, offs, dilation)]
            y[(slice(None), *dst)] += x[(slice(None), *pos)] @ w[(*offs,)].T
    lengths = [keras_transpose_length(i, k, s, padding, op, d) for i, k, s, op, d in
               zip(size, window, strides, output_padding, dilation)]
    out = np.zeros((n, *lengths, f))
    starts = [max(fl - L, 0) // 2 if padding == "same" else 0 for fl, L in zip(full, lengths)]
    src = tuple(slice(b, b + min(L, fl - b)) for b, L, fl in zip(starts, lengths, full))
    dst = tuple(slice(0, sl.stop - sl.start) for sl in src)
    out[(slice(None),) + dst] = y[(slice(None),) + src]
    return out


# input, kernel (*k, filters, channels), strides, padding, output_padding, dilation
TRANSPOSE_CASES = [
    ((2, 5, 3), (3, 4, 3), 2, "valid", None, 1),
    ((2, 5, 3), (3, 4, 3), 2, "same", None, 1),
    ((2, 5, 3), (2, 4, 3), 3, "valid", None, 1),
    ((2, 5, 3), (2, 4, 3), 3, "same", None, 1),
    ((2, 5, 3), (4, 2, 3), 2, "same", 1, 1),
    ((2, 5, 3), (3, 2, 3), 1, "same", None, 2),
    ((2, 4, 5, 3), (3, 3, 2, 3), 2, "same", None, 1),
    ((2, 4, 5, 3), (3, 3, 2, 3), 2, "valid", None, 1),
    ((2, 4, 5, 3), (3, 2, 2, 3), (2, 3), "same", (1, 2), 1),
    ((2, 4, 5, 3), (3, 3, 2, 3), 2, "valid", 1, 1),
    ((1, 4, 4, 2), (2, 2, 3, 2), 1, "same", None, 2),
    ((1, 3, 4, 2, 2), (3, 2, 2, 3, 2), (2, 1, 2), "same", None, 1),
    ((1, 3, 4, 2, 2), (2, 2, 2, 3, 2), 2, "valid", (1, 0, 1), 1),
]


@pytest.mark.parametrize("xs, ws, strides, padding, output_padding, dilation", TRANSPOSE_CASES)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv_transpose_matches_naive(xs, ws, strides, padding, output_padding, dilation,
                                      data_format):
    x, w = rand(*xs), rand(*ws)
    nd = len(xs) - 2
    want = naive_conv_transpose(x, w, per_dim(strides, nd), padding,
                                per_dim(output_padding, nd), per_dim(dilation, nd))
    xin = to_first(x) if data_format == "channels_first" else x
    got = ops.conv_transpose(xin, w, strides, padding, output_padding, data_format,
                             dilation).numpy()
    if data_format == "channels_first":
        got = np.moveaxis(got, 1, -1)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_conv_transpose_is_adjoint_of_conv():
    """<conv_transpose(y, w), x> == <y, conv(x, w')>, the identity that defines it in TF."""
    x, y = rand(2, 8, 8, 3), rand(2, 4, 4, 5)
    w = rand(3, 3, 3, 5)  # conv layout (k, k, in=3, out=5)
    lhs = np.sum(ops.conv_transpose(y, w, 2, "same").numpy() * x)
    rhs = np.sum(y * ops.conv(x, w, 2, "same").numpy())
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10)


def naive_pool(x, pool, strides, padding, reduce):
    """Channels-last pooling over the real cells of each (clipped) window."""
    n, *size, c = x.shape
    pads = same_pads(size, pool, strides, [1] * len(size)) if padding == "same" else \
        [(0, 0)] * len(size)
    out_size = [(s + l + r - k) // st + 1 for s, (l, r), k, st in zip(size, pads, pool, strides)]
    y = np.zeros((n, *out_size, c))
    for pos in itertools.product(*map(range, out_size)):
        sl = tuple(slice(max(p * st - l, 0), min(p * st - l + k, s))
                   for p, st, (l, _), k, s in zip(pos, strides, pads, pool, size))
        win = x[(slice(None),) + sl].reshape(n, -1, c)
        y[(slice(None), *pos)] = reduce(win, axis=1)
    return y


POOL_CASES = [  # input, pool, strides, padding
    ((2, 9, 3), 2, None, "valid"),
    ((2, 9, 3), 3, 2, "valid"),
    ((2, 9, 3), 3, 2, "same"),
    ((2, 10, 3), 4, 3, "same"),
    ((2, 8, 8, 3), 2, None, "valid"),
    ((2, 7, 9, 3), 2, None, "valid"),   # odd sizes: the last row/column is dropped
    ((2, 7, 9, 3), 2, None, "same"),
    ((2, 7, 9, 3), (3, 2), (2, 1), "valid"),
    ((2, 7, 9, 3), 3, 2, "same"),
    ((2, 6, 6, 2), 2, 1, "same"),
    ((1, 5, 6, 7, 2), 2, None, "valid"),
    ((1, 5, 6, 7, 2), (3, 2, 2), (2, 1, 3), "same"),
]


@pytest.mark.parametrize("xs, pool, strides, padding", POOL_CASES)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("op, reduce", [(ops.max_pool, np.max), (ops.average_pool, np.mean)])
def test_pool_matches_naive(op, reduce, xs, pool, strides, padding, data_format):
    x = rand(*xs)
    nd = len(xs) - 2
    want = naive_pool(x, per_dim(pool, nd), per_dim(pool if strides is None else strides, nd),
                      padding, reduce)
    xin = to_first(x) if data_format == "channels_first" else x
    got = op(xin, pool, strides, padding, data_format).numpy()
    if data_format == "channels_first":
        got = np.moveaxis(got, 1, -1)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_average_pool_same_excludes_padding_from_count():
    x = np.ones((1, 3, 3, 1))
    got = ops.average_pool(x, 2, 2, "same").numpy()
    np.testing.assert_array_equal(got, np.ones((1, 2, 2, 1)))


@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_pool_keeps_dtype(dtype):
    x = rand(2, 6, 6, 3, dtype="float32").astype(dtype)
    assert ops.max_pool(x, 3, 2, "same").dtype == dtype
    assert ops.average_pool(rand(2, 6, 6, 3, dtype="float32"), 3, 2, "same").dtype == "float32"
