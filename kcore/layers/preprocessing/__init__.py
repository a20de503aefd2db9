"""Preprocessing layers, as ``keras.layers`` has them: numeric scaling and normalisation,
image resizing and augmentation, discretisation, category encoding, hashing, vocabulary
lookups and text vectorisation.

They work on numpy arrays directly and inside models. Random augmentation layers act only
when called with ``training=True`` and draw from their own ``SeedGenerator``. Layers that
learn state from data have ``adapt(data)``.
"""

from kcore.layers.preprocessing.encoding import CategoryEncoding, Discretization
from kcore.layers.preprocessing.hashing import Hashing
from kcore.layers.preprocessing.image import CenterCrop, Resizing
from kcore.layers.preprocessing.image_random import (RandomBrightness, RandomContrast,
                                                     RandomCrop, RandomFlip, RandomRotation,
                                                     RandomTranslation, RandomZoom)
from kcore.layers.preprocessing.lookups import IntegerLookup, StringLookup
from kcore.layers.preprocessing.numeric import Normalization, Rescaling
from kcore.layers.preprocessing.text_vectorization import TextVectorization

__all__ = ["CategoryEncoding", "CenterCrop", "Discretization", "Hashing", "IntegerLookup",
           "StringLookup", "Normalization", "RandomBrightness", "RandomContrast", "RandomCrop",
           "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom", "Rescaling",
           "Resizing", "TextVectorization"]
