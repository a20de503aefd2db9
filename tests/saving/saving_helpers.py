"""Models, data and stand-in layers shared by the saving tests."""

import functools
import pathlib

import numpy as np

import kcore
from kcore import ops

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "keras" / "models"


def data(n=32, d=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    y = rng.integers(0, classes, size=n)
    return x, y


def sequential(name="seq"):
    return kcore.Sequential([kcore.Input((6,), name=f"{name}_in"),
                             kcore.layers.Dense(8, activation="relu", name="d1"),
                             kcore.layers.Dense(3, activation="softmax", name="out")], name=name)


def multi_io():
    """Two inputs through one shared Dense, concatenated, two named outputs."""
    a = kcore.Input((4,), name="in_a")
    b = kcore.Input((4,), name="in_b")
    shared = kcore.layers.Dense(5, activation="relu", name="shared")
    x = concatenate_layer("concat")([shared(a), shared(b)])
    cls = kcore.layers.Dense(2, activation="softmax", name="cls")(x)
    reg = kcore.layers.Dense(1, name="reg")(x)
    return kcore.Model([a, b], [cls, reg], name="multi_io")


def multi_io_data(n=16, seed=0):
    rng = np.random.default_rng(seed)
    x = [rng.normal(size=(n, 4)).astype("float32") for _ in range(2)]
    y = [rng.integers(0, 2, size=n), rng.normal(size=(n, 1)).astype("float32")]
    return x, y


def nested():
    """A Sequential inside a Functional model."""
    inner = kcore.Sequential([kcore.Input((6,), name="inner_in"),
                              kcore.layers.Dense(5, activation="tanh", name="i1")], name="inner")
    a = kcore.Input((6,), name="a")
    out = kcore.layers.Dense(3, activation="softmax", name="o")(inner(a))
    return kcore.Model(a, out, name="outer")


@kcore.saving.register_keras_serializable(package="kcore_tests")
class TwoLayer(kcore.Model):
    """A subclassed model with get_config."""

    def __init__(self, units=8, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = kcore.layers.Dense(units, activation="relu", name="hidden")
        self.head = kcore.layers.Dense(3, activation="softmax", name="head")

    def call(self, inputs, training=None):
        return self.head(self.hidden(inputs))

    def get_config(self):
        return {"name": self.name, "units": self.units}


def subclassed():
    model = TwoLayer(units=8, name="two")
    model(np.zeros((1, 6), "float32"))  # records the build shape saved in build_config
    return model


# Stand-ins for layers other engineers are still writing; used only when kcore has none.
class StandInBatchNormalization(kcore.layers.Layer):
    """Inference-mode batch normalization with Keras's four weights."""

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, **kwargs):
        for key in [k for k in kwargs if k.endswith(("_initializer", "_regularizer", "_constraint"))
                    or k in ("synchronized", "renorm", "renorm_clipping", "renorm_momentum")]:
            kwargs.pop(key)
        super().__init__(**kwargs)
        self.axis, self.epsilon = axis, epsilon

    def build(self, input_shape):
        n = input_shape[-1]
        self.gamma = self.add_weight(shape=(n,), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(n,), initializer="zeros", name="beta")
        self.moving_mean = self.add_weight(shape=(n,), initializer="zeros", name="moving_mean",
                                           trainable=False)
        self.moving_variance = self.add_weight(shape=(n,), initializer="ones",
                                               name="moving_variance", trainable=False)

    def call(self, inputs, training=None):
        scale = self.gamma / ops.sqrt(self.moving_variance + self.epsilon)
        return (inputs - self.moving_mean) * scale + self.beta


class StandInConcatenate(kcore.layers.Layer):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs):
        return ops.concatenate(list(inputs), axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


@functools.lru_cache(maxsize=None)
def layer_class(name, stand_in):
    """kcore's layer class ``name``, or the stand-in while kcore has none."""
    cls = getattr(kcore.layers, name, None)
    if cls is not None:
        return cls
    return type(name, (stand_in,), {})  # named like Keras's class, for file layouts


def concatenate_layer(name):
    return layer_class("Concatenate", StandInConcatenate)(name=name)


def stand_in_objects():
    """``custom_objects`` filling in the layers kcore does not have yet."""
    objects = {}
    if not hasattr(kcore.layers, "BatchNormalization"):
        objects["BatchNormalization"] = layer_class("BatchNormalization", StandInBatchNormalization)
    if not hasattr(kcore.layers, "Concatenate"):
        objects["Concatenate"] = layer_class("Concatenate", StandInConcatenate)
    return objects


def dump_layout(path):
    """The h5py tree of a file: ``{path: (kind, shape, dtype, {attr: value})}``."""
    import h5py

    out = {}

    def attrs(obj):
        values = {}
        for key, value in obj.attrs.items():
            if isinstance(value, np.ndarray):
                value = [v.decode() if isinstance(v, bytes) else v for v in value.tolist()]
            elif isinstance(value, bytes):
                value = value.decode()
            values[key] = value
        return values

    with h5py.File(path, "r") as f:
        out["/"] = ("group", None, None, attrs(f))

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = ("dataset", tuple(obj.shape), str(obj.dtype), attrs(obj))
            else:
                out[name] = ("group", None, None, attrs(obj))

        f.visititems(visit)
    return out
