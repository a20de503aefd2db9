"""kcore: a small, fast, numpy-only deep-learning engine with the Keras 3 API.

Write ``import kcore as keras`` and use it as Keras::

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=5)
"""

from kcore import activations, callbacks, config, constraints, datasets, initializers, layers, losses, metrics
from kcore import applications
from kcore import models, ops, optimizers, random, regularizers, saving, utils
from kcore import distribution, hooks, tracing
from kcore.backend.autodiff import GradientTape
from kcore.hooks import hookimpl, hookspec
from kcore.backend.tensor import Tensor, Variable
from kcore.layers import Input, InputSpec, KerasTensor, Layer
from kcore.losses import Loss
from kcore.metrics import Metric
from kcore.models import Model, Sequential
from kcore.optimizers import Optimizer

__version__ = "0.1.0"
version = __version__
