"""``model.summary()`` prints what Keras 3 prints, before compile, before fit and after fit.

The reference texts were recorded from real Keras by
``tests/fixtures/keras/summary/make_summary_fixtures.py`` (same models, same steps).
"""

import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pytest

import kcore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "keras" / "summary"
REFERENCE = json.loads((FIXTURES / "summaries.json").read_text())
_spec = importlib.util.spec_from_file_location("make_summary_fixtures",
                                               FIXTURES / "make_summary_fixtures.py")
recipes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(recipes)

UNITS = {"B": 1, "KB": 1024, "MB": 1024 ** 2}


def _bytes(line):
    number, unit = re.search(r"\(([\d.]+) (\w+)\)", line).groups()
    return float(number) * UNITS[unit], UNITS[unit]


@pytest.mark.parametrize("builder", recipes.BUILDERS, ids=lambda b: b.__name__)
def test_summary_matches_keras_before_and_after_fit(builder):
    kcore.utils.set_random_seed(0)
    ours = recipes.record(kcore, builder, np.random.default_rng(0))
    for moment, theirs in REFERENCE["models"][builder.__name__].items():
        got, want = ours[moment].rstrip().splitlines(), theirs.rstrip().splitlines()
        assert len(got) == len(want), f"{moment}:\n{ours[moment]}\n--- Keras:\n{theirs}"
        for g, w in zip(got, want):
            if g.startswith((" Total params", " Optimizer params")) and moment == "fitted":
                # The counts are Keras's. kcore's step counter is int64, as in Keras on
                # TensorFlow; the fixtures come from Keras on JAX, where it is int32.
                assert g.split("(")[0] == w.split("(")[0]
                (g_bytes, unit), (w_bytes, _) = _bytes(g), _bytes(w)
                assert g_bytes == pytest.approx(w_bytes + 4, abs=0.01 * unit)
            else:
                assert g == w, f"{moment}:\n{ours[moment]}\n--- Keras:\n{theirs}"


def test_no_optimizer_line_until_the_optimizer_is_built():
    model, optimizer, loss, *_ = recipes.mlp(kcore)
    model.compile(optimizer=optimizer, loss=loss)
    lines = []
    model.summary(print_fn=lines.append)
    assert not any("Optimizer params" in l for l in lines)
    model.optimizer.build(model.trainable_variables)
    lines = []
    model.summary(print_fn=lines.append)
    assert " Optimizer params: 19,222 (75.09 KB)" in lines
    assert " Total params: 28,832 (112.63 KB)" in lines


def test_unknown_layer_range_names_the_layers():
    model, *_ = recipes.mlp(kcore)
    with pytest.raises(ValueError, match="no layer named 'nope'"):
        model.summary(layer_range=("dense", "nope"))
