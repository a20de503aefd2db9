"""Every real-Keras layer fixture replayed on kcore: outputs, gradients, weights, masks.

A case whose layer class kcore does not have yet is skipped with the reason below; it is
picked up automatically once ``kcore.layers`` exports the class. ``KNOWN_FAILURES`` lists
cases of existing layers that still disagree with Keras, with the reason (each one is a bug
to fix, owned by the layer's family).
"""

import pytest

import kcore

from keras_fixtures import build_layer, family, layer_class, load_cases, replay  # noqa: E402

CASES = load_cases()

# case name -> reason. Strict: a case that starts passing must be removed from here.
KNOWN_FAILURES = {}


def _initializer_gap(error):
    """kcore.initializers rejecting Keras 3.15's ``input_axes``/``output_axes`` config keys."""
    return isinstance(error, TypeError) and ("input_axes" in str(error) or "output_axes" in str(error))


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_keras_fixture(case):
    name = case["class_name"]
    if layer_class(name) is None:
        pytest.skip(f"kcore.layers has no {name} yet ({family(name)} family)")
    if case["case"] in KNOWN_FAILURES:
        pytest.xfail(KNOWN_FAILURES[case["case"]])
    kcore.utils.set_random_seed(0)
    try:
        build_layer(case)
    except TypeError as e:
        if _initializer_gap(e):
            pytest.xfail("kcore.initializers' VarianceScaling presets (GlorotUniform...) do not "
                         "accept Keras 3.15's `input_axes`/`output_axes` config keys: " + str(e))
        raise
    replay(case)


def test_fixture_index_is_complete():
    assert len(CASES) == 182
    assert all(c["n_outputs"] >= 1 for c in CASES)
