"""Symbolic tensors (``KerasTensor``), graph ``Node``s, ``InputLayer`` and ``Input``.

Calling a layer on a ``KerasTensor`` records a ``Node`` (layer, arguments, outputs) and
returns new ``KerasTensor``s whose shapes are inferred. Functional models replay the nodes
on real data. ``kcore.ops`` functions and Python operators applied to ``KerasTensor``s become
nodes too (an ``OpLayer`` per op), so ``x = inputs * 2`` works inside a Functional model.
"""

import itertools

import numpy as np

from kcore.backend import config
from kcore.backend import autodiff
from kcore.backend.autodiff import no_recording
from kcore.backend.tensor import Tensor
from kcore.layers import layer as layer_mod
from kcore.layers.layer import Layer, _iter_nested, structure_version
from kcore.ops._symbolic import public_op

_ids = itertools.count()


class KerasTensor:
    """A symbolic placeholder with a shape (``None`` for unknown sizes) and a dtype."""

    __array_ufunc__ = None
    # The symbolic mask (a boolean ``KerasTensor``) of a tensor made by a masking layer.
    _keras_mask = None

    def __init__(self, shape, dtype=None, name=None):
        self.symbolic_shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = config.standardize_dtype(dtype)
        self.name = name or f"keras_tensor_{next(_ids)}"
        self._keras_history = None

    @property
    def shape(self):
        return self.symbolic_shape

    @property
    def ndim(self):
        return len(self.symbolic_shape)

    def __array__(self, *args, **kwargs):
        raise TypeError(
            f"{self.name} is a symbolic KerasTensor (from kcore.Input): it has no value yet. "
            "Use it to build a Functional model, or call the model on real data."
        )

    def __len__(self):
        if self.symbolic_shape and self.symbolic_shape[0] is not None:
            return self.symbolic_shape[0]
        raise TypeError("len() of a KerasTensor with an unknown first dimension.")

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor cannot be used as a Python bool.")

    def __repr__(self):
        return f"<KerasTensor shape={self.symbolic_shape}, dtype={self.dtype}, name={self.name}>"

    __hash__ = object.__hash__

    def _op(self, name, *args):
        from kcore import ops

        return getattr(ops, name)(*args)

    def __add__(self, o): return self._op("add", self, o)
    def __radd__(self, o): return self._op("add", o, self)
    def __sub__(self, o): return self._op("subtract", self, o)
    def __rsub__(self, o): return self._op("subtract", o, self)
    def __mul__(self, o): return self._op("multiply", self, o)
    def __rmul__(self, o): return self._op("multiply", o, self)
    def __truediv__(self, o): return self._op("divide", self, o)
    def __rtruediv__(self, o): return self._op("divide", o, self)
    def __pow__(self, o): return self._op("power", self, o)
    def __matmul__(self, o): return self._op("matmul", self, o)
    def __rmatmul__(self, o): return self._op("matmul", o, self)
    def __neg__(self): return self._op("negative", self)
    def __abs__(self): return self._op("abs", self)
    def __rpow__(self, o): return self._op("power", o, self)
    def __floordiv__(self, o): return self._op("floor_divide", self, o)
    def __rfloordiv__(self, o): return self._op("floor_divide", o, self)
    def __mod__(self, o): return self._op("mod", self, o)
    def __rmod__(self, o): return self._op("mod", o, self)
    def __invert__(self): return self._op("logical_not", self)
    def __and__(self, o): return self._op("logical_and", self, o)
    def __rand__(self, o): return self._op("logical_and", o, self)
    def __or__(self, o): return self._op("logical_or", self, o)
    def __ror__(self, o): return self._op("logical_or", o, self)
    def __xor__(self, o): return self._op("logical_xor", self, o)
    def __rxor__(self, o): return self._op("logical_xor", o, self)
    # As Keras's KerasTensor: comparisons are ops, except `==`, which stays identity (a
    # symbolic tensor is hashed and compared as an object while a graph is built).
    def __ne__(self, o): return self._op("not_equal", self, o)
    def __lt__(self, o): return self._op("less", self, o)
    def __le__(self, o): return self._op("less_equal", self, o)
    def __gt__(self, o): return self._op("greater", self, o)
    def __ge__(self, o): return self._op("greater_equal", self, o)
    def __getitem__(self, key): return self._op("getitem", self, key)

    @property
    def T(self):
        return self._op("transpose", self)


class Node:
    """One call of a layer inside a graph: its arguments and the tensors it produced."""

    def __init__(self, layer, args, kwargs, outputs):
        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        self.outputs = outputs
        self.flat_outputs = [t for t in _iter_nested(outputs) if isinstance(t, KerasTensor)]
        self.input_tensors = [t for t in _iter_nested((args, kwargs)) if isinstance(t, KerasTensor)]

    @property
    def parent_nodes(self):
        out = []
        for t in self.input_tensors:
            layer, node_index, _ = t._keras_history
            out.append(layer._inbound_nodes[node_index])
        return out

    @property
    def is_input(self):
        return not self.input_tensors


def _dummy_shape(kt, subst):
    batch, other = subst
    return tuple((batch if i == 0 else other) if d is None else d
                 for i, d in enumerate(kt.symbolic_shape))


def _dummy(kt, subst):
    shape = _dummy_shape(kt, subst)
    if kt.dtype in ("string", "object"):  # text inputs: a dummy token
        return Tensor(np.full(shape, "a", dtype=object))
    dtype = np.dtype(kt.dtype)
    if dtype.kind in "iub":
        out = Tensor(np.zeros(shape, dtype))
    else:
        out = Tensor(np.full(shape, 0.1, dtype))
    if isinstance(kt._keras_mask, KerasTensor):
        # A masked symbolic tensor: its dummy carries an all-True mask, so that layers see
        # `mask=` (and compute their output masks) while the graph is built, as at run time.
        out._keras_mask = np.ones(_dummy_shape(kt._keras_mask, subst), bool)
    return out


def _replace(structure, fn):
    if isinstance(structure, KerasTensor):
        return fn(structure)
    if isinstance(structure, (list, tuple)):
        return type(structure)(_replace(s, fn) for s in structure)
    if isinstance(structure, dict):
        return {k: _replace(v, fn) for k, v in structure.items()}
    return structure


# (batch size, size of other unknown axes) for the two dry runs; axes whose output size
# differs between the runs are unknown. Unknown non-batch axes get larger, coprime sizes so
# that pooling or striding cannot map both runs to the same size by accident.
_DRY_RUN_SIZES = (((2, 13), (3, 17)), ((2, 16), (3, 24)), ((2, 2), (3, 3)))


def _snapshot_state(layer):
    """What a dry run could change: non-trainable weights and every random stream."""
    from kcore.backend import random as backend_random

    layers = layer._flatten_layers() if isinstance(layer, Layer) else []
    weights = [(v, v.value.copy()) for lay in layers for v in lay._own_weights()
               if not v.trainable]
    generators = [(g, g.initial_seed, g.get_state()) for lay in layers
                  for g in lay.__dict__.values() if isinstance(g, backend_random.SeedGenerator)]
    return weights, generators, backend_random.get_state(), structure_version()


def _restore_state(saved):
    from kcore.backend import random as backend_random

    weights, generators, global_state, version = saved
    for v, value in weights:
        v.value[...] = value
    for g, seed, state in generators:
        g.initial_seed = seed
        if state is None:
            g._generator = None
        else:
            g.set_state(state)
    if structure_version() == version:
        # Unless the run created weights (lazily built sub-layers: their initializers'
        # draws must stand, or the next model would get the same weights).
        backend_random.set_state(global_state)


def _dry_runs(layer, args, kwargs, sizes):
    results = []
    for subst in sizes:
        a = _replace(args, lambda kt: _dummy(kt, subst))
        k = _replace(kwargs, lambda kt: _dummy(kt, subst))
        results.append(Layer.__call__(layer, *a, **k) if isinstance(layer, Layer) else layer(*a, **k))
    return results


def infer_output_spec(layer, args, kwargs):
    """Output ``KerasTensor``s of ``layer(*args, **kwargs)``, inferred by two dry runs.

    The layer runs on small dummy arrays twice, with unknown sizes replaced by 2 and by 3
    (or 9 and 13 when the small sizes fail);
    output axes whose size differs between the runs are unknown (``None``).
    """
    depth = layer_mod.symbolic_depth.set(layer_mod.symbolic_depth.get() + 1)
    saved = _snapshot_state(layer)
    try:
        with no_recording():
            error = None
            for sizes in _DRY_RUN_SIZES:
                try:
                    results = _dry_runs(layer, args, kwargs, sizes)
                    break
                except Exception as e:  # e.g. a Reshape needing even lengths: next sizes
                    error = e
            else:
                raise error
    finally:
        layer_mod.symbolic_depth.reset(depth)
        _restore_state(saved)
    if isinstance(layer, Layer):
        layer._clear_losses()

    keeps_masks = getattr(layer, "supports_masking", True)

    def merge(r1, r2):
        if isinstance(r1, Tensor):
            shape = tuple(d1 if d1 == d2 else None for d1, d2 in zip(r1.shape, r2.shape))
            out = KerasTensor(shape, r1.dtype)
            m1, m2 = r1._keras_mask, r2._keras_mask
            # As Keras, the symbolic output of a layer without masking support (e.g. a
            # nested model) has no mask, whatever its inner layers did.
            if m1 is not None and m2 is not None and keeps_masks:
                m1, m2 = np.shape(getattr(m1, "value", m1)), np.shape(getattr(m2, "value", m2))
                out._keras_mask = KerasTensor(
                    tuple(d1 if d1 == d2 else None for d1, d2 in zip(m1, m2)), "bool")
            return out
        if isinstance(r1, (list, tuple)):
            return type(r1)(merge(a, b) for a, b in zip(r1, r2))
        if isinstance(r1, dict):
            return {key: merge(r1[key], r2[key]) for key in r1}
        if r1 is None:
            return None
        raise TypeError(f"Layer {getattr(layer, 'name', layer)!r} returned an unsupported "
                        f"output of type {type(r1).__name__}.")

    return merge(*results)


def symbolic_call(layer, args, kwargs):
    """Records ``layer(*args, **kwargs)`` on symbolic inputs as a graph node."""
    if not layer.built:
        layer._maybe_build(args, kwargs)
    if layer.input_spec is not None:
        from kcore.layers.input_spec import check_input_spec

        check_input_spec(layer, layer.input_spec, args[0])
    outputs = layer.compute_output_spec(*args, **kwargs)
    node_index = len(layer._inbound_nodes)
    node = Node(layer, args, kwargs, outputs)
    for i, t in enumerate(node.flat_outputs):
        t._keras_history = (layer, node_index, i)
        if layer.name:
            t.name = f"{layer.name}_{node_index}_{i}" if node_index or i else t.name
    layer._inbound_nodes.append(node)
    for parent in node.parent_nodes:
        parent.layer._outbound_nodes.append(node)
    for t in node.flat_outputs:
        if t._keras_mask is not None:
            _record_mask_of(t)
    return outputs


class _MaskOf(Layer):
    """The mask that a layer attached to a tensor; gives symbolic masks a place in the graph.

    ``x._keras_mask`` of a symbolic ``x`` is the output of this layer's node on ``x``, so a
    graph may pass it on explicitly (``layer(y, mask=x._keras_mask)``); when the model runs,
    the node reads the mask that the layer computed on the real ``x``.
    """

    _warn_on_dropped_mask = False

    def call(self, inputs):
        mask = inputs._keras_mask if isinstance(inputs, Tensor) else None
        if mask is None:
            raise ValueError(
                f"{self.name}: the tensor carries no mask at run time, although it had one "
                "when the model was built."
            )
        return mask if isinstance(mask, Tensor) else Tensor(np.asarray(mask))


def _record_mask_of(t):
    mask = t._keras_mask
    layer = _MaskOf.__new__(_MaskOf)
    Layer.__init__(layer, name=layer_mod.unique_name("mask_of"))
    layer.built = True
    node = Node(layer, (t,), {}, mask)
    mask._keras_history = (layer, 0, 0)
    layer._inbound_nodes.append(node)


class OpLayer(Layer):
    """A ``kcore.ops`` op applied to symbolic tensors inside a Functional model.

    Args:
        op_name: the primitive's name in ``kcore.backend.autodiff.PRIMITIVES`` (or
            ``NONDIFFERENTIABLE``), or with ``public=True`` the name of a public op in
            ``kcore.ops``.
        public: whether ``op_name`` names a public op.
        op_kwargs: keyword arguments given to the op on every call (a Keras op's
            constructor arguments, such as ``axis``, when the node came from a Keras file).
    """

    _warn_on_dropped_mask = False

    def __init__(self, op_name, public=False, op_kwargs=None, **kwargs):
        super().__init__(**kwargs)
        self.op_name = op_name
        self.public = bool(public)
        self.op_kwargs = dict(op_kwargs or {})
        if self.public:
            self._op = public_op(op_name)
        else:
            self._op = autodiff.PRIMITIVES.get(op_name) or autodiff.NONDIFFERENTIABLE.get(op_name)
        if self._op is None:
            raise ValueError(f"Unknown kcore op {op_name!r} in an OpLayer"
                             f"{' (public=True)' if self.public else ''}.")

    def call(self, *args, **kwargs):
        return self._op(*args, **self.op_kwargs, **kwargs)

    def get_config(self):
        cfg = super().get_config()
        cfg["op_name"] = self.op_name
        if self.public:
            cfg["public"] = True
        if self.op_kwargs:
            cfg["op_kwargs"] = dict(self.op_kwargs)
        return cfg


def _symbolic_op(op, args, kwargs):
    public = getattr(op, "public_op", None)
    name = public or op.__name__
    layer = OpLayer(name, public=public is not None,
                    name=layer_mod.unique_name(name.lstrip("_")))
    return layer(*args, **kwargs)


autodiff.set_symbolic_handler(KerasTensor, _symbolic_op)


class InputLayer(Layer):
    """The entry point of a Functional model; ``kcore.Input`` creates one.

    Args:
        shape: shape without the batch axis, e.g. ``(784,)``.
        batch_size: optional fixed batch size.
        dtype: input dtype (default ``floatx()``).
        batch_shape: full shape including the batch axis (instead of ``shape``).
        name: the input's name (used to match dict inputs).
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, ragged=None,
                 batch_shape=None, input_tensor=None, optional=False, name=None, **kwargs):
        if "batch_input_shape" in kwargs:  # tf.keras 2 configs
            batch_shape = kwargs.pop("batch_input_shape")
        kwargs.pop("input_shape", None)
        kwargs.pop("trainable", None)
        if sparse:
            raise ValueError("kcore has no sparse tensors; pass dense arrays (sparse=False).")
        if batch_shape is None:
            if shape is None:
                raise ValueError("InputLayer needs `shape` (without the batch axis) or `batch_shape`.")
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        super().__init__(name=name or layer_mod.unique_name("input_layer"), dtype=dtype, **kwargs)
        self._batch_shape = tuple(batch_shape)
        self.optional = optional
        self.built = True
        if input_tensor is not None:
            out = input_tensor
        else:
            out = KerasTensor(self._batch_shape, self._dtype, name=self.name)
        out._keras_history = (self, 0, 0)
        self._inbound_nodes.append(Node(self, (), {}, out))

    @property
    def batch_shape(self):
        return self._batch_shape

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {"batch_shape": list(self._batch_shape), "dtype": self._dtype, "sparse": False,
                "ragged": False, "name": self.name, "optional": self.optional}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, ragged=None, batch_shape=None,
          name=None, tensor=None, optional=False):
    """A symbolic input for a Functional model.

    Example:
        >>> inputs = kcore.Input(shape=(784,))
        >>> outputs = kcore.layers.Dense(10, activation="softmax")(inputs)
        >>> model = kcore.Model(inputs, outputs)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       batch_shape=batch_shape, name=name, input_tensor=tensor, optional=optional)
    return layer.output
