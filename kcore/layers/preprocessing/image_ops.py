"""Image resampling for the image preprocessing layers, built from differentiable ``kcore.ops``.

Resizing is separable: each spatial axis is multiplied by a ``(in, out)`` interpolation
matrix (half-pixel centres, the kernel of the chosen method, rows renormalised), as Keras's
numpy/jax backends compute it. Affine transforms (rotation, zoom, translation) map every
output pixel to an input coordinate and gather its neighbours, with Keras's fill modes
(``reflect`` = ``d c b a | a b c d | d c b a``, ``wrap``, ``nearest``, ``constant``).
All work on channels-last batches ``(N, H, W, C)``.
"""

import numpy as np

from kcore import ops

INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5")
AFFINE_INTERPOLATIONS = ("bilinear", "nearest")
FILL_MODES = ("reflect", "wrap", "constant", "nearest")


def _triangle(x):
    return np.maximum(0.0, 1.0 - np.abs(x))


def _keys_cubic(x):
    out = ((1.5 * x - 2.5) * x) * x + 1.0
    out = np.where(x >= 1.0, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, out)
    return np.where(x >= 2.0, 0.0, out)


def _lanczos(radius):
    def kernel(x):
        safe = np.where(x != 0, x, 1.0)
        y = radius * np.sin(np.pi * safe) * np.sin(np.pi * safe / radius) / (np.pi ** 2 * safe ** 2)
        return np.where(x > radius, 0.0, np.where(x > 1e-3, y, 1.0))
    return kernel


_KERNELS = {"bilinear": _triangle, "bicubic": _keys_cubic, "lanczos3": _lanczos(3.0),
            "lanczos5": _lanczos(5.0)}


def interpolation_matrix(in_size, out_size, method, antialias=False):
    """The ``(in_size, out_size)`` matrix that resamples one axis (float64)."""
    inv_scale = in_size / out_size
    samples = (np.arange(out_size) + 0.5) * inv_scale - 0.5
    if method == "nearest":
        idx = np.floor((np.arange(out_size) + 0.5) * in_size / out_size).astype(int)
        mat = np.zeros((in_size, out_size))
        mat[np.minimum(idx, in_size - 1), np.arange(out_size)] = 1.0
        return mat
    kernel_scale = max(inv_scale, 1.0) if antialias else 1.0
    dist = np.abs(samples[None, :] - np.arange(in_size)[:, None]) / kernel_scale
    weights = _KERNELS[method](dist)
    total = weights.sum(axis=0, keepdims=True)
    weights = np.where(np.abs(total) > 1000.0 * np.finfo(np.float32).eps,
                       weights / np.where(total != 0, total, 1.0), 0.0)
    inside = (samples >= -0.5) & (samples <= in_size - 0.5)
    return np.where(inside[None, :], weights, 0.0)


def resize(images, height, width, method, antialias=False):
    """Resizes channels-last ``(N, H, W, C)`` images to ``(N, height, width, C)``."""
    _, in_h, in_w, _ = images.shape
    dtype = images.dtype
    if method == "nearest":
        if in_h != height:
            idx = np.floor((np.arange(height) + 0.5) * in_h / height).astype("int64")
            images = ops.take(images, np.minimum(idx, in_h - 1), axis=1)
        if in_w != width:
            idx = np.floor((np.arange(width) + 0.5) * in_w / width).astype("int64")
            images = ops.take(images, np.minimum(idx, in_w - 1), axis=2)
        return images
    if in_h != height:
        mat = interpolation_matrix(in_h, height, method, antialias).astype(dtype)
        images = ops.einsum("nhwc,hH->nHwc", images, mat)
    if in_w != width:
        mat = interpolation_matrix(in_w, width, method, antialias).astype(dtype)
        images = ops.einsum("nhwc,wW->nhWc", images, mat)
    return images


def aspect_crop_box(in_h, in_w, height, width):
    """``(top, left, crop_h, crop_w)``: the largest centred window of aspect ``height/width``."""
    crop_h = max(min(in_h, int(float(in_w * height) / width)), 1)
    crop_w = max(min(in_w, int(float(in_h * width) / height)), 1)
    return int(float(in_h - crop_h) / 2), int(float(in_w - crop_w) / 2), crop_h, crop_w


def pad_to_aspect(images, height, width, fill_value):
    """Pads ``(N, H, W, C)`` symmetrically with ``fill_value`` to the target aspect ratio."""
    _, in_h, in_w, _ = images.shape
    pad_h = int(float(max(int(float(in_w * height) / width), in_h) - in_h) / 2)
    pad_w = int(float(max(int(float(in_h * width) / height), in_w) - in_w) / 2)
    if pad_h > 0:
        widths = [(0, 0), (pad_h, pad_h), (0, 0), (0, 0)]
    elif pad_w > 0:
        widths = [(0, 0), (0, 0), (pad_w, pad_w), (0, 0)]
    else:
        return images
    return ops.pad(images, widths, constant_values=fill_value)


def _map_index(idx, size, fill_mode):
    """Integer coordinates mapped into ``[0, size)`` by ``fill_mode``; constant mode keeps
    out-of-range ones out (the caller masks them)."""
    if fill_mode == "reflect":
        period = 2 * size
        idx = np.mod(idx, period)
        return np.where(idx >= size, period - 1 - idx, idx)
    if fill_mode == "wrap":
        return np.mod(idx, size)
    return np.clip(idx, 0, size - 1)


def affine_transform(images, transforms, interpolation, fill_mode, fill_value):
    """Samples ``(N, H, W, C)`` images through per-image affine ``transforms``.

    Args:
        images: channels-last batch (a ``Tensor``; gradients flow to it).
        transforms: ``(N, 6)`` rows ``[a0, a1, a2, b0, b1, b2]`` mapping an output pixel
            ``(x, y)`` to the input point ``(a0 x + a1 y + a2, b0 x + b1 y + b2)``, as the
            first six entries of Keras's 8-entry transform vectors.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_mode: ``"reflect"``, ``"wrap"``, ``"nearest"`` or ``"constant"``.
        fill_value: the value outside the image in ``"constant"`` mode.
    """
    n, h, w, c = images.shape
    ys, xs = np.meshgrid(np.arange(h, dtype="float64"), np.arange(w, dtype="float64"),
                         indexing="ij")
    t = np.asarray(transforms, dtype="float64")[:, :, None, None]
    src_x = t[:, 0] * xs + t[:, 1] * ys + t[:, 2]
    src_y = t[:, 3] * xs + t[:, 4] * ys + t[:, 5]
    if interpolation == "nearest":
        corners = [(np.floor(src_y + 0.5), np.floor(src_x + 0.5), np.ones_like(src_x))]
    else:
        y0, x0 = np.floor(src_y), np.floor(src_x)
        dy, dx = src_y - y0, src_x - x0
        corners = [(y0, x0, (1 - dy) * (1 - dx)), (y0, x0 + 1, (1 - dy) * dx),
                   (y0 + 1, x0, dy * (1 - dx)), (y0 + 1, x0 + 1, dy * dx)]
    flat = ops.reshape(images, (n * h * w, c))
    base = (np.arange(n) * h * w)[:, None, None]
    out = None
    outside = np.zeros((n, h, w))
    for cy, cx, weight in corners:
        cy, cx = cy.astype("int64"), cx.astype("int64")
        if fill_mode == "constant":
            valid = (cy >= 0) & (cy < h) & (cx >= 0) & (cx < w)
            outside = outside + np.where(valid, 0.0, weight)
            weight = np.where(valid, weight, 0.0)
        idx = base + _map_index(cy, h, fill_mode) * w + _map_index(cx, w, fill_mode)
        term = ops.multiply(ops.take(flat, idx.reshape(-1), axis=0),
                            weight.reshape(-1, 1).astype(images.dtype))
        out = term if out is None else ops.add(out, term)
    out = ops.reshape(out, (n, h, w, c))
    if fill_mode == "constant" and np.any(outside):
        out = ops.add(out, (outside[..., None] * fill_value).astype(images.dtype))
    return out
