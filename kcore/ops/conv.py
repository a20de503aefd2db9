"""Convolution and pooling (``keras.ops`` names and signatures), 1D, 2D and 3D.

Everything runs channels-last inside; ``data_format="channels_first"`` is served by moving
the channel axis in and out (views, no copies). A convolution is one strided view of the
padded input, copied once into a patch matrix (im2col), and one GEMM. Its VJP reuses those
patches: one GEMM gives the kernel gradient, one GEMM plus a col2im scatter-add gives the
input gradient. col2im loops over the kernel offsets (``prod(kernel_size)`` vectorised
adds, the standard formulation); it measured faster than re-expressing the input gradient
as a transposed convolution, which would im2col the upstream gradient again. Grouped and
depthwise convolutions are one batched GEMM (numpy loops over the groups inside
``matmul``). Padding follows TF: ``"same"`` pads ``max((out-1)*s + (k-1)*d + 1 - in, 0)``,
the extra cell at the end.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from kcore.backend import config
from kcore.backend.autodiff import primitive
from kcore.backend.kernels import kernels_for
from kcore.ops.core import convert_to_tensor
from kcore.ops.nn import relu_mask as _relu_mask

__all__ = ["average_pool", "conv", "conv_transpose", "depthwise_conv", "max_pool",
           "separable_conv"]


# -- argument handling ----------------------------------------------------------------------
def _tuple(value, nd, name):
    if isinstance(value, (int, np.integer)):
        return (int(value),) * nd
    value = tuple(int(v) for v in value)
    if len(value) != nd:
        raise ValueError(f"`{name}` must be an int or a tuple of {nd} ints for a {nd}D "
                         f"operation, got {value}.")
    return value


def _data_format(data_format):
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError("`data_format` must be 'channels_last' or 'channels_first', got "
                         f"{data_format!r}.")
    return data_format


def _spatial(shape, data_format, op):
    if len(shape) not in (3, 4, 5):
        raise ValueError(f"{op} expects inputs of rank 3, 4 or 5 (batch, *spatial, channels) "
                         f"for 1D/2D/3D, got shape {tuple(shape)}.")
    return tuple(shape[2:]) if data_format == "channels_first" else tuple(shape[1:-1])


def _channels(shape, data_format):
    return shape[1] if data_format == "channels_first" else shape[-1]


def _padding(padding, size, window, strides, dilation):
    """Per-dimension ``(left, right)`` padding, as TF computes it."""
    padding = str(padding).lower()
    if padding == "valid":
        return ((0, 0),) * len(size)
    if padding == "causal" and len(size) == 1:
        return (((window[0] - 1) * dilation[0], 0),)
    if padding != "same":
        raise ValueError(f"`padding` must be 'valid' or 'same' ('causal' for 1D convolution), "
                         f"got {padding!r}.")
    pads = []
    for n, k, s, d in zip(size, window, strides, dilation):
        total = max((-(-n // s) - 1) * s + (k - 1) * d + 1 - n, 0)
        pads.append((total // 2, total - total // 2))
    return tuple(pads)


def _last(x, data_format):
    return np.moveaxis(x, 1, -1) if data_format == "channels_first" else x


def _first(x, data_format):
    return np.moveaxis(x, -1, 1) if data_format == "channels_first" else x


# -- strided views --------------------------------------------------------------------------
def _pad(x, pads, value=0):
    """Pads (positive) or crops (negative) the spatial axes of ``(N, *spatial, ...)``."""
    if not any(l or r for l, r in pads):
        return x
    crop = (slice(None),) + tuple(slice(max(-l, 0), n - max(-r, 0))
                                  for (l, r), n in zip(pads, x.shape[1:]))
    x = x[crop]
    if all(l <= 0 and r <= 0 for l, r in pads):
        return x
    shape = (x.shape[0],) + tuple(n + max(l, 0) + max(r, 0) for (l, r), n in
                                  zip(pads, x.shape[1:])) + x.shape[1 + len(pads):]
    out = np.full(shape, value, x.dtype)
    out[(slice(None),) + tuple(slice(max(l, 0), max(l, 0) + n)
                               for (l, r), n in zip(pads, x.shape[1:]))] = x
    return out


def _out_size(size, window, strides, dilation):
    return tuple((n - (k - 1) * d - 1) // s + 1
                 for n, k, s, d in zip(size, window, strides, dilation))


def _windows(x, window, strides, dilation):
    """Read-only view ``(N, *out, *window, ...)`` of every window of ``(N, *spatial, ...)``."""
    nd = len(window)
    out = _out_size(x.shape[1:1 + nd], window, strides, dilation)
    if min(out) < 1:
        raise ValueError(f"The window {window} (dilation {dilation}) does not fit in the "
                         f"padded input of spatial shape {x.shape[1:1 + nd]}; use "
                         "padding='same' or a larger input.")
    st = x.strides
    strides = (st[0],) + tuple(a * s for a, s in zip(st[1:1 + nd], strides)) + tuple(
        a * d for a, d in zip(st[1:1 + nd], dilation)) + st[1 + nd:]
    return as_strided(x, (x.shape[0],) + out + tuple(window) + x.shape[1 + nd:], strides,
                      writeable=False)


def _col2im(cols, shape, window, strides, dilation):
    """Adjoint of ``_windows``: adds ``cols (N, *out, *window, ...)`` into zeros of ``shape``.

    One vectorised add per kernel offset (``prod(window)`` iterations): each offset's
    windows touch a strided slice of the input, and slices of different offsets overlap.
    """
    nd = len(window)
    out = cols.shape[1:1 + nd]
    compiled = kernels_for(cols.dtype)
    if compiled is not None and nd == 2 and (
            cols.ndim == 6 or (cols.ndim == 7 and cols.shape[5] == 1)):
        c6 = cols if cols.ndim == 6 else cols[:, :, :, :, :, 0]
        return compiled.col2im2d(c6, shape[1], shape[2], *strides, *dilation).reshape(shape)
    dx = np.zeros(shape, cols.dtype)
    lead = (slice(None),) * (1 + nd)
    for offs in np.ndindex(*window):
        dst = (slice(None),) + tuple(slice(o * d, o * d + s * (n - 1) + 1, s)
                                     for o, d, s, n in zip(offs, dilation, strides, out))
        dx[dst] += cols[lead + offs]
    return dx


# -- convolution primitives -----------------------------------------------------------------
# Up to this many channels per group, im2col copies faster into a window-major buffer and
# col2im reads position-major patch gradients faster; above it, the other way round.
_WINDOW_MAJOR_CHANNELS = 4


def _im2col(win, m, ones=False):
    """Windows ``(N, *out, *window, G, Cg)`` -> patches ``(G, M, window*Cg)``: the one copy.

    With few channels the copy is laid out ``(G, window*Cg, M)`` (long contiguous runs along
    the output positions) and returned transposed; ``matmul`` takes either layout.
    ``ones`` (one group only): append a column of ones, so that a bias row appended to the
    kernel is added by the GEMM itself (and its gradient comes out of the kernel-gradient
    GEMM). That saves a pass over the output each way: ~0.7 of 16 ms for the CNN
    benchmark's second convolution, forward and backward.
    """
    nd = (win.ndim - 3) // 2
    if win.shape[-1] <= _WINDOW_MAJOR_CHANNELS:
        order = (win.ndim - 2,) + tuple(range(1 + nd, win.ndim - 2)) + (win.ndim - 1,) + tuple(
            range(1 + nd))
        src = win.transpose(order)
        if not ones:
            return src.reshape(win.shape[-2], -1, m).transpose(0, 2, 1)
        kc = src.size // m
        buf = np.empty((1, kc + 1, m), win.dtype)
        np.copyto(buf[0, :kc].reshape(src.shape), src)   # a contiguous block: a view
        buf[0, kc] = 1
        return buf.transpose(0, 2, 1)
    if not ones:
        return np.moveaxis(win, -2, 0).reshape(win.shape[-2], m, -1)
    kc = win.size // m
    buf = np.empty((1, m, kc + 1), win.dtype)
    dst = buf[0, :, :kc].view()
    dst.shape = win.shape       # splits m and kc: always a view (setting .shape never copies)
    np.copyto(dst, win)
    buf[0, :, kc] = 1
    return buf


def _patch_grads(gg, w, n, out, window):
    """Gradient of the patches, ``gg (G, M, Fg) @ w (G, kc, Fg).T``, as ``(N, *out, *window,
    G, Cg)`` for col2im. With many channels one GEMM per kernel offset (a broadcast
    ``matmul``) writes each offset's block contiguously, which col2im then reads faster.
    """
    groups, cg = gg.shape[0], w.shape[1] // int(np.prod(window))
    nd = len(window)
    if cg <= _WINDOW_MAJOR_CHANNELS:
        dcols = np.matmul(gg, w.transpose(0, 2, 1)).reshape((groups, n) + out + window + (cg,))
        return np.moveaxis(dcols, 0, -2)
    wk = w.reshape(groups, -1, cg, w.shape[-1]).transpose(0, 1, 3, 2)
    dcols = np.matmul(gg[:, None], wk).reshape((groups,) + window + (n,) + out + (cg,))
    order = tuple(range(1 + nd, 2 + 2 * nd)) + tuple(range(1, 1 + nd)) + (0, 2 + 2 * nd)
    return dcols.transpose(order)


#: Patch-gradient floats per chunk of ``_input_grad_2d`` (512 KiB of float32: cache-sized).
_CHUNK = 1 << 17


def _input_grad_2d(compiled, gg, w, shape, out, window, strides, dilation):
    """The padded input's gradient ``shape`` of a 2D convolution, a few samples at a time.

    For each chunk of samples, one GEMM ``gg @ w.T`` gives their patch gradients (position
    by position) and the compiled col2im adds them up at once, while they are in cache;
    ``_patch_grads`` + ``_col2im`` materialise every sample's patch gradients first. Same
    products, same order of additions (tested equal).
    """
    n, per_sample = shape[0], int(np.prod(out))
    step = max(1, _CHUNK // (per_sample * w.shape[0]))
    dxp = np.empty(shape, gg.dtype)
    for start in range(0, n, step):
        stop = min(start + step, n)
        cols = np.matmul(gg[start * per_sample:stop * per_sample], w.T)
        dxp[start:stop] = compiled.col2im2d(
            cols.reshape((stop - start,) + out + window + shape[-1:]), shape[1], shape[2],
            *strides, *dilation)
    return dxp


def _grouped_conv(x, kernel, groups, strides, pads, dilation, data_format, bias=None,
                  relu=False):
    """Channels-last grouped convolution as one batched GEMM; returns ``(out, vjp)``.

    Output channel ``f`` belongs to group ``f // (filters // groups)``, as in TF. With
    ``bias``/``relu`` (the Conv layers' fused path) they are applied in place on the GEMM
    output, and the VJP also returns the bias gradient (a contiguous column sum).
    """
    x = _last(x, data_format)
    window, (cg, f) = kernel.shape[:-2], kernel.shape[-2:]
    nd, fg = len(window), f // groups
    xp = _pad(x, pads)
    win = _windows(xp, window, strides, dilation)
    n, out = x.shape[0], win.shape[1:1 + nd]
    m = n * int(np.prod(out))
    # The bias rides on the GEMM as a row of the kernel.
    fold_bias = bias is not None and groups == 1
    cols = _im2col(win.reshape(win.shape[:-1] + (groups, cg)), m, ones=fold_bias)
    w = np.moveaxis(kernel.reshape(window + (cg, groups, fg)), -2, 0).reshape(groups, -1, fg)
    kc = w.shape[1]
    if fold_bias:
        wb = np.empty((1, kc + 1, f), w.dtype)
        wb[0, :kc] = w[0]
        wb[0, kc] = bias
        y = np.matmul(cols, wb)
    else:
        y = np.matmul(cols, w)
    y = np.moveaxis(y, 0, 1).reshape((n,) + out + (f,))
    if bias is not None and not fold_bias:
        y += bias
    if relu:
        np.maximum(y, 0, out=y)

    def vjp(g, needs=(True, True, True)):
        g = _last(g, data_format)
        if relu:
            # g * (y > 0): y >= 0, so sign(y) is the 0/1 mask.
            g = _relu_mask(y, g)
        dkernel = dbias = None
        gg = np.moveaxis(g.reshape(m, groups, fg), 1, 0)
        if needs[1] or (fold_bias and needs[2]):
            dw = np.matmul(cols.transpose(0, 2, 1), gg)
            if fold_bias and needs[2]:
                dbias = dw[0, kc].copy()
            dw = dw[:, :kc].reshape((groups,) + window + (cg, fg))
            dkernel = np.moveaxis(dw, 0, -2).reshape(kernel.shape) if needs[1] else None
        if bias is not None and needs[2] and dbias is None:
            dbias = g.reshape(-1, f).sum(axis=0)
        if not needs[0]:  # e.g. the first layer on a data batch: skip col2im
            return None, dkernel, dbias
        compiled = kernels_for(gg.dtype, w.dtype)
        if compiled is not None and groups == 1 and nd == 2 and gg.dtype == w.dtype:
            dxp = _input_grad_2d(compiled, gg[0], w[0], xp.shape, out, window, strides,
                                 dilation)
        else:
            dxp = _col2im(_patch_grads(gg, w, n, out, window), xp.shape[:-1] + (groups, cg),
                          window, strides, dilation)
        dx = _pad(dxp.reshape(xp.shape), tuple((-l, -r) for l, r in pads))
        return _first(dx, data_format), dkernel, dbias

    return _first(y, data_format), vjp


@primitive
def _conv(x, kernel, strides, pads, dilation, data_format):
    groups = _channels(x.shape, data_format) // kernel.shape[-2]
    return _grouped_conv(x, kernel, groups, strides, pads, dilation, data_format)


@primitive
def _conv_bias_act(x, kernel, bias, strides, pads, dilation, data_format, relu):
    groups = _channels(x.shape, data_format) // kernel.shape[-2]
    return _grouped_conv(x, kernel, groups, strides, pads, dilation, data_format, bias, relu)


@primitive
def _depthwise_conv(x, kernel, strides, pads, dilation, data_format):
    window, (c, mult) = kernel.shape[:-2], kernel.shape[-2:]
    flat = kernel.reshape(window + (1, c * mult))
    out, vjp = _grouped_conv(x, flat, c, strides, pads, dilation, data_format)

    def depthwise_vjp(g, needs=(True, True)):
        dx, dkernel, _ = vjp(g, needs + (False,))
        return dx, None if dkernel is None else dkernel.reshape(kernel.shape)

    return out, depthwise_vjp


@primitive
def _conv_transpose(x, kernel, strides, crops, dilation, data_format):
    """Transposed convolution: one GEMM, then col2im onto the full output, then crop.

    ``crops`` are per-dimension ``(left, right)`` cells removed from the full output
    ``(in - 1) * s + (k - 1) * d + 1``; negative values append zeros (output padding).
    """
    x = _last(x, data_format)
    window, (f, c) = kernel.shape[:-2], kernel.shape[-2:]
    n, size = x.shape[0], x.shape[1:-1]
    w = kernel.reshape(-1, c)
    xm = x.reshape(-1, c)
    full = tuple((i - 1) * s + (k - 1) * d + 1
                 for i, k, s, d in zip(size, window, strides, dilation))
    cols = np.matmul(xm, w.T).reshape((n,) + size + window + (f,))
    y = _pad(_col2im(cols, (n,) + full + (f,), window, strides, dilation),
             tuple((-l, -r) for l, r in crops))

    def vjp(g):
        gp = _pad(_last(g, data_format), crops)
        gcols = _windows(gp, window, strides, dilation).reshape(xm.shape[0], -1)
        dx = np.matmul(gcols, w).reshape(x.shape)
        dkernel = np.matmul(gcols.T, xm).reshape(kernel.shape)
        return _first(dx, data_format), dkernel

    return _first(y, data_format), vjp


def _conv_args(op, inputs, kernel, strides, padding, data_format, dilation_rate):
    x, kernel = convert_to_tensor(inputs), convert_to_tensor(kernel)
    data_format = _data_format(data_format)
    size = _spatial(x.shape, data_format, op)
    nd = len(size)
    if kernel.ndim != nd + 2:
        raise ValueError(f"{op}: a {nd}D input of shape {x.shape} needs a kernel of rank "
                         f"{nd + 2} (*kernel_size, in, out), got kernel shape {kernel.shape}.")
    strides = _tuple(strides, nd, "strides")
    dilation = _tuple(dilation_rate, nd, "dilation_rate")
    window = kernel.shape[:-2]
    pads = _padding(padding, size, window, strides, dilation)
    return x, kernel, data_format, strides, pads, dilation


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1, *,
         bias=None, relu=False):
    """N-D convolution (1D, 2D or 3D), as ``keras.ops.conv``.

    Args:
        inputs: ``(batch, *spatial, channels)`` (``(batch, channels, *spatial)`` with
            ``data_format="channels_first"``).
        kernel: ``(*kernel_size, channels // groups, filters)``. When its input-channel
            dimension divides the input's channels, the convolution is grouped, as in TF.
        strides: int or tuple, one per spatial dimension.
        padding: ``"valid"``, ``"same"`` (TF rules), or ``"causal"`` (1D only).
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``kcore.config.image_data_format()``.
        dilation_rate: int or tuple, one per spatial dimension.
        bias: (kcore extension) a ``(filters,)`` bias added in the same pass.
        relu: (kcore extension) apply ``relu`` in the same pass. Conv layers use both:
            it saves two full passes over the output and a slow bias-gradient reduction.

    Returns:
        ``(batch, *out_spatial, filters)``, in ``data_format``.

    Raises:
        ValueError: for mismatched ranks or channels, or an unknown padding.

    Example:
        >>> y = kcore.ops.conv(np.ones((2, 5, 5, 3), "float32"),
        ...                    np.ones((3, 3, 3, 4), "float32"), padding="same")
        >>> y.shape
        (2, 5, 5, 4)
    """
    x, kernel, fmt, strides, pads, dilation = _conv_args(
        "conv", inputs, kernel, strides, padding, data_format, dilation_rate)
    c, cg, f = _channels(x.shape, fmt), kernel.shape[-2], kernel.shape[-1]
    if c % cg or f % (c // cg):
        raise ValueError(f"conv: the input has {c} channels but the kernel expects {cg} "
                         f"input channels (kernel shape {kernel.shape}); for a grouped "
                         "convolution both channels and filters must be divisible by "
                         f"groups = channels // kernel.shape[-2].")
    if bias is None and not relu:
        return _conv(x, kernel, strides=strides, pads=pads, dilation=dilation, data_format=fmt)
    return _conv_bias_act(x, kernel, bias, strides=strides, pads=pads, dilation=dilation,
                          data_format=fmt, relu=bool(relu))


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """Depthwise convolution, as ``keras.ops.depthwise_conv``.

    Args:
        inputs: ``(batch, *spatial, channels)`` (or channels first).
        kernel: ``(*kernel_size, channels, depth_multiplier)``; output channel
            ``c * depth_multiplier + m`` is channel ``c`` convolved with ``kernel[..., c, m]``.
        strides, padding, data_format, dilation_rate: as for ``conv``.

    Returns:
        ``(batch, *out_spatial, channels * depth_multiplier)``, in ``data_format``.

    Example:
        >>> kcore.ops.depthwise_conv(np.ones((1, 4, 4, 3), "float32"),
        ...                          np.ones((3, 3, 3, 2), "float32")).shape
        (1, 2, 2, 6)
    """
    x, kernel, fmt, strides, pads, dilation = _conv_args(
        "depthwise_conv", inputs, kernel, strides, padding, data_format, dilation_rate)
    if kernel.shape[-2] != _channels(x.shape, fmt):
        raise ValueError(f"depthwise_conv: the kernel {kernel.shape} expects "
                         f"{kernel.shape[-2]} input channels, the input {x.shape} has "
                         f"{_channels(x.shape, fmt)}.")
    return _depthwise_conv(x, kernel, strides=strides, pads=pads, dilation=dilation,
                           data_format=fmt)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    """Depthwise convolution followed by a 1x1 convolution, as ``keras.ops.separable_conv``.

    Args:
        depthwise_kernel: ``(*kernel_size, channels, depth_multiplier)``.
        pointwise_kernel: ``(*(1,)*nd, channels * depth_multiplier, filters)``.
        inputs, strides, padding, data_format, dilation_rate: as for ``depthwise_conv``
            (``strides`` and ``dilation_rate`` apply to the depthwise step).

    Returns:
        ``(batch, *out_spatial, filters)``, in ``data_format``.

    Example:
        >>> kcore.ops.separable_conv(np.ones((1, 4, 4, 3), "float32"),
        ...                          np.ones((3, 3, 3, 2), "float32"),
        ...                          np.ones((1, 1, 6, 5), "float32")).shape
        (1, 2, 2, 5)
    """
    y = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(y, pointwise_kernel, 1, "valid", data_format, 1)


def _transpose_crops(size, window, strides, padding, output_padding, dilation):
    """Keras's padding rule (``compute_conv_transpose_padding_args_for_jax``) as crops of
    the full output ``(in - 1) * s + (k - 1) * d + 1``."""
    padding = str(padding).lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"conv_transpose: `padding` must be 'valid' or 'same', got {padding!r}.")
    crops = []
    for k, s, d, op in zip(window, strides, dilation, output_padding):
        keff = (k - 1) * d + 1
        if padding == "valid":
            left, right = keff - 1, keff - 1 + (max(keff, s) - keff if op is None else op)
        else:
            total = s + keff - 2 if op is None else keff + keff % 2 - 2 + op
            left = min(total // 2 + total % 2, keff - 1)
            right = total - left
        crops.append((keff - 1 - left, keff - 1 - right))
    return tuple(crops)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    """Transposed convolution (1D, 2D or 3D), as ``keras.ops.conv_transpose``.

    Args:
        inputs: ``(batch, *spatial, channels)`` (or channels first).
        kernel: ``(*kernel_size, filters, channels)`` (Keras ``Conv2DTranspose`` layout).
        strides: int or tuple.
        padding: ``"valid"`` or ``"same"``.
        output_padding: ``None``, int or tuple: extra cells at the end of each spatial
            dimension; the output length is Keras's ``(in-1)*s + max(k, s)`` (valid) or
            ``in*s`` (same) without it, ``(in-1)*s + k + op`` (valid) or
            ``(in-1)*s + k%2 + op`` (same) with it (``k`` the dilated kernel size).
        data_format, dilation_rate: as for ``conv``.

    Returns:
        ``(batch, *out_spatial, filters)``, in ``data_format``.

    Example:
        >>> kcore.ops.conv_transpose(np.ones((1, 4, 4, 3), "float32"),
        ...                          np.ones((3, 3, 5, 3), "float32"), 2, "same").shape
        (1, 8, 8, 5)
    """
    x, kernel, fmt, strides, _, dilation = _conv_args(
        "conv_transpose", inputs, kernel, strides, "valid", data_format, dilation_rate)
    size = _spatial(x.shape, fmt, "conv_transpose")
    if kernel.shape[-1] != _channels(x.shape, fmt):
        raise ValueError(f"conv_transpose: the kernel {kernel.shape} (layout *k, filters, "
                         f"channels) expects {kernel.shape[-1]} input channels, the input "
                         f"{x.shape} has {_channels(x.shape, fmt)}.")
    ops = (None,) * len(size) if output_padding is None else _tuple(
        output_padding, len(size), "output_padding")
    crops = _transpose_crops(size, kernel.shape[:-2], strides, padding, ops, dilation)
    return _conv_transpose(x, kernel, strides=strides, crops=crops, dilation=dilation,
                           data_format=fmt)


# -- pooling --------------------------------------------------------------------------------
def _tiles(x, window, strides, pads):
    """``x`` cut into non-overlapping tiles ``(N, o1, k1, o2, k2, ..., C)`` (a view), or None."""
    if tuple(strides) != tuple(window) or any(l or r for l, r in pads):
        return None
    nd = len(window)
    out = tuple(n // k for n, k in zip(x.shape[1:1 + nd], window))
    x = x[(slice(None),) + tuple(slice(0, o * k) for o, k in zip(out, window))]
    return x.reshape((x.shape[0],) + sum(zip(out, window), ()) + x.shape[1 + nd:])


def _untile(t, shape):
    """Inverse of ``_tiles``: ``(N, o1, k1, ..., C)`` back to ``shape``, zeros in the rest."""
    nd = len(shape) - 2
    merged = t.reshape((t.shape[0],) + tuple(t.shape[1 + 2 * i] * t.shape[2 + 2 * i]
                                             for i in range(nd)) + t.shape[-1:])
    return _pad(merged, tuple((0, n - m) for n, m in zip(shape[1:-1], merged.shape[1:-1])))


def _spread(nd):
    """Index that turns pooled ``(N, *out, C)`` into ``(N, o1, 1, o2, 1, ..., C)``."""
    return (slice(None),) + (slice(None), None) * nd + (slice(None),)


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _max_pool_tiles(x, tiles, data_format):
    """Max pooling of non-overlapping windows ``(N, o1, k1, o2, k2, ..., C)``, loop-free.

    The loops run over the cells of one window (e.g. 4 for 2x2), never over positions:
    an element-wise maximum of strided views is faster in numpy than an axis reduction.
    The VJP sends each window's gradient to its FIRST maximum in row-major window order
    (ties, e.g. all-zero windows after a ReLU, must not split or duplicate it), as TF and
    PyTorch do.
    """
    nd = (tiles.ndim - 2) // 2
    window = tuple(tiles.shape[2 + 2 * i] for i in range(nd))
    cells = list(np.ndindex(*window))

    def cell(arr, offs):
        index = [slice(None)] * arr.ndim
        for i, o in enumerate(offs):
            index[2 + 2 * i] = o
        return tuple(index)

    out = np.array(tiles[cell(tiles, cells[0])])
    for offs in cells[1:]:
        np.maximum(out, tiles[cell(tiles, offs)], out=out)

    def vjp(g):
        g = _last(g, data_format)
        dx = np.empty(tiles.shape, g.dtype)
        taken = np.zeros(out.shape, bool)
        for offs in cells:
            hit = tiles[cell(tiles, offs)] == out
            hit &= ~taken
            taken |= hit
            np.multiply(hit, g, out=dx[cell(dx, offs)])
        return (_first(_untile(dx, x.shape), data_format),)

    return _first(out, data_format), vjp


def _max_pool2d_compiled(compiled, x, pool_size, data_format):
    """``_max_pool_tiles`` for 2D windows in one compiled pass each way (same numbers).

    The forward pass also records which cell of each window is its first maximum, so the
    backward pass only scatters ``g`` (it reads neither ``x`` nor the output again): the
    gradient of the CNN benchmark's first pooling went from 5.1 to 1.3 ms.
    """
    (kh, kw), (n, h, w, c) = pool_size, x.shape
    out = np.empty((n, h // kh, w // kw, c), x.dtype)
    first = np.empty(out.shape, x.dtype)
    compiled.max_pool2d(x, kh, kw, out, first)

    def vjp(g):
        g = np.ascontiguousarray(_last(g, data_format), x.dtype)
        return (_first(compiled.max_pool2d_grad(first, g, h, w, kh, kw), data_format),)

    return _first(out, data_format), vjp


@primitive
def _max_pool(x, pool_size, strides, pads, data_format):
    x = _last(x, data_format)
    nd, kvol = len(pool_size), int(np.prod(pool_size))
    tiles = _tiles(x, pool_size, strides, pads)
    compiled = kernels_for(x.dtype)
    if tiles is not None and compiled is not None and nd == 2:
        return _max_pool2d_compiled(compiled, np.ascontiguousarray(x), pool_size, data_format)
    if tiles is not None:
        return _max_pool_tiles(x, tiles, data_format)
    xp = _pad(x, pads, _lowest(x.dtype))
    win = _windows(xp, pool_size, strides, (1,) * nd)
    flat = win.reshape(win.shape[:1 + nd] + (kvol, x.shape[-1]))
    out = flat.max(axis=-2)

    def vjp(g):
        g = _last(g, data_format)
        # Ties send the whole gradient to the first maximum in row-major window order.
        idx = flat.argmax(axis=-2)
        cols = (np.arange(kvol)[:, None] == idx[..., None, :]) * g[..., None, :]
        cols = cols.reshape(out.shape[:-1] + tuple(pool_size) + out.shape[-1:])
        dxp = _col2im(cols, xp.shape, pool_size, strides, (1,) * nd)
        return (_first(_pad(dxp, tuple((-l, -r) for l, r in pads)), data_format),)

    return _first(out, data_format), vjp


@primitive
def _average_pool(x, pool_size, strides, pads, data_format):
    x = _last(x, data_format)
    nd, kvol = len(pool_size), int(np.prod(pool_size))
    tiles = _tiles(x, pool_size, strides, pads)
    if tiles is not None:
        out = tiles
        for i in range(nd):  # one axis at a time: faster than a multi-axis reduction
            out = out.sum(axis=2 + i)
        out = out / np.asarray(kvol, out.dtype)

        def vjp(g):
            gk = _last(g, data_format) / np.asarray(kvol, g.dtype)
            cols = np.broadcast_to(gk[_spread(nd)], tiles.shape)
            return (_first(_untile(cols, x.shape), data_format),)

        return _first(out, data_format), vjp
    xp = _pad(x, pads)
    win = _windows(xp, pool_size, strides, (1,) * nd)
    # Padded cells do not count (TF): the divisor is the number of real cells per window.
    ones = _pad(np.ones((1,) + x.shape[1:-1] + (1,), x.dtype), pads)
    count = _windows(ones, pool_size, strides, (1,) * nd).sum(
        axis=tuple(range(1 + nd, 1 + 2 * nd)))[0]
    out = win.sum(axis=tuple(range(1 + nd, 1 + 2 * nd))) / count

    def vjp(g):
        gc = _last(g, data_format) / count
        cols = np.broadcast_to(gc[(Ellipsis,) + (None,) * nd + (slice(None),)], win.shape)
        dxp = _col2im(cols, xp.shape, pool_size, strides, (1,) * nd)
        return (_first(_pad(dxp, tuple((-l, -r) for l, r in pads)), data_format),)

    return _first(out, data_format), vjp


def _pool(primitive_fn, op, inputs, pool_size, strides, padding, data_format):
    x = convert_to_tensor(inputs)
    data_format = _data_format(data_format)
    size = _spatial(x.shape, data_format, op)
    pool_size = _tuple(pool_size, len(size), "pool_size")
    strides = pool_size if strides is None else _tuple(strides, len(size), "strides")
    pads = _padding(padding, size, pool_size, strides, (1,) * len(size))
    if str(padding).lower() == "causal":
        raise ValueError(f"{op}: `padding` must be 'valid' or 'same', got 'causal'.")
    return primitive_fn(x, pool_size=pool_size, strides=strides, pads=pads,
                        data_format=data_format)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling (1D, 2D or 3D), as ``keras.ops.max_pool``.

    Args:
        inputs: ``(batch, *spatial, channels)`` (or channels first).
        pool_size: int or tuple, one per spatial dimension.
        strides: int or tuple; defaults to ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (TF: ``out = ceil(in / strides)``, extra padding
            at the end, padded cells never win).
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        The pooled tensor. The gradient of each window goes to its first maximum.

    Example:
        >>> kcore.ops.max_pool(np.ones((1, 4, 4, 3), "float32"), 2).shape
        (1, 2, 2, 3)
    """
    return _pool(_max_pool, "max_pool", inputs, pool_size, strides, padding, data_format)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling (1D, 2D or 3D), as ``keras.ops.average_pool``.

    Args:
        inputs, pool_size, strides, data_format: as for ``max_pool``.
        padding: ``"valid"`` or ``"same"``; with ``"same"``, padded cells are left out of
            each window's average, as in TF.

    Returns:
        The pooled tensor.

    Example:
        >>> kcore.ops.average_pool(np.ones((1, 4, 4, 3), "float32"), 2, 1, "same").shape
        (1, 4, 4, 3)
    """
    return _pool(_average_pool, "average_pool", inputs, pool_size, strides, padding,
                 data_format)
