"""Merging layers: ``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum``, ``Minimum``,
``Concatenate``, ``Dot``, and their lowercase functional forms (``add([a, b])``...).

Every merge layer is called on a list of tensors. Element-wise merges accept inputs whose
shapes broadcast (after the batch axis); inputs of lower rank get length-1 axes inserted
after the batch axis, as Keras does. Masks (``tensor._keras_mask``) are merged as in
Keras: element-wise merges OR the input masks, ``Concatenate`` concatenates them.
"""

import numpy as np

from kcore import ops
from kcore.layers.layer import Layer


def _shape_list(layer, input_shape):
    if not isinstance(input_shape, (list, tuple)) or not input_shape or not isinstance(
            input_shape[0], (list, tuple)):
        raise ValueError(
            f"A merge layer ({type(layer).__name__} {layer.name!r}) must be called on a list "
            f"of tensors, e.g. {type(layer).__name__}()([x1, x2]). Received one input of "
            f"shape {input_shape}."
        )
    return [tuple(s) for s in input_shape]


def _mask_array(mask):
    return None if mask is None else np.asarray(getattr(mask, "value", mask), bool)


class Merge(Layer):
    """Base of the element-wise merge layers: checks shapes, aligns ranks, merges masks.

    Subclasses implement ``_merge_function(inputs)`` on a list of same-rank tensors.
    """

    _min_inputs = 1

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _broadcast_shape(self, shape1, shape2, shapes):
        if len(shape1) < len(shape2):
            shape1, shape2 = shape2, shape1
        if not shape2:
            return shape1
        out = list(shape1[:len(shape1) - len(shape2)])
        for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
            if i is None or j is None:
                out.append(None if i in (None, 1) or j in (None, 1) else i)
            elif i == 1 or j == 1 or i == j:
                out.append(j if i == 1 else i)
            else:
                raise ValueError(
                    f"Layer {self.name!r} ({type(self).__name__}) cannot merge inputs of "
                    f"incompatible shapes {list(shapes)}: the axes after the batch axis must "
                    "match or be 1."
                )
        return tuple(out)

    def build(self, input_shape):
        shapes = _shape_list(self, input_shape)
        if len(shapes) < self._min_inputs:
            raise ValueError(
                f"Layer {self.name!r} ({type(self).__name__}) needs at least "
                f"{self._min_inputs} inputs, got {len(shapes)}: {shapes}."
            )
        batch_sizes = {s[0] for s in shapes if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(
                f"Layer {self.name!r} ({type(self).__name__}) cannot merge tensors with "
                f"different batch sizes. Received shapes {shapes}."
            )
        self.compute_output_shape(shapes)
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"A merge layer ({type(self).__name__} {self.name!r}) must be called on a "
                f"list of tensors, got a single {type(inputs).__name__}."
            )
        ranks = [len(x.shape) for x in inputs]
        if len(set(ranks)) > 1:
            top = max(ranks)
            aligned = []
            for x, r in zip(inputs, ranks):
                y = ops.reshape(x, x.shape[:1] + (1,) * (top - r) + x.shape[1:]) if r < top else x
                y._keras_mask = x._keras_mask
                aligned.append(y)
            inputs = aligned
        return self._merge_function(list(inputs))

    def _merge_function(self, inputs):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        shapes = _shape_list(self, input_shape)
        out = shapes[0][1:]
        for s in shapes[1:]:
            out = self._broadcast_shape(out, s[1:], shapes)
        batch = {s[0] for s in shapes} - {None}
        return (batch.pop() if len(batch) == 1 else None,) + tuple(out)

    def compute_mask(self, inputs, previous_mask=None):
        if previous_mask is None:
            return None
        if any(m is None for m in previous_mask):
            return None
        out = _mask_array(previous_mask[0])
        for m in previous_mask[1:]:
            out = np.logical_or(out, _mask_array(m))
        return out

    def _masked_reduce(self, op_fn, inputs):
        """Merges pairwise with ``op_fn``; where one input is masked the other is used."""
        output, output_mask = None, None
        for x in inputs:
            mask = _mask_array(x._keras_mask)
            if mask is not None:
                mask = np.broadcast_to(mask[..., None], x.shape)
            if output is None:
                output, output_mask = x, mask
                continue
            if mask is not None:
                x = ops.where(mask, x, output)
            if output_mask is not None:
                output = ops.where(output_mask, output, x)
            output_mask = (np.logical_or(output_mask, mask)
                           if mask is not None and output_mask is not None else None)
            output = op_fn(output, x)
        return output


class Add(Merge):
    """Adds a list of inputs element-wise.

    Input shape: a list of tensors of the same (or broadcastable) shape.
    Output shape: that shape.

    Example:
        >>> added = kcore.layers.Add()([x1, x2])   # same as kcore.layers.add([x1, x2])
    """

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.add(output, x)
        return output


class Subtract(Merge):
    """Subtracts two inputs: ``inputs[0] - inputs[1]``.

    Input shape: a list of exactly two tensors of the same shape. Output shape: that shape.
    """

    def build(self, input_shape):
        shapes = _shape_list(self, input_shape)
        if len(shapes) != 2:
            raise ValueError(
                f"A Subtract layer ({self.name!r}) must be called on exactly 2 inputs, got "
                f"{len(shapes)}: {shapes}."
            )
        super().build(shapes)

    def _merge_function(self, inputs):
        if len(inputs) != 2:
            raise ValueError(
                f"A Subtract layer ({self.name!r}) must be called on exactly 2 inputs, got "
                f"{len(inputs)}."
            )
        return ops.subtract(inputs[0], inputs[1])


class Multiply(Merge):
    """Multiplies a list of inputs element-wise (masked entries count as 1).

    Input shape: a list of tensors of the same shape. Output shape: that shape.
    """

    def _merge_function(self, inputs):
        masks = [_mask_array(x._keras_mask) for x in inputs]
        all_masked = all(m is not None for m in masks)
        output, output_mask = None, None
        for x, mask in zip(inputs, masks):
            if mask is not None:
                mask = np.broadcast_to(mask[..., None], x.shape)
                x = ops.where(mask, x, np.ones((), x.dtype))
                if all_masked:
                    output_mask = mask if output_mask is None else np.logical_or(output_mask, mask)
            output = x if output is None else ops.multiply(output, x)
        if all_masked:
            output = ops.where(output_mask, output, np.zeros((), output.dtype))
        return output


class Average(Merge):
    """Averages a list of inputs element-wise.

    Input shape: a list of tensors of the same shape. Output shape: that shape.
    """

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.add(output, x)
        return ops.divide(output, np.asarray(len(inputs), output.dtype))


class Maximum(Merge):
    """Element-wise maximum of a list of inputs (masked entries are ignored).

    Input shape: a list of tensors of the same shape. Output shape: that shape.
    """

    def _merge_function(self, inputs):
        return self._masked_reduce(ops.maximum, inputs)


class Minimum(Merge):
    """Element-wise minimum of a list of inputs (masked entries are ignored).

    Input shape: a list of tensors of the same shape. Output shape: that shape.
    """

    def _merge_function(self, inputs):
        return self._masked_reduce(ops.minimum, inputs)


class Concatenate(Merge):
    """Concatenates a list of inputs along ``axis``.

    Args:
        axis: the concatenation axis (default: the last).

    Input shape: tensors of the same shape except along ``axis``.
    Output shape: that shape with the ``axis`` sizes added.

    Example:
        >>> merged = kcore.layers.Concatenate(axis=1)([np.zeros((2, 2, 5)), np.ones((2, 1, 5))])
        >>> merged.shape
        (2, 3, 5)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def _merge_function(self, inputs):
        return ops.concatenate(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape):
        shapes = _shape_list(self, input_shape)
        if len({len(s) for s in shapes}) != 1:
            raise ValueError(
                f"Layer {self.name!r} (Concatenate) needs inputs of the same rank; received "
                f"shapes {shapes}."
            )
        rank = len(shapes[0])
        axis = self.axis % rank
        out = list(shapes[0])
        for s in shapes[1:]:
            for i, (a, b) in enumerate(zip(out, s)):
                if i == axis:
                    out[i] = None if a is None or b is None else a + b
                elif a is not None and b is not None and a != b:
                    raise ValueError(
                        f"Layer {self.name!r} (Concatenate) requires inputs with matching "
                        f"shapes except for the concatenation axis {self.axis}. Received "
                        f"shapes {shapes}."
                    )
                elif a is None:
                    out[i] = b
        return tuple(out)

    def compute_mask(self, inputs, previous_mask=None):
        if previous_mask is None or all(m is None for m in previous_mask):
            return None
        masks = []
        for x, m in zip(inputs, previous_mask):
            shape = tuple(x.shape)
            if m is None:
                masks.append(np.ones(shape, bool))
            else:
                m = _mask_array(m)
                masks.append(np.broadcast_to(m[..., None], shape) if m.ndim < len(shape) else m)
        return np.any(np.concatenate(masks, axis=self.axis), axis=-1)

    def get_config(self):
        cfg = super().get_config()
        cfg["axis"] = self.axis
        return cfg


def _batch_dot(x, y, axes):
    """Batch-wise dot product of ``x`` and ``y`` over ``axes`` (one per input, not 0).

    The result has ``x``'s axes less ``axes[0]``, then ``y``'s less the batch axis and
    ``axes[1]``; a rank-1 result becomes ``(batch, 1)``, as Keras's ``batch_dot``.
    """
    letters = iter("bcdefghijklmnopqrstuvwxy")
    xs = "".join("a" if i == 0 else "z" if i == axes[0] else next(letters)
                 for i in range(len(x.shape)))
    ys = "".join("a" if i == 0 else "z" if i == axes[1] else next(letters)
                 for i in range(len(y.shape)))
    out = xs.replace("z", "") + ys[1:].replace("z", "")
    result = ops.einsum(f"{xs},{ys}->{out}", x, y)
    return ops.expand_dims(result, -1) if len(out) == 1 else result


class Dot(Merge):
    """Dot product of two inputs along ``axes``, sample by sample.

    Args:
        axes: an int, or a pair ``(axis_of_input_0, axis_of_input_1)``; the batch axis 0
            cannot be used.
        normalize: L2-normalize both inputs along ``axes`` first, so that the result is the
            cosine similarity.

    Input shape: two tensors, e.g. ``(batch, n)`` and ``(batch, n)``.
    Output shape: ``x``'s axes less ``axes[0]`` then ``y``'s less batch and ``axes[1]``;
    ``(batch, 1)`` when nothing else remains.
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(f"Dot `axes` must be an int or a pair of ints, got {axes!r}.")
            if len(axes) != 2 or not all(isinstance(a, int) for a in axes):
                raise ValueError(f"Dot `axes` must contain two integers, got {axes!r}.")
        self.axes = axes
        self.normalize = normalize

    def _axes(self, shapes):
        pair = (self.axes, self.axes) if isinstance(self.axes, int) else self.axes
        axes = [a % len(s) if a < 0 else a for a, s in zip(pair, shapes)]
        if 0 in axes:
            raise ValueError(
                f"Layer {self.name!r} (Dot) cannot take the dot product over the batch axis 0 "
                f"(axes={self.axes})."
            )
        return axes

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def _merge_function(self, inputs):
        if len(inputs) != 2:
            raise ValueError(f"A Dot layer ({self.name!r}) must be called on exactly 2 inputs.")
        x1, x2 = inputs
        axes = self._axes([x1.shape, x2.shape])
        if self.normalize:
            x1 = ops.normalize(x1, axis=axes[0])
            x2 = ops.normalize(x2, axis=axes[1])
        return _batch_dot(x1, x2, axes)

    def call(self, inputs):
        # Unlike the element-wise merges, Dot's inputs keep their own ranks.
        return self._merge_function(list(inputs))

    def compute_output_shape(self, input_shape):
        shapes = _shape_list(self, input_shape)
        if len(shapes) != 2:
            raise ValueError(f"A Dot layer ({self.name!r}) must be called on exactly 2 inputs, "
                             f"got {len(shapes)}: {shapes}.")
        s1, s2 = (list(s) for s in shapes)
        axes = self._axes(shapes)
        if s1[axes[0]] is not None and s2[axes[1]] is not None and s1[axes[0]] != s2[axes[1]]:
            raise ValueError(
                f"Layer {self.name!r} (Dot): incompatible input shapes {shapes}: axis "
                f"{axes[0]} of the first has size {s1[axes[0]]}, axis {axes[1]} of the "
                f"second has size {s2[axes[1]]}."
            )
        s1.pop(axes[0])
        s2.pop(axes[1])
        out = s1 + s2[1:]
        return tuple(out + [1] if len(out) == 1 else out)

    def compute_mask(self, inputs, previous_mask=None):
        return None

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"axes": list(self.axes) if isinstance(self.axes, tuple) else self.axes,
                    "normalize": self.normalize})
        return cfg


def add(inputs, **kwargs):
    """Functional form of ``Add``: ``add([x1, x2])``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of ``Subtract``: ``subtract([x1, x2])``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of ``Multiply``."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of ``Average``."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of ``Maximum``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of ``Minimum``."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of ``Concatenate``: ``concatenate([x1, x2], axis=-1)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, **kwargs):
    """Functional form of ``Dot``: ``dot([x1, x2], axes=-1, normalize=False)``."""
    return Dot(axes=axes, **kwargs)(inputs)
