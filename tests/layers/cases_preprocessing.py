"""Harness cases: the numeric and image preprocessing layers (string layers are exempt, see
``test_layer_harness.EXEMPT``)."""

from kcore.layers.preprocessing import Normalization, Rescaling

from harness import LayerCase

CASES = [
    LayerCase(Rescaling, {"scale": 0.5, "offset": 1.0}, (2, 3), (2, 3)),
    LayerCase(Rescaling, {"scale": [0.5, 2.0, 3.0]}, (2, 4, 4, 3), (2, 4, 4, 3),
              id="Rescaling-per-channel"),
    LayerCase(Normalization, {"mean": [1.0, 2.0, 3.0], "variance": [4.0, 1.0, 2.0]}, (2, 3),
              (2, 3), id="Normalization-given"),
    LayerCase(Normalization, {"axis": None, "mean": 1.0, "variance": 4.0, "invert": True},
              (2, 3, 2), (2, 3, 2), id="Normalization-invert-scalar"),
    LayerCase(Normalization, {"axis": (1, 2)}, (2, 3, 2), (2, 3, 2), id="Normalization-unadapted"),
]
