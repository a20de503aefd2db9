"""Harness cases: normalization layers."""

from kcore.layers.normalization import (BatchNormalization, GroupNormalization,
                                        LayerNormalization, RMSNormalization, UnitNormalization)

from harness import LayerCase

CASES = [
    LayerCase(BatchNormalization, {}, (4, 3), (4, 3), training_differs=True, id="BatchNormalization"),
    LayerCase(BatchNormalization, {"axis": 1, "center": False, "epsilon": 0.01}, (2, 3, 4),
              (2, 3, 4), training_differs=True, id="BatchNormalization-axis1-nocenter"),
    LayerCase(BatchNormalization, {"scale": False, "momentum": 0.9}, (2, 3, 3, 2), (2, 3, 3, 2),
              training_differs=True, id="BatchNormalization-conv-noscale"),
    LayerCase(LayerNormalization, {}, (2, 3, 4), (2, 3, 4), id="LayerNormalization"),
    LayerCase(LayerNormalization, {"axis": [1, 2], "epsilon": 1e-5}, (2, 3, 4), (2, 3, 4),
              id="LayerNormalization-axes12"),
    LayerCase(LayerNormalization, {"rms_scaling": True}, (2, 3, 4), (2, 3, 4),
              id="LayerNormalization-rms"),
    LayerCase(LayerNormalization, {"center": False, "scale": False}, (3, 5), (3, 5),
              id="LayerNormalization-noparams"),
    LayerCase(GroupNormalization, {"groups": 2}, (2, 5, 4), (2, 5, 4), id="GroupNormalization"),
    LayerCase(GroupNormalization, {"groups": -1, "axis": 1}, (2, 3, 2, 2), (2, 3, 2, 2),
              id="GroupNormalization-instance-axis1"),
    LayerCase(RMSNormalization, {}, (2, 3, 4), (2, 3, 4), id="RMSNormalization"),
    LayerCase(UnitNormalization, {}, (3, 4), (3, 4), id="UnitNormalization"),
    LayerCase(UnitNormalization, {"axis": [1, 2]}, (2, 3, 4), (2, 3, 4),
              id="UnitNormalization-axes12"),
]
