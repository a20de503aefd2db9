"""The compiled kernels (``kcore[fast]``, numba) give exactly the numpy path's numbers.

Every op that can take a compiled kernel is run twice on the same inputs, once as is and
once inside ``kernels.numpy_only()``, and the values and gradients must be equal bit for
bit: the kernels do the same floating-point operations in the same order. Edge cases that
change the path's logic are in the inputs: NaNs, ties (all-equal windows, as after a ReLU),
windows that do not fill the input, strides, dilation, "same" padding, float64,
channels_first.
"""

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from kcore import ops
from kcore.backend import kernels
from kcore.backend.autodiff import GradientTape
from kcore.backend.tensor import Variable

pytest.importorskip("numba")


def _values_and_grads(fn, *arrays):
    """``fn(*arrays)`` and the gradients of ``sum(fn * cotangent)`` w.r.t. every array."""
    variables = [Variable(a, dtype=a.dtype.name) for a in arrays]
    with GradientTape() as tape:
        for v in variables:
            tape.watch(v)
        y = fn(*variables)
        cot = np.random.default_rng(7).standard_normal(y.shape).astype(y.dtype)
        loss = ops.sum(y * cot)
    grads = tape.gradient(loss, variables)
    return [np.asarray(y.value)] + [np.asarray(getattr(g, "value", g)) for g in grads]


def _both_paths(fn, *arrays):
    assert kernels.status() == "numba"
    compiled = _values_and_grads(fn, *arrays)
    with kernels.numpy_only():
        assert kernels.status() == "numpy"
        reference = _values_and_grads(fn, *arrays)
    return compiled, reference


def _assert_identical(compiled, reference):
    for a, b in zip(compiled, reference):
        assert a.dtype == b.dtype and a.shape == b.shape
        # equal bits (NaN where NaN), not merely close; +0.0 == -0.0 is fine
        np.testing.assert_array_equal(a, b, strict=True)


def _relu_input(rng, shape, dtype):
    x = np.maximum(rng.standard_normal(shape), 0).astype(dtype)  # many all-zero windows
    x.reshape(-1)[::97] = 1.5  # and exact ties between nonzero values
    return x


@pytest.mark.parametrize("shape,pool,data_format", [
    ((3, 8, 8, 5), 2, "channels_last"),
    ((2, 11, 9, 4), 2, "channels_last"),      # odd sizes: last row/column in no window
    ((2, 9, 7, 3), (3, 2), "channels_last"),
    ((2, 7, 10, 1), (2, 3), "channels_last"),
    ((2, 4, 9, 8), 2, "channels_first"),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_2d(shape, pool, data_format, dtype):
    rng = np.random.default_rng(0)
    x = _relu_input(rng, shape, dtype)
    x[0, 0, 0, 0] = np.nan
    compiled, reference = _both_paths(
        lambda v: ops.max_pool(v, pool, data_format=data_format), x)
    _assert_identical(compiled, reference)
    assert np.isnan(compiled[0]).any()


@pytest.mark.parametrize("case", [
    {"x": (4, 12, 12, 3), "k": (3, 3, 3, 8)},
    {"x": (3, 13, 13, 8), "k": (3, 3, 8, 16), "strides": 2},
    {"x": (2, 12, 11, 6), "k": (3, 3, 6, 4), "dilation_rate": 2},
    {"x": (2, 9, 10, 6), "k": (3, 2, 6, 5), "padding": "same"},
    {"x": (2, 9, 10, 6), "k": (2, 2, 6, 5), "strides": (2, 1), "padding": "same"},
    {"x": (2, 6, 9, 9), "k": (3, 3, 6, 4), "data_format": "channels_first"},
    {"x": (2, 8, 8, 6), "k": (3, 3, 3, 4)},   # grouped: numpy path on both sides
    {"x": (3, 9, 9, 4), "k": (3, 3, 4, 5), "dtype": np.float64},
    {"x": (40, 9, 9, 4), "k": (3, 3, 4, 5)},  # several chunks of samples
])
def test_conv_gradients(case):
    case = dict(case)
    rng = np.random.default_rng(1)
    dtype = case.pop("dtype", np.float32)
    x = rng.standard_normal(case.pop("x")).astype(dtype)
    k = (rng.standard_normal(case.pop("k")) * 0.3).astype(dtype)
    compiled, reference = _both_paths(lambda xv, kv: ops.conv(xv, kv, **case), x, k)
    _assert_identical(compiled, reference)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_layer_with_relu(dtype):
    """The Conv2D layer's fused bias + ReLU path: the ReLU mask of the gradient."""
    import kcore

    rng = np.random.default_rng(2)
    layer = kcore.layers.Conv2D(6, 3, activation="relu", dtype=np.dtype(dtype).name)
    x = rng.standard_normal((3, 10, 10, 2)).astype(dtype)
    layer.build(x.shape)
    layer.bias.assign(rng.standard_normal(6).astype(dtype))

    def grads():
        with GradientTape() as tape:
            y = layer(x)
            loss = ops.sum(y * np.linspace(-1, 1, y.size).reshape(y.shape).astype(dtype))
        return [np.asarray(y)] + [np.asarray(g) for g in tape.gradient(loss, layer.trainable_weights)]

    compiled = grads()
    with kernels.numpy_only():
        reference = grads()
    _assert_identical(compiled, reference)
    assert (compiled[0] == 0).any() and (compiled[0] > 0).any()


def test_relu_mask_special_values():
    """``sign(y) * g`` for zeros of both signs, NaN and infinities, as numpy computes it."""
    from kcore.backend import _numba_kernels

    vals = np.array([0.0, -0.0, 1.0, -2.0, np.nan, np.inf, 1e-40])
    y, g = (a.ravel() for a in np.meshgrid(vals, np.r_[vals, -np.inf, -1.0]))
    for dtype, bits in ((np.float32, np.uint32), (np.float64, np.uint64)):
        with np.errstate(invalid="ignore"):
            expected = (np.sign(y.astype(dtype)) * g.astype(dtype)).view(bits)
        got = _numba_kernels.sign_times(y.astype(dtype), g.astype(dtype)).view(bits)
        np.testing.assert_array_equal(got, expected)


def test_numpy_only_is_per_thread():
    """``numpy_only`` is a context variable: another thread keeps the compiled kernels."""
    inside, seen = threading.Event(), []

    def other():
        inside.wait()
        seen.append(kernels.status())

    t = threading.Thread(target=other)
    t.start()
    with kernels.numpy_only():
        inside.set()
        t.join()
        assert kernels.status() == "numpy"
    assert seen == ["numba"] and kernels.status() == "numba"


def _child(code, **env):
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_env_switch_and_lazy_import():
    code = ("import sys, kcore; from kcore.backend import kernels; "
            "print('numba' in sys.modules, kernels.status(), 'numba' in sys.modules)")
    assert _child(code) == "False numba True"           # numba imported on first use only
    assert _child(code, KCORE_NUMBA="0") == "False numpy False"


@pytest.mark.parametrize("kw", [
    {}, {"return_sequences": False}, {"go_backwards": True},
    {"mask": True}, {"mask": True, "return_sequences": False},
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lstm(kw, dtype):
    """The tanh/sigmoid LSTM's fused step kernels (forward cell update, backward step)."""
    from kcore.ops import recurrent

    rng = np.random.default_rng(3)
    B, T, n, u = 5, 7, 4, 6
    x, h0, c0 = (rng.standard_normal(s).astype(dtype) for s in ((B, T, n), (B, u), (B, u)))
    k, r = ((rng.standard_normal(s) * 0.5).astype(dtype) for s in ((n, 4 * u), (u, 4 * u)))
    b = (rng.standard_normal(4 * u) * 0.3).astype(dtype)
    kw = dict(kw)
    if kw.pop("mask", False):
        mask = rng.random((B, T)) > 0.3
        mask[0, :3] = False
        kw["mask"] = mask

    def fn(*v):
        y, h, c = recurrent.lstm_sequence(*v, **kw)
        return ops.concatenate([ops.reshape(y, (B, -1)), h, c * 0.5], axis=1)

    compiled, reference = _both_paths(fn, x, h0, c0, k, r, b)
    _assert_identical(compiled, reference)


@pytest.mark.parametrize("case", ["float32", "float64", "strided_gradient", "amsgrad", "adamw",
                                  "small"])
def test_adam(case):
    """Adam's fused update: weights and both moments equal to the numpy passes' after steps
    whose gradients have exact zeros (the moments decay) and large values."""
    import kcore

    dtype = np.float64 if case == "float64" else np.float32
    shape = (3, 5) if case == "small" else (300, 257)   # more than one numpy block

    def run():
        rng = np.random.default_rng(4)
        v = kcore.Variable(rng.standard_normal(shape).astype(dtype))
        if case == "adamw":
            opt = kcore.optimizers.AdamW(learning_rate=3e-3, weight_decay=0.01)
        else:
            opt = kcore.optimizers.Adam(learning_rate=3e-3, amsgrad=case == "amsgrad")
        for step in range(4):
            g = rng.standard_normal((shape[1], shape[0]) if case == "strided_gradient"
                                    else shape).astype(dtype)
            g = g.T if case == "strided_gradient" else g
            g[: shape[0] // 3] = 0
            g[-1] *= 1e4
            opt.apply([g], [v])
        return [np.asarray(v.value)] + [np.asarray(s.value) for s in opt.variables[2:]]

    compiled = run()
    with kernels.numpy_only():
        reference = run()
    assert len(compiled) >= 3
    _assert_identical(compiled, reference)


@pytest.mark.parametrize("ids_shape,vocab,dtype", [
    ((64, 100), 50, np.float32),     # long runs of repeated ids
    ((7, 5), 1000, np.float32),      # mostly single occurrences, most rows untouched
    ((300,), 3, np.float64),         # one id repeated ~100 times (a deep tree)
    ((4, 6), 10, np.float32),        # negative ids
])
def test_gather_rows_gradient(ids_shape, vocab, dtype):
    """The embedding gradient: the compiled counting sort + pairwise tree per id."""
    rng = np.random.default_rng(5)
    table = rng.standard_normal((vocab, 8)).astype(dtype)
    ids = rng.integers(0, vocab, ids_shape)
    if vocab == 10:
        ids = ids - vocab * (rng.random(ids_shape) > 0.5)
    compiled, reference = _both_paths(lambda t: ops.take(t, ids, axis=0), table)
    _assert_identical(compiled, reference)


def test_other_dtypes_stay_on_numpy():
    """float16 has no kernels: every op that has one still works on it (numpy code)."""
    import kcore

    assert kernels.kernels_for(np.float16) is None
    assert kernels.kernels_for(np.float32, np.float64) is not None
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 6, 6, 3)).astype(np.float16)
    k = rng.standard_normal((3, 3, 3, 4)).astype(np.float16)
    for fn, args in [(lambda v: ops.max_pool(v, 2), (x,)),
                     (lambda v, w: ops.conv(v, w), (x, k)),
                     (lambda t: ops.take(t, np.array([0, 2, 2]), axis=0), (x[0, 0],))]:
        compiled, reference = _both_paths(fn, *args)
        _assert_identical(compiled, reference)
        assert compiled[0].dtype == np.float16
    v = kcore.Variable(np.ones((3, 4), np.float16), dtype="float16")
    kcore.optimizers.Adam().apply([np.ones((3, 4), np.float16)], [v])
    assert v.value.dtype == np.float16 and (v.value < 1).all()
