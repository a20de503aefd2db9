"""Gradient check of every primitive, from the ``CASES`` tables in ``tests/ops/cases_*.py``."""

import importlib.util
import pathlib

import pytest

import kcore.ops  # noqa: F401  (registers every primitive)
from kcore.backend.autodiff import PRIMITIVES
from tests.ops.gradcheck import Case, check_vjp


def _load_cases():
    cases = []
    for path in sorted(pathlib.Path(__file__).parent.glob("cases_*.py")):
        spec = importlib.util.spec_from_file_location(f"_gradcheck_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        # A table may hold Case objects or dicts with Case's fields.
        cases += [c if isinstance(c, Case) else Case(**c) for c in module.CASES]
    return cases


CASES = _load_cases()


@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{c.id}" for i, c in enumerate(CASES)])
def test_vjp_matches_central_differences(case):
    check_vjp(case.fn, case.args, case.kwargs, reference=case.reference)


def test_every_primitive_has_a_case():
    covered = {c.name for c in CASES}
    missing = sorted(set(PRIMITIVES) - covered)
    assert not missing, f"primitives without a gradient-check case: {missing}"
