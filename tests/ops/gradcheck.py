"""Numerical gradient checking (after HIPS/autograd's ``check_vjp``).

A ``Case`` names the primitive it covers and how to call a public op that reaches it.
``check_vjp`` runs the op on float64 inputs under a ``GradientTape``, pulls back a random
cotangent, and compares the result with central differences of ``<cotangent, op(x)>``.
"""

import dataclasses
from typing import Callable

import numpy as np

from kcore.backend.autodiff import GradientTape, _flatten
from kcore.backend.tensor import Tensor


@dataclasses.dataclass
class Case:
    """One gradient check.

    Attributes:
        name: the primitive (a key of ``kcore.backend.autodiff.PRIMITIVES``) it covers.
        fn: the public op, or a small function that calls it.
        args: positional inputs; float64 arrays are differentiated, others passed as is.
        kwargs: static keyword arguments.
        reference: a function whose numerical gradient is expected instead of ``fn``'s
            (for ops such as ``stop_gradient`` whose gradient is by design not the
            derivative of the forward).
    """

    name: str
    fn: Callable
    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)
    reference: Callable = None

    @property
    def id(self):
        return f"{self.name}[{getattr(self.fn, '__name__', 'fn')}]"


def _float_outputs(out):
    return [o for o in _flatten(out) if isinstance(o, Tensor) and o.value.dtype.kind == "f"]


def check_vjp(op, args, kwargs=None, reference=None, eps=1e-6, rtol=1e-5, atol=1e-6, seed=0):
    """Asserts that the tape's VJP of ``op`` matches central differences.

    Args:
        op: callable returning a tensor or a (nested) sequence of tensors.
        args: positional inputs; every float64 ndarray is a differentiated input.
        kwargs: keyword arguments for ``op``.
        reference: callable used for the numerical side (default ``op``).
        eps: finite-difference step.
        rtol, atol: tolerances of the comparison.
        seed: seed of the random cotangent.
    """
    kwargs = kwargs or {}
    reference = reference or op
    args = list(args)
    wrt = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype == np.float64]
    assert wrt, "check_vjp needs at least one float64 input"
    inputs = [Tensor(a.copy()) if i in wrt else a for i, a in enumerate(args)]
    with GradientTape() as tape:
        tape.watch([inputs[i] for i in wrt])
        outs = _float_outputs(op(*inputs, **kwargs))
    rng = np.random.default_rng(seed)
    cots = [rng.standard_normal(o.shape) for o in outs]
    analytic = tape.gradient(outs, [inputs[i] for i in wrt], output_gradients=cots)

    def objective(vals):
        res = _float_outputs(reference(*[Tensor(v) if i in wrt else v for i, v in enumerate(vals)],
                                       **kwargs))
        return sum(float(np.sum(c * r.value)) for c, r in zip(cots, res))

    for i, got in zip(wrt, analytic):
        x = args[i]
        numeric = np.zeros_like(x)
        for j in np.ndindex(x.shape):
            vals = [a.copy() if k == i else a for k, a in enumerate(args)]
            vals[i][j] = x[j] + eps
            up = objective(vals)
            vals[i][j] = x[j] - eps
            numeric[j] = (up - objective(vals)) / (2 * eps)
        got = np.zeros_like(x) if got is None else got.value
        assert got.shape == x.shape, f"input {i}: gradient shape {got.shape}, expected {x.shape}"
        np.testing.assert_allclose(got, numeric, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i} differs from central differences")
