"""Gradient-check cases for the fused normalisation primitives (``kcore/ops/normalization.py``).

Every float64 argument is differentiated, including the batch statistics returned by
``batch_normalization_with_moments`` (each output gets its own random cotangent).
"""

import numpy as np

from kcore.ops import normalization as nz
from tests.ops.gradcheck import Case

_rng = np.random.default_rng(3)


def _a(*shape):
    return _rng.standard_normal(shape)


def _pos(*shape):
    return _rng.uniform(0.5, 1.5, shape)


def _bn_no_params(x):
    return nz.batch_normalization_with_moments(x, axis=1, epsilon=1e-3)


def _bn_infer_no_params(x, m, v):
    return nz.fused_batch_normalization(x, m, v, axis=-1, epsilon=1e-2)


CASES = [
    Case("_batch_norm_moments", nz.batch_normalization_with_moments,
         (_a(5, 3), -1, _a(3), _a(3)), {"epsilon": 1e-3}),
    Case("_batch_norm_moments", nz.batch_normalization_with_moments,
         (_a(2, 3, 3, 2), 3, _a(2), _a(2)), {"epsilon": 1e-3}),
    Case("_batch_norm_moments", _bn_no_params, (_a(2, 3, 4),)),
    Case("_batch_norm", nz.fused_batch_normalization,
         (_a(4, 3), _a(3), _pos(3), -1, _a(3), _a(3)), {"epsilon": 1e-3}),
    Case("_batch_norm", nz.fused_batch_normalization,
         (_a(2, 3, 2, 2), _a(3), _pos(3), 1, _a(3), _a(3)), {"epsilon": 1e-2}),
    Case("_batch_norm", _bn_infer_no_params, (_a(3, 2, 4), _a(4), _pos(4))),
    Case("_layer_norm", nz.layer_normalization, (_a(3, 5), _a(5), _a(5)), {"epsilon": 1e-3}),
    Case("_layer_norm", nz.layer_normalization, (_a(2, 3, 4), _a(3, 4), _a(3, 4)),
         {"axis": [1, 2], "epsilon": 1e-5}),
    Case("_layer_norm", nz.layer_normalization, (_a(2, 3, 4), None, _a(3)),
         {"axis": 1, "epsilon": 1e-3}),
    Case("_layer_norm", nz.layer_normalization, (_a(2, 6),), {"epsilon": 1e-3}),
    Case("_rms_norm", nz.rms_normalization, (_a(2, 3, 4), _a(4)), {"epsilon": 1e-6}),
    Case("_rms_norm", nz.rms_normalization, (_a(2, 3, 4), _a(3, 4)),
         {"axis": [1, 2], "epsilon": 1e-3}),
    Case("_rms_norm", nz.layer_normalization, (_a(2, 3, 4), _a(4)),
         {"epsilon": 1e-3, "rms_scaling": True}),
    Case("_rms_norm", nz.rms_normalization, (_a(4, 5),), {"epsilon": 1e-3}),
]
