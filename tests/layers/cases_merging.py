"""Harness cases: merging layers."""

from kcore.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply,
                                  Subtract)

from harness import LayerCase

CASES = [
    LayerCase(Add, {}, [(2, 3), (2, 3), (2, 3)], (2, 3)),
    LayerCase(Add, {}, [(2, 3, 4), (2, 1, 4)], (2, 3, 4), id="Add-broadcast"),
    LayerCase(Add, {}, [(2, 3, 4), (2, 4)], (2, 3, 4), id="Add-lower-rank"),
    LayerCase(Subtract, {}, [(2, 3), (2, 3)], (2, 3)),
    LayerCase(Multiply, {}, [(2, 3), (2, 3), (2, 3)], (2, 3)),
    LayerCase(Average, {}, [(2, 3), (2, 3)], (2, 3)),
    LayerCase(Maximum, {}, [(2, 3), (2, 3), (2, 3)], (2, 3)),
    LayerCase(Minimum, {}, [(2, 3), (2, 3)], (2, 3)),
    LayerCase(Concatenate, {}, [(2, 3), (2, 4)], (2, 7)),
    LayerCase(Concatenate, {"axis": 1}, [(2, 3, 2), (2, 1, 2), (2, 2, 2)], (2, 6, 2),
              id="Concatenate-axis1"),
    LayerCase(Dot, {"axes": 1}, [(3, 4), (3, 4)], (3, 1)),
    LayerCase(Dot, {"axes": (1, 2)}, [(2, 3, 5), (2, 4, 3)], (2, 5, 4), id="Dot-axes12"),
    LayerCase(Dot, {"axes": -1, "normalize": True}, [(2, 3, 4), (2, 5, 4)], (2, 3, 5),
              id="Dot-normalize"),
    LayerCase(Dot, {"axes": 1}, [(2, 4), (2, 4, 5)], (2, 5), id="Dot-rank2-rank3"),
]
