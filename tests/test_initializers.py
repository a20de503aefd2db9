"""kcore.initializers: shapes, dtypes, statistics, fans, determinism, configs, names."""

import math

import numpy as np
import pytest

from kcore import initializers as I
from kcore.backend import config
from kcore.backend import random as krandom

BIG = (400, 500)  # fan_in 400, fan_out 500


@pytest.mark.parametrize("shape, fans", [
    ((), (1, 1)), ((7,), (7, 7)), ((3, 5), (3, 5)),
    ((3, 3, 4, 8), (36, 72)), ((5, 4, 8), (20, 40)), ((2, 3, 3, 4, 8), (72, 144)),
])
def test_compute_fans(shape, fans):
    assert I.compute_fans(shape) == fans


@pytest.mark.parametrize("init, limit", [
    (I.GlorotUniform(), math.sqrt(6 / (400 + 500))),
    (I.HeUniform(), math.sqrt(6 / 400)),
    (I.LecunUniform(), math.sqrt(3 / 400)),
    (I.RandomUniform(-0.2, 0.3), None),
    (I.VarianceScaling(2.0, "fan_out", "uniform"), math.sqrt(3 * 2.0 / 500)),
])
def test_uniform_limits(init, limit):
    w = init(BIG)
    lo, hi = (-limit, limit) if limit is not None else (-0.2, 0.3)
    assert w.min() >= lo and w.max() <= hi
    assert w.min() < lo + 0.01 * (hi - lo) and w.max() > hi - 0.01 * (hi - lo)
    assert abs(w.mean() - (lo + hi) / 2) < 0.01 * (hi - lo)


@pytest.mark.parametrize("init, std", [
    (I.GlorotNormal(), math.sqrt(2 / 900)),
    (I.HeNormal(), math.sqrt(2 / 400)),
    (I.LecunNormal(), math.sqrt(1 / 400)),
    (I.VarianceScaling(3.0, "fan_avg", "untruncated_normal"), math.sqrt(3 / 450)),
    (I.TruncatedNormal(0.0, 0.1), None),
])
def test_normal_statistics(init, std):
    w = init(BIG)
    if std is None:
        # TruncatedNormal keeps the given stddev before truncation (Keras): std = 0.088 * 0.1
        assert np.abs(w).max() <= 0.2 + 1e-6
        assert abs(w.std() - 0.1 * 0.8796) < 0.003
    else:
        assert abs(w.std() - std) < 0.02 * std
    assert abs(w.mean()) < 0.02 * w.std()


def test_truncated_variance_scaling_is_truncated_at_two_stddevs():
    w = I.VarianceScaling(1.0, "fan_in", "truncated_normal")(BIG)
    stddev = math.sqrt(1 / 400) / 0.87962566103423978
    assert np.abs(w).max() <= 2 * stddev + 1e-6


def test_random_normal_mean_and_stddev():
    w = I.RandomNormal(mean=1.0, stddev=0.5)(BIG)
    assert abs(w.mean() - 1.0) < 0.01 and abs(w.std() - 0.5) < 0.01


@pytest.mark.parametrize("name", ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
                                  "lecun_uniform", "lecun_normal", "random_normal",
                                  "random_uniform", "truncated_normal", "orthogonal",
                                  "variance_scaling", "zeros", "ones", "identity"])
def test_dtype_and_shape(name):
    init = I.get(name)
    assert init((4, 5)).dtype == np.float32 and init((4, 5)).shape == (4, 5)
    assert init((4, 5), dtype="float64").dtype == np.float64
    assert init((4, 5), dtype="float16").dtype == np.float16


def test_default_dtype_follows_floatx():
    config.set_floatx("float64")
    try:
        assert I.GlorotUniform()((2, 2)).dtype == np.float64
    finally:
        config.set_floatx("float32")


def test_seeded_initializers_repeat_and_unseeded_follow_the_global_seed():
    a = I.HeNormal(seed=3)
    np.testing.assert_array_equal(a((5, 5)), a((5, 5)))
    np.testing.assert_array_equal(a((5, 5)), I.HeNormal(seed=3)((5, 5)))
    assert not np.array_equal(a((5, 5)), I.HeNormal(seed=4)((5, 5)))
    b = I.GlorotUniform()
    assert not np.array_equal(b((5, 5)), b((5, 5)))
    krandom.set_random_seed(11)
    first = b((5, 5))
    krandom.set_random_seed(11)
    np.testing.assert_array_equal(first, b((5, 5)))


def test_seed_generator_advances():
    init = I.RandomNormal(seed=krandom.SeedGenerator(1))
    assert not np.array_equal(init((3,)), init((3,)))


@pytest.mark.parametrize("shape", [(6, 6), (4, 9), (9, 4), (3, 3, 2, 5)])
def test_orthogonal_is_orthogonal(shape):
    gain = 1.5
    w = I.Orthogonal(gain=gain, seed=0)(shape, dtype="float64")
    flat = w.reshape(-1, shape[-1])
    if flat.shape[0] >= flat.shape[1]:
        np.testing.assert_allclose(flat.T @ flat, gain ** 2 * np.eye(flat.shape[1]), atol=1e-10)
    else:
        np.testing.assert_allclose(flat @ flat.T, gain ** 2 * np.eye(flat.shape[0]), atol=1e-10)
    with pytest.raises(ValueError, match="at least two-dimensional"):
        I.Orthogonal()((3,))


def test_identity_zeros_ones_constant():
    np.testing.assert_array_equal(I.Identity(gain=2.0)((2, 3)), [[2, 0, 0], [0, 2, 0]])
    with pytest.raises(ValueError, match="2D"):
        I.Identity()((2, 2, 2))
    np.testing.assert_array_equal(I.Zeros()((2,)), [0, 0])
    np.testing.assert_array_equal(I.Ones()((2,)), [1, 1])
    np.testing.assert_array_equal(I.Constant(3.5)((2,)), [3.5, 3.5])
    np.testing.assert_array_equal(I.Constant([1.0, 2.0])((2, 2)), [[1, 2], [1, 2]])


def test_variance_scaling_validates_arguments():
    with pytest.raises(ValueError, match="scale"):
        I.VarianceScaling(scale=0)
    with pytest.raises(ValueError, match="mode"):
        I.VarianceScaling(mode="fan_sum")
    with pytest.raises(ValueError, match="distribution"):
        I.VarianceScaling(distribution="cauchy")
    with pytest.raises(ValueError, match="seed"):
        I.GlorotUniform(seed="x")


@pytest.mark.parametrize("init", [
    I.GlorotUniform(seed=1), I.GlorotNormal(), I.HeUniform(seed=2), I.HeNormal(), I.LecunUniform(),
    I.LecunNormal(seed=5), I.Orthogonal(gain=2.0, seed=3), I.RandomNormal(0.1, 0.2, seed=4),
    I.RandomUniform(-1.0, 2.0), I.TruncatedNormal(0.0, 0.3), I.Zeros(), I.Ones(), I.Constant(2.5),
    I.Identity(gain=0.5), I.VarianceScaling(2.0, "fan_avg", "uniform", seed=7),
])
def test_config_round_trip(init):
    config_ = I.serialize(init)
    assert config_["module"] == "keras.initializers"
    restored = I.deserialize(config_)
    assert type(restored) is type(init) and restored.get_config() == init.get_config()
    if init.get_config().get("seed") is not None:
        np.testing.assert_array_equal(restored((3, 4)), init((3, 4)))


def test_keras_configs():
    # Keras 3.15 writes input_axes/output_axes for every variance-scaling initializer
    # (see tests/fixtures/keras/models/k3_cnn.h5.layout.txt).
    assert I.serialize(I.GlorotUniform()) == {
        "module": "keras.initializers", "class_name": "GlorotUniform",
        "config": {"seed": None, "input_axes": None, "output_axes": None},
        "registered_name": None}
    assert I.VarianceScaling().get_config() == {"scale": 1.0, "mode": "fan_in",
                                                "distribution": "truncated_normal", "seed": None,
                                                "input_axes": None, "output_axes": None}
    assert I.RandomUniform().get_config() == {"minval": -0.05, "maxval": 0.05, "seed": None}


@pytest.mark.parametrize("name, cls, attrs", [
    ("glorot_uniform", I.GlorotUniform, {}), ("GlorotUniform", I.GlorotUniform, {}),
    ("he_normal", I.HeNormal, {}), ("lecun_uniform", I.LecunUniform, {}),
    ("lecun_normal", I.LecunNormal, {}), ("zeros", I.Zeros, {}), ("zero", I.Zeros, {}),
    ("ones", I.Ones, {}), ("one", I.Ones, {}), ("orthogonal", I.Orthogonal, {}),
    ("Orthogonal", I.Orthogonal, {}), ("OrthogonalInitializer", I.Orthogonal, {}),
    ("uniform", I.RandomUniform, {"minval": -0.05, "maxval": 0.05}),
    ("random_uniform", I.RandomUniform, {}), ("normal", I.RandomNormal, {"stddev": 0.05}),
    ("random_normal", I.RandomNormal, {}), ("truncated_normal", I.TruncatedNormal, {}),
    ("identity", I.Identity, {}), ("constant", I.Constant, {"value": 0.0}),
    ("variance_scaling", I.VarianceScaling, {}),
])
def test_string_aliases(name, cls, attrs):
    init = I.get(name)
    assert type(init) is cls
    for k, v in attrs.items():
        assert getattr(init, k) == v


def test_get_handles_none_classes_callables_and_unknown_names():
    assert I.get(None) is None
    assert isinstance(I.get(I.HeNormal), I.HeNormal)
    fn = lambda shape, dtype=None: np.zeros(shape)  # noqa: E731
    assert I.get(fn) is fn
    with pytest.raises(ValueError, match="Did you mean 'glorot_uniform'.*Known initializers"):
        I.get("glorot_unifrom")
    with pytest.raises(ValueError, match="Could not interpret initializer"):
        I.get(1.5)


def test_fans_over_given_axes():
    init = I.VarianceScaling(scale=1.0, mode="fan_in", distribution="uniform", seed=1,
                             input_axes=[0, 1], output_axes=[2])
    w = init((4, 5, 6))
    assert np.abs(w).max() <= np.sqrt(3.0 / 20) + 1e-7
    assert I.compute_fans((4, 5, 6), [0, 1], [2]) == (20, 6)
