"""Harness cases: the preprocessing layers. Layers whose outputs are indices or counts are
not differentiable (``grad_check=False``); string layers get string inputs from
``input_fn``."""

import numpy as np

from kcore.layers.preprocessing import (CategoryEncoding, CenterCrop, Discretization, Hashing,
                                        IntegerLookup, Normalization, RandomBrightness,
                                        RandomContrast, RandomCrop, RandomFlip, RandomRotation,
                                        RandomTranslation, RandomZoom, Rescaling, Resizing,
                                        StringLookup, TextVectorization)

from harness import LayerCase

_RANDOM = dict(training_differs=True, random_in_training=True)
_INDICES = dict(grad_check=False)


def _sentences(rng, dtype):
    return np.array(["The cat sat.", "on the mat", "a cat, a mat"])


def _words(rng, dtype):
    return rng.choice(np.array(["the", "cat", "sat", "on", "mat"]), size=(3, 4))

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
    LayerCase(Discretization, {"bin_boundaries": [-0.5, 0.0, 0.5]}, (2, 3), (2, 3), **_INDICES),
    LayerCase(Discretization, {"bin_boundaries": [0.0], "output_mode": "one_hot"}, (2, 3),
              (2, 3, 2), id="Discretization-one_hot", **_INDICES),
    LayerCase(CategoryEncoding, {"num_tokens": 5}, (3, 4), (3, 5), input_dtype="int32",
              **_INDICES),
    LayerCase(CategoryEncoding, {"num_tokens": 5, "output_mode": "one_hot"}, (3,), (3, 5),
              input_dtype="int32", id="CategoryEncoding-one_hot", **_INDICES),
    LayerCase(Hashing, {"num_bins": 4}, (3, 2), (3, 2), input_dtype="int32", **_INDICES),
    LayerCase(Hashing, {"num_bins": 4, "output_mode": "count", "salt": 7}, (3, 2), (3, 4),
              input_dtype="int32", id="Hashing-count-salt", **_INDICES),
    LayerCase(IntegerLookup, {"vocabulary": [0, 2, 4]}, (3, 4), (3, 4), input_dtype="int32",
              **_INDICES),
    LayerCase(IntegerLookup, {"vocabulary": [1, 2], "output_mode": "multi_hot"}, (3, 4),
              (3, 3), input_dtype="int32", id="IntegerLookup-multi_hot", **_INDICES),
    LayerCase(StringLookup, {"vocabulary": ["the", "cat", "on"]}, (3, 4), (3, 4),
              input_fn=_words, **_INDICES),
    LayerCase(StringLookup, {"vocabulary": ["the", "cat"], "output_mode": "count"}, (3, 4),
              (3, 3), input_fn=_words, id="StringLookup-count", **_INDICES),
    LayerCase(TextVectorization, {"vocabulary": ["the", "cat", "mat"],
                                  "output_sequence_length": 4}, (3,), (3, 4),
              input_fn=_sentences, **_INDICES),
    LayerCase(TextVectorization, {"vocabulary": ["the", "cat"], "output_mode": "count",
                                  "ngrams": 2}, (3,), (3, 3), input_fn=_sentences,
              id="TextVectorization-count-bigrams", **_INDICES),
]
