"""Harness cases: windowed and global pooling layers."""

from kcore.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)

from harness import LayerCase

CF = {"data_format": "channels_first"}

CASES = [
    LayerCase(MaxPooling1D, {}, (2, 7, 3), (2, 3, 3), id="MaxPooling1D"),
    LayerCase(MaxPooling1D, {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 7, 3),
              (2, 4, 3), id="MaxPooling1D-same-p3s2"),
    LayerCase(MaxPooling2D, {}, (2, 6, 5, 2), (2, 3, 2, 2), id="MaxPooling2D"),
    LayerCase(MaxPooling2D, {"pool_size": (3, 2), "strides": 1, "padding": "same"},
              (2, 5, 4, 2), (2, 5, 4, 2), id="MaxPooling2D-same-s1-rect"),
    LayerCase(MaxPooling2D, {"pool_size": 3, "strides": 2, **CF}, (2, 2, 7, 6),
              (2, 2, 3, 2), id="MaxPooling2D-channels_first-p3s2"),
    LayerCase(MaxPooling3D, {}, (2, 4, 5, 4, 2), (2, 2, 2, 2, 2), id="MaxPooling3D"),
    LayerCase(MaxPooling3D, {"pool_size": 2, "strides": 1, "padding": "same", **CF},
              (1, 2, 3, 3, 3), (1, 2, 3, 3, 3), id="MaxPooling3D-same-channels_first"),
    LayerCase(AveragePooling1D, {"pool_size": 2}, (2, 7, 3), (2, 3, 3), id="AveragePooling1D"),
    LayerCase(AveragePooling1D, {"pool_size": 3, "strides": 2, "padding": "same", **CF},
              (2, 3, 7), (2, 3, 4), id="AveragePooling1D-same-channels_first"),
    LayerCase(AveragePooling2D, {"pool_size": 2}, (2, 6, 5, 2), (2, 3, 2, 2),
              id="AveragePooling2D"),
    LayerCase(AveragePooling2D, {"pool_size": 3, "strides": 2, "padding": "same"},
              (2, 5, 6, 2), (2, 3, 3, 2), id="AveragePooling2D-same-p3s2"),
    LayerCase(AveragePooling3D, {"pool_size": 2}, (2, 4, 4, 5, 2), (2, 2, 2, 2, 2),
              id="AveragePooling3D"),
    LayerCase(AveragePooling3D, {"pool_size": (2, 3, 2), "strides": 1, "padding": "same"},
              (1, 3, 4, 3, 2), (1, 3, 4, 3, 2), id="AveragePooling3D-same-s1"),
    LayerCase(GlobalMaxPooling1D, {}, (2, 7, 3), (2, 3), id="GlobalMaxPooling1D"),
    LayerCase(GlobalMaxPooling1D, {"keepdims": True, **CF}, (2, 3, 7), (2, 3, 1),
              id="GlobalMaxPooling1D-keepdims-channels_first"),
    LayerCase(GlobalMaxPooling2D, {}, (2, 5, 4, 3), (2, 3), id="GlobalMaxPooling2D"),
    LayerCase(GlobalMaxPooling3D, {"keepdims": True}, (2, 3, 3, 2, 3), (2, 1, 1, 1, 3),
              id="GlobalMaxPooling3D-keepdims"),
    LayerCase(GlobalAveragePooling1D, {}, (2, 7, 3), (2, 3), id="GlobalAveragePooling1D"),
    LayerCase(GlobalAveragePooling2D, {"keepdims": True}, (2, 5, 4, 3), (2, 1, 1, 3),
              id="GlobalAveragePooling2D-keepdims"),
    LayerCase(GlobalAveragePooling2D, {**CF}, (2, 3, 5, 4), (2, 3),
              id="GlobalAveragePooling2D-channels_first"),
    LayerCase(GlobalAveragePooling3D, {}, (2, 3, 3, 2, 3), (2, 3), id="GlobalAveragePooling3D"),
]
