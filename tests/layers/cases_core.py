"""Harness cases: core, reshaping and regularization layers."""

from kcore import layers

from harness import LayerCase

CASES = [
    LayerCase(layers.Dense, {"units": 3}, (2, 4), (2, 3), id="Dense"),
    LayerCase(layers.Dense, {"units": 3, "activation": "tanh", "use_bias": False}, (2, 5, 4),
              (2, 5, 3), id="Dense-3d-tanh-nobias"),
    LayerCase(layers.Activation, {"activation": "sigmoid"}, (2, 3), (2, 3)),
    LayerCase(layers.Identity, {}, (2, 3), (2, 3)),
    LayerCase(layers.Dropout, {"rate": 0.5, "seed": 1}, (4, 6), (4, 6), training_differs=True,
              random_in_training=True),
    LayerCase(layers.Flatten, {}, (2, 3, 4), (2, 12)),
    LayerCase(layers.Reshape, {"target_shape": (2, 6)}, (2, 3, 4), (2, 2, 6)),
]
