"""Runs every layer case through every harness check; fails for layers without a case."""

import importlib
import inspect
import pathlib

import pytest

import kcore
from kcore.layers import Layer

from harness import CHECKS  # noqa: E402  (tests/layers is on sys.path via conftest)

_HERE = pathlib.Path(__file__).parent


def _load_cases():
    cases = []
    for path in sorted(_HERE.glob("cases_*.py")):
        spec = importlib.util.spec_from_file_location(f"layer_cases_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        cases.extend(module.CASES)
    return cases


CASES = _load_cases()
# Layers that are not checked by the harness, with the reason.
EXEMPT = {
    "Layer": "abstract base",
    "InputLayer": "has no computation; covered by the model tests",
    "Wrapper": "abstract base of Bidirectional/TimeDistributed",
}


@pytest.mark.parametrize("check", sorted(CHECKS))
@pytest.mark.parametrize("case", CASES, ids=[str(c) for c in CASES])
def test_layer(case, check):
    kcore.utils.set_random_seed(0)
    CHECKS[check](case)


def test_every_public_layer_has_a_case():
    covered = {c.cls.__name__ for c in CASES}
    public = {name for name, obj in vars(kcore.layers).items()
              if inspect.isclass(obj) and issubclass(obj, Layer) and obj.__name__ == name}
    missing = sorted(public - covered - set(EXEMPT))
    assert not missing, f"layers without a harness case: {missing}"
