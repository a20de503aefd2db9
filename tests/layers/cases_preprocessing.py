"""Harness cases: the numeric and image preprocessing layers (string layers are exempt, see
``test_layer_harness.EXEMPT``)."""

from kcore.layers.preprocessing import (CenterCrop, Normalization, RandomBrightness,
                                        RandomContrast, RandomCrop, RandomFlip, RandomRotation,
                                        RandomTranslation, RandomZoom, Rescaling, Resizing)

from harness import LayerCase

_RANDOM = dict(training_differs=True, random_in_training=True)

CASES = [
    LayerCase(Rescaling, {"scale": 0.5, "offset": 1.0}, (2, 3), (2, 3)),
    LayerCase(Rescaling, {"scale": [0.5, 2.0, 3.0]}, (2, 4, 4, 3), (2, 4, 4, 3),
              id="Rescaling-per-channel"),
    LayerCase(Normalization, {"mean": [1.0, 2.0, 3.0], "variance": [4.0, 1.0, 2.0]}, (2, 3),
              (2, 3), id="Normalization-given"),
    LayerCase(Normalization, {"axis": None, "mean": 1.0, "variance": 4.0, "invert": True},
              (2, 3, 2), (2, 3, 2), id="Normalization-invert-scalar"),
    LayerCase(Normalization, {"axis": (1, 2)}, (2, 3, 2), (2, 3, 2),
              id="Normalization-unadapted"),
    LayerCase(Resizing, {"height": 3, "width": 4}, (2, 5, 6, 2), (2, 3, 4, 2)),
    LayerCase(Resizing, {"height": 3, "width": 3, "interpolation": "nearest",
                         "crop_to_aspect_ratio": True}, (2, 4, 6, 1), (2, 3, 3, 1),
              id="Resizing-nearest-crop"),
    LayerCase(Resizing, {"height": 4, "width": 4, "interpolation": "bicubic",
                         "pad_to_aspect_ratio": True}, (2, 3, 5, 1), (2, 4, 4, 1),
              id="Resizing-bicubic-pad"),
    LayerCase(CenterCrop, {"height": 2, "width": 3}, (2, 4, 5, 2), (2, 2, 3, 2)),
    LayerCase(RandomCrop, {"height": 2, "width": 3, "seed": 1}, (2, 4, 5, 2), (2, 2, 3, 2),
              **_RANDOM),
    LayerCase(RandomFlip, {"seed": 1}, (4, 3, 3, 1), (4, 3, 3, 1), **_RANDOM),
    LayerCase(RandomRotation, {"factor": 0.2, "seed": 1}, (2, 4, 5, 1), (2, 4, 5, 1),
              **_RANDOM),
    LayerCase(RandomZoom, {"height_factor": 0.3, "fill_mode": "constant", "seed": 1},
              (2, 4, 5, 1), (2, 4, 5, 1), **_RANDOM),
    LayerCase(RandomTranslation, {"height_factor": 0.3, "width_factor": 0.2, "seed": 1,
                                  "fill_mode": "wrap", "interpolation": "nearest"},
              (2, 4, 5, 1), (2, 4, 5, 1), **_RANDOM),
    LayerCase(RandomContrast, {"factor": 0.5, "value_range": (-10, 10), "seed": 1},
              (2, 3, 3, 2), (2, 3, 3, 2), **_RANDOM),
    LayerCase(RandomBrightness, {"factor": 0.5, "value_range": (-10, 10), "seed": 1},
              (2, 3, 3, 2), (2, 3, 3, 2), **_RANDOM),
]
