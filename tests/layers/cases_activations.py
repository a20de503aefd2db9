"""Harness cases: activation layers."""

import numpy as np

from kcore.layers.activations import ELU, PReLU, LeakyReLU, ReLU, Softmax

from harness import LayerCase

# Positions 1..3 of the last axis are kept; the (3, 4) mask broadcasts over the batch.
_MASK = np.array([[True, True, False, True]] * 3)

CASES = [
    LayerCase(ReLU, {}, (3, 5), (3, 5)),
    LayerCase(ReLU, {"max_value": 1.5, "negative_slope": 0.1, "threshold": 0.2}, (3, 5), (3, 5),
              id="ReLU-max-slope-threshold"),
    LayerCase(LeakyReLU, {"negative_slope": 0.2}, (3, 4), (3, 4)),
    LayerCase(ELU, {"alpha": 0.7}, (3, 4), (3, 4)),
    LayerCase(PReLU, {}, (2, 3, 4), (2, 3, 4)),
    LayerCase(PReLU, {"shared_axes": [1, 2], "alpha_initializer": "ones"}, (2, 3, 3, 2),
              (2, 3, 3, 2), id="PReLU-shared"),
    LayerCase(Softmax, {}, (3, 4), (3, 4)),
    LayerCase(Softmax, {"axis": 1}, (2, 3, 4), (2, 3, 4), id="Softmax-axis1"),
    LayerCase(Softmax, {"axis": (1, 2)}, (2, 3, 4), (2, 3, 4), id="Softmax-two-axes"),
    LayerCase(Softmax, {}, (2, 3, 4), (2, 3, 4), call_kwargs={"mask": _MASK}, id="Softmax-mask"),
]
