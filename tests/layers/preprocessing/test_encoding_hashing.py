"""Discretization, CategoryEncoding and Hashing against real-Keras fixtures."""

import json

import numpy as np
import pytest

from kcore import layers
from kcore.layers.preprocessing import string_hash

from pp_fixtures import PATH, as_input, fixture, layer_kwargs, output_of


def _check(cls, entry, **call_kwargs):
    layer = cls(**layer_kwargs(entry["config"]))
    out = output_of(layer(as_input(entry), **call_kwargs))
    want = np.asarray(entry["output"])
    assert out.shape == want.shape
    assert out.dtype.kind == want.dtype.kind
    np.testing.assert_allclose(out, want, rtol=1e-6, atol=1e-6)
    clone = cls.from_config(layer.get_config())
    np.testing.assert_array_equal(output_of(clone(as_input(entry), **call_kwargs)), out)
    return layer


@pytest.mark.parametrize("key", ["int", "one_hot", "multi_hot", "count"])
def test_discretization_modes_match_keras(key):
    layer = _check(layers.Discretization, fixture("discretization")[key])
    assert output_of(layer(np.zeros((2,)))).dtype == (np.int32 if key == "int" else np.float32)


@pytest.mark.parametrize("key", ["adapt_arange", "adapt_normal", "adapt_coarse"])
def test_discretization_adapt_matches_keras(key):
    entry = fixture("discretization")[key]
    kwargs = layer_kwargs(entry["config"])
    want = kwargs.pop("bin_boundaries")
    layer = layers.Discretization(**kwargs)
    layer.adapt(np.asarray(entry["adapt"], dtype="float32"))
    np.testing.assert_allclose(layer.bin_boundaries, want, rtol=1e-6)
    np.testing.assert_array_equal(output_of(layer(as_input(entry))), entry["output"])
    clone = layers.Discretization.from_config(layer.get_config())
    assert clone.bin_boundaries == layer.bin_boundaries


def test_discretization_adapt_on_batches_matches_keras():
    entry = fixture("discretization")["adapt_batches"]
    layer = layers.Discretization(num_bins=4)
    layer.adapt([np.asarray(b, dtype="float32") for b in entry["batches"]])
    np.testing.assert_allclose(layer.bin_boundaries, entry["boundaries"], rtol=1e-6)


@pytest.mark.parametrize("key", sorted(fixture("category_encoding")))
def test_category_encoding_matches_keras(key):
    entry = fixture("category_encoding")[key]
    call = {}
    if "count_weights" in entry:
        call["count_weights"] = np.asarray(entry["count_weights"], dtype="float32")
    _check(layers.CategoryEncoding, entry, **call)


@pytest.mark.parametrize("key", sorted(fixture("hashing")))
def test_hashing_matches_keras(key):
    layer = _check(layers.Hashing, fixture("hashing")[key])
    assert layer.get_config()["salt"] == fixture("hashing")[key]["config"]["salt"]


def test_hashes_match_tensorflow_for_every_length():
    """FarmHash Fingerprint64 and SipHash-2-4 against TensorFlow's to_hash_bucket_fast/strong
    on strings of 0..139 bytes and longer (the length branches of both algorithms)."""
    data = json.loads((PATH.parent / "hash_values.json").read_text())
    strings = [bytes.fromhex(h) for h in data["strings"]]
    for buckets in ("9223372036854775807", "1000003", "97"):
        fast = [string_hash.fingerprint64(s) % int(buckets) for s in strings]
        strong = [string_hash.siphash64(123, 456, s) % int(buckets) for s in strings]
        assert fast == data[buckets]
        assert strong == data["strong_" + buckets]


def test_bad_input_is_rejected_with_the_layer_named():
    with pytest.raises(ValueError, match=r"must be in \[0, 4\); received values in \[0, 5\]"):
        layers.CategoryEncoding(4)(np.array([[0, 5]]))
    with pytest.raises(ValueError, match="`num_tokens` must be an int >= 1"):
        layers.CategoryEncoding()
    with pytest.raises(ValueError, match="count_weights"):
        layers.CategoryEncoding(3, output_mode="multi_hot")(np.array([[0]]),
                                                           count_weights=np.ones((1, 1)))
    with pytest.raises(TypeError, match="expects integer inputs"):
        layers.CategoryEncoding(3)(np.array([[0.5]]))
    with pytest.raises(ValueError, match="not both"):
        layers.Discretization(bin_boundaries=[0.0], num_bins=2)
    with pytest.raises(ValueError, match="either `num_bins`"):
        layers.Discretization()
    with pytest.raises(ValueError, match="cannot.*adapt|to adapt it"):
        layers.Discretization(bin_boundaries=[0.0]).adapt(np.ones(3))
    with pytest.raises(ValueError, match="empty"):
        layers.Discretization(num_bins=2).adapt(np.zeros((0,)))
    with pytest.raises(ValueError, match="no bin boundaries yet"):
        layers.Discretization(num_bins=2)(np.ones(2))
    with pytest.raises(ValueError, match="`num_bins` must be a positive int"):
        layers.Hashing(0)
    with pytest.raises(ValueError, match="`salt` must be an int or a pair"):
        layers.Hashing(3, salt="x")
    with pytest.raises(TypeError, match="expects string or integer inputs"):
        layers.Hashing(3)(np.array([[None]], dtype=object))
