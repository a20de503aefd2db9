"""``kcore.activations``: Keras 3 activation functions, built on ``kcore.ops``.

Every function takes a tensor (or array) and returns a ``Tensor``; all are differentiable
because they are composed of ``kcore.ops``. Layers take an activation as a name
(``"relu"``), a function, or ``None`` (linear), resolved by ``get``; their configs store
the name returned by ``serialize``.

Example:
    >>> kcore.activations.relu(np.array([-1.0, 0.5, 3.0]), max_value=1.0).numpy()
    array([0. , 0.5, 1. ])
"""

from kcore import ops
from kcore.backend.tensor import Tensor
from kcore.backend.serialization import (deserialize_keras_object, register_builtins,
                                         register_kind, serialize_keras_object)


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit with Keras's optional leak, ceiling and threshold.

    ``f(x) = max_value`` for ``x >= max_value``, ``x`` for ``threshold < x < max_value``
    and ``negative_slope * (x - threshold)`` otherwise.

    Args:
        x: input tensor.
        negative_slope: slope for values below ``threshold``.
        max_value: saturation ceiling (``None`` for none).
        threshold: values at or below it are zeroed (or leaked).
    """
    if negative_slope != 0.0 and max_value is None and threshold == 0:
        return ops.leaky_relu(x, negative_slope=negative_slope)
    x = ops.convert_to_tensor(x)
    if negative_slope != 0.0:
        negative_part = ops.relu(ops.subtract(threshold, x))
    if threshold != 0:
        x = ops.multiply(x, ops.cast(ops.greater(x, threshold), x.dtype))
    elif max_value == 6:
        x, max_value = ops.relu6(x), None
    else:
        x = ops.relu(x)
    if max_value is not None:
        x = ops.clip(x, 0.0, max_value)
    if negative_slope != 0.0:
        x = ops.subtract(x, ops.multiply(negative_slope, negative_part))
    return x


def leaky_relu(x, negative_slope=0.2):
    """``x`` for ``x >= 0``, ``negative_slope * x`` otherwise."""
    return ops.leaky_relu(x, negative_slope=negative_slope)


def relu6(x):
    """``min(max(x, 0), 6)``."""
    return ops.relu6(x)


def elu(x, alpha=1.0):
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise."""
    return ops.elu(x, alpha=alpha)


def selu(x):
    """``scale * elu(x, alpha)`` with ``alpha=1.67326324``, ``scale=1.05070098``."""
    return ops.selu(x)


def softplus(x):
    """``log(exp(x) + 1)``."""
    return ops.softplus(x)


def softsign(x):
    """``x / (abs(x) + 1)``."""
    return ops.softsign(x)


def silu(x):
    """Swish: ``x * sigmoid(x)``."""
    return ops.silu(x)


swish = silu


def gelu(x, approximate=False):
    """Gaussian error linear unit: ``x * P(X <= x)``, ``X ~ N(0, 1)``.

    Args:
        approximate: use the tanh approximation (Keras's activation default is ``False``,
            the exact erf form).
    """
    return ops.gelu(x, approximate=approximate)


def tanh(x):
    """Hyperbolic tangent."""
    return ops.tanh(x)


def _cache_logits(out, x, kind, axis=None):
    # Cross-entropy losses read these logits: more stable and cheaper than going back
    # through clipped probabilities (Keras's softmax/sigmoid activations do the same).
    if isinstance(out, Tensor) and isinstance(x, Tensor):
        out._keras_logits = (x, kind, axis)
    return out


def sigmoid(x):
    """``1 / (1 + exp(-x))``."""
    return _cache_logits(ops.sigmoid(x), x, "sigmoid")


def exponential(x):
    """``exp(x)``."""
    return ops.exp(x)


def hard_sigmoid(x):
    """Piecewise-linear sigmoid: ``relu6(x + 3) / 6``."""
    return ops.hard_sigmoid(x)


def hard_silu(x):
    """Hard swish: ``x * relu6(x + 3) / 6``."""
    return ops.hard_silu(x)


hard_swish = hard_silu


def linear(x):
    """The identity (used when a layer has no activation)."""
    return x


def mish(x):
    """``x * tanh(softplus(x))``."""
    return ops.multiply(x, ops.tanh(ops.softplus(x)))


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis``, computed stably."""
    return _cache_logits(ops.softmax(x, axis=axis), x, "softmax", axis)


def log_sigmoid(x):
    """``log(sigmoid(x))``, computed stably."""
    return ops.log_sigmoid(x)


def hard_tanh(x):
    """``clip(x, -1, 1)``."""
    return ops.clip(x, -1.0, 1.0)


def celu(x, alpha=1.0):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    return ops.add(ops.relu(x), ops.minimum(0.0, ops.multiply(alpha, ops.expm1(ops.divide(x, alpha)))))


def glu(x, axis=-1):
    """Gated linear unit: splits ``x`` in two halves ``a, b`` along ``axis``; ``a * sigmoid(b)``."""
    a, b = ops.split(x, 2, axis=axis)
    return ops.multiply(a, ops.sigmoid(b))


def log_softmax(x, axis=-1):
    """``x - logsumexp(x)`` along ``axis``."""
    return ops.log_softmax(x, axis=axis)


ALL_OBJECTS = (relu, leaky_relu, relu6, elu, selu, softplus, softsign, silu, gelu, tanh,
               sigmoid, exponential, hard_sigmoid, hard_silu, linear, mish, softmax,
               log_softmax, log_sigmoid, hard_tanh, celu, glu)
ALL_OBJECTS_DICT = {fn.__name__: fn for fn in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({"swish": silu, "hard_swish": hard_silu})
# Activation layers (ReLU(), ...) may stand in for a function too: kcore.layers adds Layer.
register_kind("activation", functions=True)
register_builtins("keras.activations", ALL_OBJECTS_DICT, kind="activation")


def serialize(activation):
    """The name stored in layer configs: ``"relu"``; ``None`` becomes ``"linear"``.

    As in Keras, any other function gives its function config (``{"module": "builtins",
    "class_name": "function", "config": "<registered name>", ...}``) and a callable object
    with ``get_config`` (e.g. an activation layer) its full config dict.
    """
    if activation is None:
        return "linear"
    if ALL_OBJECTS_DICT.get(getattr(activation, "__name__", None)) is activation:
        return activation.__name__
    if hasattr(activation, "get_config") or callable(activation):
        return serialize_keras_object(activation)
    raise ValueError(f"Cannot serialize activation {activation!r}: expected a callable.")


def deserialize(config, custom_objects=None):
    """Returns the activation function for a name or a Keras config dict."""
    return deserialize_keras_object(config, module_objects=ALL_OBJECTS_DICT,
                                    custom_objects=custom_objects, kind="activation",
                                    printable_module_name="activation function")


def get(identifier):
    """Resolves an activation: ``None`` → ``linear``, a name, a config dict or a callable.

    Raises:
        ValueError: for an unknown name (listing the known ones) or a non-callable.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        return ALL_OBJECTS_DICT.get(identifier) or deserialize(identifier)
    if isinstance(identifier, dict):
        identifier = deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret activation function identifier: {identifier!r}. Expected "
        "None, a name such as 'relu', a config dict or a callable."
    )
