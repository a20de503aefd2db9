"""``EinsumDense``: a dense layer whose contraction is an einsum equation."""

import re

from kcore import activations, constraints, initializers, ops, regularizers
from kcore.backend.serialization import serialize_keras_object
from kcore.layers.input_spec import InputSpec
from kcore.layers.layer import Layer


def analyze_einsum(equation, bias_axes, input_shape, output_shape):
    """Kernel shape, bias shape and full output shape for an ``EinsumDense`` equation.

    Supports ``"ab,bc->ac"``, left ellipsis ``"...b,bc->...c"`` and right ellipsis
    ``"ab...,bc->ac..."``, as Keras. ``output_shape`` excludes the batch axis (and, with an
    ellipsis, the elided axes); ``None`` entries are unknown.

    Returns:
        ``(kernel_shape, bias_shape or None, full_output_shape)``.

    Raises:
        ValueError: for an unsupported equation or inconsistent shapes.
    """
    eq = equation.replace("...", "0")
    for pattern, left in (("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$", False),
                          ("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$", True),
                          ("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$", False)):
        match = re.match(pattern, eq)
        if match:
            return _analyze(*match.groups(), bias_axes, tuple(input_shape), output_shape, left)
    raise ValueError(
        f"Invalid EinsumDense equation {equation!r}: it must have the form 'X,Y->Z', "
        "'...X,Y->...Z' or 'X...,Y->Z...'."
    )


def _analyze(input_spec, weight_spec, output_spec, bias_axes, input_shape, output_shape, left):
    elided = len(input_shape) - len(input_spec)
    out = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    out.insert(0, input_shape[0])
    if elided > 0 and left:
        for i in range(1, elided):
            out.insert(1, input_shape[i])
    elif elided > 0:
        out.extend(input_shape[len(input_shape) - elided:])
    if left:
        in_map = {d: i + elided - len(input_shape) for i, d in enumerate(input_spec)}
        out_map = {d: i + elided for i, d in enumerate(output_spec)}
    else:
        in_map = {d: i for i, d in enumerate(input_spec)}
        out_map = {d: i for i, d in enumerate(output_spec)}
    for d in input_spec:
        if d not in out_map:
            continue
        if out[out_map[d]] is None:
            # Keras leaves these unknown (and then fails on a bias over them); take the input's.
            out[out_map[d]] = input_shape[in_map[d]]
        elif input_shape[in_map[d]] is not None and out[out_map[d]] != input_shape[in_map[d]]:
            raise ValueError(
                f"EinsumDense: input and output shapes differ at shared dimension {d!r}: input "
                f"has {input_shape[in_map[d]]}, output_shape has {out[out_map[d]]}."
            )
    for d in output_spec:
        if d not in input_spec and d not in weight_spec:
            raise ValueError(f"EinsumDense: output dimension {d!r} appears in neither the input "
                             f"spec {input_spec!r} nor the weight spec {weight_spec!r}.")
    kernel = []
    for d in weight_spec:
        if d in out_map:
            kernel.append(out[out_map[d]])
        elif d in in_map:
            kernel.append(input_shape[in_map[d]])
        else:
            raise ValueError(f"EinsumDense: weight dimension {d!r} matches neither the input "
                             f"spec {input_spec!r} nor the output spec {output_spec!r}.")
    if any(k is None for k in kernel):
        raise ValueError(f"EinsumDense: the kernel shape {kernel} has unknown sizes; give them "
                         "in `output_shape` or in the input shape.")
    bias = None
    if bias_axes is not None:
        missing = [c for c in bias_axes if c not in output_spec]
        if missing:
            raise ValueError(f"EinsumDense: bias axes {missing} are not in the output spec "
                             f"{output_spec!r}.")
        offset = elided if left else 0
        sizes = {c: out[i + offset] for i, c in enumerate(output_spec)}
        first = min(output_spec.find(c) for c in bias_axes)
        bias = [sizes[c] if c in bias_axes else 1 for c in output_spec[first:]]
        if not left:
            bias.extend([1] * elided)
    return kernel, bias, out


class EinsumDense(Layer):
    """A dense layer that computes ``activation(einsum(equation, inputs, kernel) + bias)``.

    Args:
        equation: e.g. ``"ab,bc->ac"`` (``Dense``), ``"abc,cd->abd"`` (``Dense`` on
            sequences), ``"abc,cde->abde"`` (multi-head projection), or with an ellipsis
            ``"...b,bc->...c"``. The first letter is the batch axis.
        output_shape: the output shape without the batch axis (an int for rank 1);
            ``None`` for sizes taken from the input.
        activation: activation function or name (default: none).
        bias_axes: output letters that get a bias (e.g. ``"de"``); ``None`` for no bias.
        kernel_initializer, bias_initializer: initializers.
        kernel_regularizer, bias_regularizer, activity_regularizer: optional penalties.
        kernel_constraint, bias_constraint: optional constraints.

    Input shape: as the equation's input spec. Output shape: ``(batch,) + output_shape``.
    Weights: ``kernel`` (sizes of the weight spec's letters), ``bias`` (sizes of the output
    letters from the first bias axis on, 1 for letters without bias).

    Example:
        >>> layer = kcore.layers.EinsumDense("abc,cde->abde", output_shape=(None, 4, 8),
        ...                                  bias_axes="de")
        >>> layer(np.zeros((2, 5, 16))).shape
        (2, 5, 4, 8)
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None,
                 gptq_unpacked_column_size=None, quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        if lora_rank is not None or quantization_config is not None:
            raise ValueError("kcore's EinsumDense does not support LoRA or quantization.")
        self.equation = equation
        self.partial_output_shape = ((output_shape,) if isinstance(output_shape, int)
                                     else tuple(output_shape))
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.supports_masking = False  # as Keras's EinsumDense

    def build(self, input_shape):
        kernel_shape, bias_shape, full = analyze_einsum(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        self.full_output_shape = tuple(full)
        self.input_spec = InputSpec(ndim=len(input_shape))
        self.kernel = self.add_weight(shape=kernel_shape, initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self.bias = None if bias_shape is None else self.add_weight(
            shape=bias_shape, initializer=self.bias_initializer,
            regularizer=self.bias_regularizer, constraint=self.bias_constraint, name="bias")
        self.built = True

    def call(self, inputs, training=None):
        x = ops.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            x = ops.add(x, self.bias)
        return self.activation(x)

    def compute_output_shape(self, input_shape):
        return tuple(analyze_einsum(self.equation, self.bias_axes, input_shape,
                                    self.partial_output_shape)[2])

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "output_shape": list(self.partial_output_shape),
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": serialize_keras_object(self.kernel_initializer),
            "bias_initializer": serialize_keras_object(self.bias_initializer),
            "kernel_regularizer": serialize_keras_object(self.kernel_regularizer),
            "bias_regularizer": serialize_keras_object(self.bias_regularizer),
            "activity_regularizer": serialize_keras_object(self.activity_regularizer),
            "kernel_constraint": serialize_keras_object(self.kernel_constraint),
            "bias_constraint": serialize_keras_object(self.bias_constraint),
        })
        return cfg
