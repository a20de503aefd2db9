"""Harness cases: core, reshaping and regularization layers."""

from kcore import activations
from kcore.layers.core import Activation, Dense, Identity, Masking
from kcore.layers.einsum_dense import EinsumDense
from kcore.layers.embedding import Embedding
from kcore.layers.lambda_layer import Lambda
from kcore.layers.regularization import (ActivityRegularization, AlphaDropout, Dropout,
                                         GaussianDropout, GaussianNoise, SpatialDropout1D,
                                         SpatialDropout2D, SpatialDropout3D)
from kcore.layers.reshaping import (Cropping1D, Cropping2D, Cropping3D, Flatten, Permute,
                                    RepeatVector, Reshape, UpSampling1D, UpSampling2D,
                                    UpSampling3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D)

from harness import LayerCase


def _padded_sequence(rng, dtype):
    x = rng.normal(size=(2, 4, 3)).astype(dtype)
    x[0, 2:] = 0.0
    x[1, 0] = 0.0
    return x


_NOISE = dict(training_differs=True, random_in_training=True)

CASES = [
    # core
    LayerCase(Dense, {"units": 3}, (2, 4), (2, 3), id="Dense"),
    LayerCase(Dense, {"units": 3, "activation": "tanh", "use_bias": False}, (2, 5, 4),
              (2, 5, 3), id="Dense-3d-tanh-nobias"),
    LayerCase(EinsumDense, {"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "c"},
              (2, 3), (2, 4), id="EinsumDense-dense"),
    LayerCase(EinsumDense, {"equation": "abc,cde->abde", "output_shape": (None, 2, 3),
                            "bias_axes": "de", "activation": "relu"}, (2, 3, 5), (2, 3, 2, 3),
              id="EinsumDense-heads"),
    LayerCase(EinsumDense, {"equation": "...b,bc->...c", "output_shape": 2}, (2, 3, 4),
              (2, 3, 2), id="EinsumDense-ellipsis-nobias"),
    LayerCase(Activation, {"activation": "sigmoid"}, (2, 3), (2, 3)),
    LayerCase(Identity, {}, (2, 3), (2, 3)),
    LayerCase(Embedding, {"input_dim": 5, "output_dim": 3}, (2, 4), (2, 4, 3),
              input_dtype="int32", id="Embedding"),
    LayerCase(Embedding, {"input_dim": 5, "output_dim": 2, "mask_zero": True}, (3, 6),
              (3, 6, 2), input_dtype="int32", id="Embedding-mask_zero"),
    # Masked timesteps sit exactly on mask_value, where any finite difference unmasks them:
    # the gradient check cannot apply; test_core_layers checks Masking's gradient directly.
    LayerCase(Masking, {"mask_value": 0.0}, (2, 4, 3), (2, 4, 3), input_fn=_padded_sequence,
              grad_check=False),
    LayerCase(Lambda, {"function": activations.tanh}, (2, 3), (2, 3), id="Lambda-named"),
    LayerCase(Lambda, {"function": activations.softmax, "arguments": {"axis": 1},
                       "output_shape": (3, 4)}, (2, 3, 4), (2, 3, 4), id="Lambda-arguments"),
    # reshaping
    LayerCase(Flatten, {}, (2, 3, 4), (2, 12)),
    LayerCase(Flatten, {"data_format": "channels_first"}, (2, 3, 2, 2), (2, 12),
              id="Flatten-channels_first"),
    LayerCase(Reshape, {"target_shape": (2, 6)}, (2, 3, 4), (2, 2, 6)),
    LayerCase(Reshape, {"target_shape": (-1, 3)}, (2, 3, 4), (2, 4, 3), id="Reshape-minus1"),
    LayerCase(Permute, {"dims": (2, 1)}, (2, 3, 4), (2, 4, 3)),
    LayerCase(Permute, {"dims": (3, 1, 2)}, (2, 3, 4, 2), (2, 2, 3, 4), id="Permute-3d"),
    LayerCase(RepeatVector, {"n": 3}, (2, 4), (2, 3, 4)),
    LayerCase(UpSampling1D, {"size": 3}, (2, 3, 2), (2, 9, 2)),
    LayerCase(UpSampling2D, {"size": (2, 3)}, (2, 3, 2, 2), (2, 6, 6, 2)),
    LayerCase(UpSampling2D, {"interpolation": "bilinear"}, (2, 3, 3, 2), (2, 6, 6, 2),
              id="UpSampling2D-bilinear"),
    LayerCase(UpSampling2D, {"data_format": "channels_first"}, (2, 2, 3, 2), (2, 2, 6, 4),
              id="UpSampling2D-channels_first"),
    LayerCase(UpSampling3D, {"size": 2}, (1, 2, 2, 2, 1), (1, 4, 4, 4, 1)),
    LayerCase(ZeroPadding1D, {"padding": (1, 2)}, (2, 3, 2), (2, 6, 2)),
    LayerCase(ZeroPadding2D, {"padding": ((1, 0), (2, 1))}, (2, 3, 3, 2), (2, 4, 6, 2)),
    LayerCase(ZeroPadding2D, {"padding": 1, "data_format": "channels_first"}, (2, 2, 3, 3),
              (2, 2, 5, 5), id="ZeroPadding2D-channels_first"),
    LayerCase(ZeroPadding3D, {"padding": (1, 0, 2)}, (1, 2, 2, 2, 1), (1, 4, 2, 6, 1)),
    LayerCase(Cropping1D, {"cropping": (1, 2)}, (2, 6, 2), (2, 3, 2)),
    LayerCase(Cropping2D, {"cropping": ((1, 0), (0, 2))}, (2, 4, 5, 2), (2, 3, 3, 2)),
    LayerCase(Cropping3D, {"cropping": 1}, (1, 3, 4, 5, 2), (1, 1, 2, 3, 2)),
    # regularization
    LayerCase(Dropout, {"rate": 0.5, "seed": 1}, (4, 6), (4, 6), **_NOISE),
    LayerCase(Dropout, {"rate": 0.5, "noise_shape": (None, 1, 3), "seed": 1}, (4, 5, 3),
              (4, 5, 3), id="Dropout-noise_shape", **_NOISE),
    LayerCase(SpatialDropout1D, {"rate": 0.5, "seed": 2}, (4, 5, 6), (4, 5, 6), **_NOISE),
    LayerCase(SpatialDropout2D, {"rate": 0.5, "seed": 2}, (4, 3, 3, 6), (4, 3, 3, 6), **_NOISE),
    LayerCase(SpatialDropout3D, {"rate": 0.5, "seed": 2}, (2, 2, 2, 2, 6), (2, 2, 2, 2, 6),
              **_NOISE),
    LayerCase(GaussianNoise, {"stddev": 0.5, "seed": 3}, (3, 4), (3, 4), **_NOISE),
    LayerCase(GaussianDropout, {"rate": 0.3, "seed": 3}, (3, 4), (3, 4), **_NOISE),
    LayerCase(AlphaDropout, {"rate": 0.3, "seed": 3}, (3, 8), (3, 8), **_NOISE),
    LayerCase(ActivityRegularization, {"l1": 0.01, "l2": 0.02}, (3, 4), (3, 4)),
]
