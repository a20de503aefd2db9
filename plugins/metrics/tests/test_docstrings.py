"""The examples in the docstrings run and print what they say."""

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import kcore
import kcore_metrics

MODULES = ["kcore_metrics"] + [f"kcore_metrics.{m.name}"
                               for m in pkgutil.iter_modules(kcore_metrics.__path__)]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    globs = {"kcore": kcore, "np": np, **vars(module)}
    failed, attempted = doctest.testmod(module, extraglobs=globs, verbose=False,
                                        optionflags=doctest.NORMALIZE_WHITESPACE)
    assert failed == 0
