"""``kcore.initializers``: Keras 3 weight initializers.

An initializer is called as ``init(shape, dtype=None)`` and returns a numpy array
(``dtype`` defaults to ``kcore.config.floatx()``). Random draws go through
``kcore.backend.random.rng``: an int ``seed`` gives the same values on every call (as in
Keras); ``seed=None`` draws from the global generator, so ``kcore.utils.set_random_seed``
reproduces a whole run; a ``SeedGenerator`` advances its own stream.

Example:
    >>> init = kcore.initializers.GlorotUniform(seed=1)
    >>> w = init((784, 128))            # uniform in +-sqrt(6 / (784 + 128))
    >>> w.dtype
    dtype('float32')
"""

import math
import re

import numpy as np

from kcore.backend import config
from kcore.backend.random import SeedGenerator, rng
from kcore.backend.serialization import (deserialize_keras_object, register_builtins,
                                         register_kind, serialize_keras_object)

# Standard deviation of a unit normal truncated to [-2, 2]; Keras divides by it so that
# the truncated draw has the requested variance.
_TRUNCATED_STDDEV = 0.87962566103423978


def _dtype(dtype):
    return np.dtype(config.standardize_dtype(dtype))


def compute_fans(shape, input_axes=None, output_axes=None):
    """``(fan_in, fan_out)`` of a weight shape, as Keras computes them.

    Dense kernels ``(in, out)`` give ``(in, out)``; convolution kernels
    ``(*window, in, out)`` multiply both by the receptive field size (the window's product).
    With ``input_axes``/``output_axes`` (Keras 3.15), the fans are the products of those axes.
    """
    shape = tuple(shape)
    if input_axes is not None or output_axes is not None:
        def prod(axes, default):
            if axes is None:
                return default
            axes = [axes] if isinstance(axes, int) else axes
            return int(np.prod([shape[a] for a in axes])) if axes else 1
        fan_in, fan_out = compute_fans(shape)
        return prod(input_axes, fan_in), prod(output_axes, fan_out)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    if len(shape) == 2:
        return int(shape[0]), int(shape[1])
    receptive_field = int(np.prod(shape[:-2]))
    return int(shape[-2] * receptive_field), int(shape[-1] * receptive_field)


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)`` and ``get_config``."""

    _keras_module = "keras.initializers"

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype).")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("dtype", None)  # tf.keras 2 configs may carry it
        return cls(**config)

    def clone(self):
        return self.__class__.from_config(self.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


# -- constant initializers ------------------------------------------------------------------


class Zeros(Initializer):
    """Fills with 0."""

    def __call__(self, shape, dtype=None):
        return np.zeros(tuple(shape), dtype=_dtype(dtype))


class Ones(Initializer):
    """Fills with 1."""

    def __call__(self, shape, dtype=None):
        return np.ones(tuple(shape), dtype=_dtype(dtype))


class Constant(Initializer):
    """Fills with ``value`` (a scalar, or an array broadcastable to the shape)."""

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        out = np.empty(tuple(shape), dtype=_dtype(dtype))
        out[...] = np.asarray(self.value)
        return out

    def get_config(self):
        value = self.value
        if isinstance(value, np.ndarray):
            value = value.tolist()
        elif isinstance(value, np.generic):
            value = value.item()
        return {"value": value}


class Identity(Initializer):
    """``gain`` times the identity matrix (2D shapes only; non-square allowed)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) != 2:
            raise ValueError(
                f"Identity matrix initializer can only be used for 2D matrices. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        return (self.gain * np.eye(*shape)).astype(_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


# -- random initializers --------------------------------------------------------------------


class RandomInitializer(Initializer):
    """Base of the random initializers: holds and serializes ``seed``."""

    def __init__(self, seed=None):
        if isinstance(seed, dict):
            seed = deserialize_keras_object(seed, module_objects={"SeedGenerator": SeedGenerator},
                                            kind="seed generator")
        if not (seed is None or isinstance(seed, (int, np.integer, SeedGenerator))) or isinstance(seed, bool):
            raise ValueError(
                "`seed` argument should be an integer, None or a kcore.random.SeedGenerator. "
                f"Received: seed={seed!r}"
            )
        self.seed = seed

    def _rng(self):
        return rng(self.seed)

    def get_config(self):
        seed = self.seed
        return {"seed": int(seed) if isinstance(seed, np.integer) else serialize_keras_object(seed)}


def _normal(gen, shape, dtype):
    if dtype in (np.float32, np.float64):
        return gen.standard_normal(shape, dtype=dtype)
    return gen.standard_normal(shape).astype(dtype)


def _truncated_normal(gen, shape, dtype):
    """Unit normal draws redrawn until within two standard deviations (as Keras)."""
    work = dtype if dtype in (np.float32, np.float64) else np.float64
    x = gen.standard_normal(shape, dtype=work)
    bad = np.abs(x) > 2.0
    while bad.any():
        x[bad] = gen.standard_normal(int(bad.sum()), dtype=work)
        bad = np.abs(x) > 2.0
    return x.astype(dtype, copy=False)


def _uniform(gen, shape, dtype, minval, maxval):
    work = dtype if dtype in (np.float32, np.float64) else np.float64
    x = gen.random(shape, dtype=work)
    x *= np.dtype(work).type(maxval - minval)
    x += np.dtype(work).type(minval)
    return x.astype(dtype, copy=False)


class RandomNormal(RandomInitializer):
    """Normal draws with ``mean`` and ``stddev``."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        dt = _dtype(dtype)
        return (_normal(self._rng(), tuple(shape), dt) * dt.type(self.stddev)
                + dt.type(self.mean)).astype(dt, copy=False)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class TruncatedNormal(RandomInitializer):
    """Normal draws with ``mean`` and ``stddev``, redrawn beyond two standard deviations."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        dt = _dtype(dtype)
        return (_truncated_normal(self._rng(), tuple(shape), dt) * dt.type(self.stddev)
                + dt.type(self.mean)).astype(dt, copy=False)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class RandomUniform(RandomInitializer):
    """Uniform draws from ``[minval, maxval)``."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        return _uniform(self._rng(), tuple(shape), _dtype(dtype), self.minval, self.maxval)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


class VarianceScaling(RandomInitializer):
    """Draws scaled to the weight's fan: ``scale / n`` is the target variance.

    ``n`` is ``fan_in``, ``fan_out`` or their average (``mode``). ``"truncated_normal"``
    uses ``stddev = sqrt(scale / n) / 0.87962566103423978`` (truncated at two standard
    deviations), ``"untruncated_normal"`` ``stddev = sqrt(scale / n)``, and ``"uniform"``
    the limits ``+-sqrt(3 * scale / n)``.
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(
                f"Invalid `mode` argument: expected one of 'fan_in', 'fan_out', 'fan_avg'. "
                f"Received: mode={mode!r}"
            )
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(
                "Invalid `distribution` argument: expected one of 'uniform', "
                f"'truncated_normal', 'untruncated_normal'. Received: distribution={distribution!r}"
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        shape, dt = tuple(shape), _dtype(dtype)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, fan)
        gen = self._rng()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * scale)
            return _uniform(gen, shape, dt, -limit, limit)
        if self.distribution == "truncated_normal":
            x = _truncated_normal(gen, shape, dt)
            x *= dt.type(math.sqrt(scale) / _TRUNCATED_STDDEV)
            return x
        x = _normal(gen, shape, dt)
        x *= dt.type(math.sqrt(scale))
        return x

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                **super().get_config(), "input_axes": self.input_axes,
                "output_axes": self.output_axes}


class _FixedVarianceScaling(VarianceScaling):
    """A VarianceScaling preset whose config holds only ``seed`` (as in Keras)."""

    _preset = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        scale, mode, distribution = self._preset
        super().__init__(scale=scale, mode=mode, distribution=distribution, seed=seed,
                         input_axes=input_axes, output_axes=output_axes)

    def get_config(self):
        return {**RandomInitializer.get_config(self), "input_axes": self.input_axes,
                "output_axes": self.output_axes}


class GlorotUniform(_FixedVarianceScaling):
    """Uniform in ``+-sqrt(6 / (fan_in + fan_out))`` (Xavier uniform)."""

    _preset = (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedVarianceScaling):
    """Truncated normal, ``stddev = sqrt(2 / (fan_in + fan_out)) / 0.8796...``."""

    _preset = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_FixedVarianceScaling):
    """Uniform in ``+-sqrt(6 / fan_in)``."""

    _preset = (2.0, "fan_in", "uniform")


class HeNormal(_FixedVarianceScaling):
    """Truncated normal, ``stddev = sqrt(2 / fan_in) / 0.8796...``."""

    _preset = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedVarianceScaling):
    """Uniform in ``+-sqrt(3 / fan_in)``."""

    _preset = (1.0, "fan_in", "uniform")


class LecunNormal(_FixedVarianceScaling):
    """Truncated normal, ``stddev = sqrt(1 / fan_in) / 0.8796...``."""

    _preset = (1.0, "fan_in", "truncated_normal")


class Orthogonal(RandomInitializer):
    """An orthogonal matrix (``gain`` times Q of the QR of a normal draw), as Keras.

    Shapes of rank > 2 are flattened to ``(prod(shape[:-1]), shape[-1])``; with fewer rows
    than columns the rows are orthonormal, otherwise the columns.
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        shape, dt = tuple(shape), _dtype(dtype)
        if len(shape) < 2:
            raise ValueError(
                "The tensor to initialize must be at least two-dimensional. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        a = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).astype(dt)

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}


OrthogonalInitializer = Orthogonal
IdentityInitializer = Identity

_CLASSES = (Initializer, Zeros, Ones, Constant, Identity, RandomNormal, TruncatedNormal,
            RandomUniform, VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal,
            LecunUniform, LecunNormal, Orthogonal)


def _snake(name):
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({_snake(cls.__name__): cls for cls in _CLASSES})
ALL_OBJECTS_DICT.update({
    "uniform": RandomUniform, "normal": RandomNormal, "one": Ones, "zero": Zeros,
    "OrthogonalInitializer": Orthogonal, "orthogonal_initializer": Orthogonal,
    "IdentityInitializer": Identity, "identity_initializer": Identity,
})
register_kind("initializer", bases=(Initializer,), functions=True)
register_builtins("keras.initializers", ALL_OBJECTS_DICT, kind="initializer")


def serialize(initializer):
    """The Keras 3 config dict of an initializer."""
    return serialize_keras_object(initializer)


def deserialize(config, custom_objects=None):
    """Rebuilds an initializer from a name or config dict."""
    return deserialize_keras_object(config, module_objects=ALL_OBJECTS_DICT,
                                    custom_objects=custom_objects, kind="initializer")


def get(identifier):
    """Resolves ``None``, a name (``"glorot_uniform"``), a config dict, a class or a callable.

    Raises:
        ValueError: for an unknown name (listing the known ones) or a non-callable.
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        identifier = {"class_name": identifier, "config": {}}
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret initializer identifier: {identifier!r}. Expected a name such as "
        "'glorot_uniform', a config dict, an Initializer or a callable f(shape, dtype)."
    )
