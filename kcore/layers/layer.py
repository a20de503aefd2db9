"""The ``Layer`` base class: weights, build-on-first-call, input checks, masks, configs.

A layer is written as in Keras::

    class Linear(kcore.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

        def call(self, inputs):
            return kcore.ops.matmul(inputs, self.w)

Calling a layer on a symbolic ``KerasTensor`` (from ``kcore.Input``) records a graph node
instead of computing, which is how Functional models are built.
"""

import contextvars
import inspect
import re
import threading
import warnings

import numpy as np

from kcore import constraints as constraints_mod
from kcore import initializers as initializers_mod
from kcore import regularizers as regularizers_mod
from kcore.backend import config
from kcore.backend.autodiff import has_symbolic, no_recording
from kcore.backend import tensor as tensor_mod
from kcore.backend.tensor import Tensor, Variable
from kcore.layers.input_spec import InputSpec, check_input_spec
from kcore.metrics.metric import Metric

_names = {}
_names_lock = threading.Lock()
# Per thread and per async task (never module globals): the layers being called or built,
# innermost last (they give weights their paths), the `training` flag of each enclosing
# call, and how many symbolic builds (Functional dry runs) are in progress.
_scope_stack = contextvars.ContextVar("kcore_name_scope", default=())
_training_flags = contextvars.ContextVar("kcore_training", default=())
symbolic_depth = contextvars.ContextVar("kcore_symbolic_build", default=0)
# Bumped whenever any layer gains a sub-layer, a weight, or changes `trainable`; the cached
# layer/weight lists below are rebuilt only when it or a variable's trainable flag changed,
# so per-step weight queries cost nothing. (Mutating a list attribute in place after the
# layer is built is not seen: assign a new list.)
_structure_changes = [0]


def structure_version():
    """A number that changes whenever any layer's sub-layers, weights or trainable flags do."""
    return _structure_changes[0] + tensor_mod.trainable_flag_changes[0]


def bump_structure_version():
    """Invalidates every layer's cached sub-layer and weight lists."""
    _structure_changes[0] += 1
# Attributes that hold references but are not children to track.
_UNTRACKED = frozenset({"_inbound_nodes", "_outbound_nodes", "_call_signature", "_losses",
                        "_parent_names", "_build_shapes", "_input_spec", "_structure_cache",
                        "_layers_tracked", "_own_variables", "_initial_weights"})


def to_snake_case(name):
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
    return name


def unique_name(base):
    """``dense``, ``dense_1``, ``dense_2``... as Keras names layers."""
    with _names_lock:
        n = _names.get(base, 0)
        _names[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def clear_session():
    """Resets automatic layer names (``dense``, ``dense_1``, ...), as ``keras.backend.clear_session``."""
    with _names_lock:
        _names.clear()


def current_training():
    """The ``training`` flag of the innermost enclosing layer call (``None`` if none)."""
    stack = _training_flags.get()
    return stack[-1] if stack else None


def in_symbolic_build():
    """True inside a symbolic build (Functional dry run) in this thread / async task."""
    return symbolic_depth.get() > 0


def _dtype_name(dtype):
    if isinstance(dtype, dict):  # Keras 3 DTypePolicy config: only its name is read
        inner = dtype.get("config", {})
        if not isinstance(inner, dict):
            raise ValueError(f"Expected a dtype name or a DTypePolicy config such as "
                             f"{{'class_name': 'DTypePolicy', 'config': {{'name': 'float32'}}}}, "
                             f"got {str(dtype)[:200]}.")
        dtype = inner.get("name", None)
    if dtype is not None and hasattr(dtype, "name") and not isinstance(dtype, str):
        dtype = dtype.name
    if dtype in ("mixed_float16", "mixed_bfloat16"):
        dtype = "float32"
    return config.standardize_dtype(dtype)


class Layer:
    """Base class of every layer (and of ``Model``).

    Args:
        activity_regularizer: penalty on the layer's output, added to ``losses``.
        trainable: whether the layer's weights are updated by training.
        dtype: the layer's compute and variable dtype (default ``floatx()``).
        name: the layer's name; unique automatic names otherwise (``dense``, ``dense_1``).
    """

    _keras_module = "keras.layers"

    #: Attributes holding layers or variables as bookkeeping rather than as children; the
    #: weights walk of ``kcore.saving`` skips them. A subclass adds its own.
    _bookkeeping_attrs = _UNTRACKED

    def __new__(cls, *args, **kwargs):
        obj = super().__new__(cls)
        # Set before __init__ so that subclasses may assign attributes before super().__init__.
        object.__setattr__(obj, "_layers_tracked", [])
        object.__setattr__(obj, "_own_variables", [])
        return obj

    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None, autocast=True,
                 name=None, **kwargs):
        input_shape = kwargs.pop("input_shape", None)
        input_dim = kwargs.pop("input_dim", None)
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        batch_size = kwargs.pop("batch_size", None)
        weights = kwargs.pop("weights", None)
        kwargs.pop("input_length", None)
        if kwargs:
            raise TypeError(
                f"Unrecognized keyword argument(s) passed to {type(self).__name__}: "
                f"{sorted(kwargs)}."
            )
        if name is not None and (not isinstance(name, str) or "/" in name):
            raise ValueError(f"Layer name must be a string without '/', got {name!r}.")
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self._dtype = _dtype_name(dtype)
        self.autocast = autocast
        self.built = False
        # As Keras: a layer with its own compute_mask supports masking unless it says not.
        self.supports_masking = getattr(self, "supports_masking",
                                        type(self).compute_mask is not Layer.compute_mask)
        self._losses = []
        self._inbound_nodes = []
        self._outbound_nodes = []
        self._input_spec = None
        self._build_shapes = None
        self.activity_regularizer = regularizers_mod.get(activity_regularizer)
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            self._batch_input_shape = (batch_size,) + tuple(input_shape)
        elif input_dim is not None:
            self._batch_input_shape = (batch_size, input_dim)
        self._initial_weights = weights
        self._call_signature = inspect.signature(self.call)
        params = self._call_signature.parameters
        self._call_has_training = "training" in params
        self._call_has_mask = "mask" in params
        # `mask` and `<argument>_mask` parameters, which __call__ fills from the inputs' masks.
        self._call_mask_params = frozenset(
            name for name, p in params.items()
            if (name == "mask" or name.endswith("_mask"))
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))
        default = params["training"].default if self._call_has_training else None
        self._training_default = None if default is inspect.Parameter.empty else default

    # -- attribute tracking -------------------------------------------------------------
    def __setattr__(self, name, value):
        if isinstance(value, _TRACKED_KINDS) and name not in _UNTRACKED:
            _structure_changes[0] += 1
        if isinstance(value, Layer) and name not in _UNTRACKED and value is not self:
            tracked = self._layers_tracked
            if not any(value is t for t in tracked):
                tracked.append(value)
        elif isinstance(value, Variable) and name not in _UNTRACKED:
            own = self._own_variables
            if not any(value is v for v in own):
                own.append(value)
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        if isinstance(self.__dict__.get(name), _TRACKED_KINDS) and name not in _UNTRACKED:
            _structure_changes[0] += 1
        object.__delattr__(self, name)

    def _sublayers(self):
        """Direct child layers in assignment order: attributes, and inside lists/tuples/dicts."""
        found = []
        for key, value in self.__dict__.items():
            if key in _UNTRACKED:
                continue
            if isinstance(value, Layer):
                items = (value,)
            elif isinstance(value, (list, tuple, dict)):
                items = _iter_nested(value)
            else:
                continue
            for item in items:
                if isinstance(item, Layer) and item is not self and not any(item is f for f in found):
                    found.append(item)
        # Layers tracked but no longer reachable through an attribute stay tracked (Keras).
        for item in self._layers_tracked:
            if not any(item is f for f in found):
                found.append(item)
        return found

    def _cached(self, key, compute):
        cache = self.__dict__.get("_structure_cache")
        if cache is None or cache[0] != structure_version():
            cache = (structure_version(), {})
            object.__setattr__(self, "_structure_cache", cache)
        value = cache[1].get(key)
        if value is None:
            value = cache[1][key] = compute()
        return list(value)

    def _flatten_layers(self, include_self=True, recursive=True):
        return self._cached(("flat", include_self, recursive),
                            lambda: self._compute_flatten_layers(include_self, recursive))

    def _compute_flatten_layers(self, include_self, recursive):
        seen = set()
        out = []

        def visit(layer, is_root):
            if id(layer) in seen:
                return
            seen.add(id(layer))
            if include_self or not is_root:
                out.append(layer)
            if recursive or is_root:
                for child in layer._sublayers():
                    visit(child, False)

        visit(self, True)
        return out

    # -- properties ---------------------------------------------------------------------
    @property
    def dtype(self):
        return self._dtype

    @property
    def compute_dtype(self):
        return self._dtype

    @property
    def variable_dtype(self):
        return self._dtype

    @property
    def dtype_policy(self):
        return self._dtype

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        # As Keras: freezing a layer also freezes the variables it created trainable (and
        # unfreezing restores exactly those), so tapes and optimizers skip them.
        value = bool(value)
        for layer in self._flatten_layers():
            layer._trainable = value
            for v in layer._own_weights():
                if value and getattr(v, "_frozen_by_layer", False):
                    v.trainable = True
                    v._frozen_by_layer = False
                elif not value and v.trainable:
                    v.trainable = False
                    v._frozen_by_layer = True
        bump_structure_version()

    @property
    def input_spec(self):
        return self._input_spec

    @input_spec.setter
    def input_spec(self, value):
        self._input_spec = value
        self.__dict__.pop("_checked_shape", None)

    @property
    def path(self):
        return self.name

    def _single_node(self, what):
        nodes = self._inbound_nodes
        if not nodes:
            raise AttributeError(
                f"Layer {self.name!r} has never been called on a symbolic input, so it has no "
                f"{what}. Call it on a kcore.Input(...) tensor (Functional API) first."
            )
        if len(nodes) > 1:
            raise AttributeError(
                f"Layer {self.name!r} has been called {len(nodes)} times (it is shared), so its "
                f"{what} is ambiguous. Use the tensors returned by each call instead."
            )
        return nodes[0]

    @property
    def input(self):
        """The symbolic input(s) of the layer's single call in a Functional graph."""
        node = self._single_node("input")
        if not node.input_tensors:  # an InputLayer
            return node.outputs
        return node.args[0] if len(node.args) == 1 and not node.kwargs else node.input_tensors

    @property
    def output(self):
        """The symbolic output(s) of the layer's single call in a Functional graph."""
        return self._single_node("output").outputs

    def _own_weights(self):
        own = list(self._own_variables)
        for key, value in self.__dict__.items():
            if key in _UNTRACKED:
                continue
            if isinstance(value, (list, tuple, dict)):
                for item in _iter_nested(value):
                    if isinstance(item, Variable) and not any(item is v for v in own):
                        own.append(item)
        return own

    @property
    def weights(self):
        """All weights: this layer's own, then each child layer's, in tracking order."""
        return self._cached("weights", self._compute_weights)

    def _compute_weights(self):
        out, seen = [], set()
        for layer in self._flatten_layers():
            for v in layer._own_weights():
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
        return out

    @property
    def variables(self):
        return self.weights

    @property
    def trainable_weights(self):
        return self._cached("trainable_weights", self._compute_trainable_weights)

    def _compute_trainable_weights(self):
        if not self.trainable:
            return []
        out, seen = [], set()
        for layer in self._flatten_layers():
            if not layer._trainable:
                continue
            for v in layer._own_weights():
                if v.trainable and id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
        return out

    @property
    def non_trainable_weights(self):
        trainable = {id(v) for v in self.trainable_weights}
        return [v for v in self.weights if id(v) not in trainable]

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def get_weights(self):
        """Copies of the weights as numpy arrays, in ``weights`` order."""
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights):
        """Sets the weights from a list of arrays in ``weights`` order."""
        params = self.weights
        if len(params) != len(weights):
            raise ValueError(
                f"Layer {self.name!r} expects {len(params)} weight arrays, but received "
                f"{len(weights)}. Weight names: {[v.path for v in params]}."
            )
        for v, w in zip(params, weights):
            w = np.asarray(w)
            if w.shape != v.shape:
                raise ValueError(
                    f"Layer {self.name!r} weight {v.path!r} has shape {v.shape}, but the "
                    f"provided array has shape {w.shape}."
                )
        for v, w in zip(params, weights):
            v.assign(w)

    def count_params(self):
        """The number of scalars in all weights."""
        if not self.built and not self.weights:
            raise ValueError(
                f"Layer {self.name!r} is not built yet, so its parameters cannot be counted. "
                "Call it on data or call build(input_shape) first."
            )
        return int(sum(int(np.prod(v.shape)) for v in self.weights))

    # -- weights ------------------------------------------------------------------------
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                   regularizer=None, constraint=None, aggregation="none", name=None):
        """Creates a weight tracked by this layer.

        Args:
            shape: the weight's shape (default scalar).
            initializer: name or initializer; defaults to ``"glorot_uniform"`` for floats
                and ``"zeros"`` otherwise, as in Keras.
            dtype: defaults to the layer's dtype.
            trainable: whether it is trained.
            regularizer: penalty added to ``losses``.
            constraint: projection applied after each optimizer update.
            name: the weight's name; its ``path`` is ``"<layer>/<name>"``.
        """
        shape = () if shape is None else tuple(int(s) for s in shape)
        dtype = _dtype_name(dtype) if dtype is not None else self._dtype
        if initializer is None:
            initializer = "glorot_uniform" if np.dtype(dtype).kind == "f" else "zeros"
        init = initializers_mod.get(initializer)
        var = Variable(init, shape=shape, dtype=dtype, trainable=trainable, autocast=autocast,
                       aggregation=aggregation, name=name or "variable")
        scope = _scope_stack.get()
        if not scope or scope[-1] is not self:
            scope = scope + (self,)
        var.path = "/".join(l.name for l in scope) + "/" + var.name
        var.regularizer = regularizers_mod.get(regularizer)
        var.constraint = constraints_mod.get(constraint)
        self._own_variables.append(var)
        bump_structure_version()
        return var

    def add_variable(self, shape, initializer, dtype=None, trainable=True, autocast=True,
                     regularizer=None, constraint=None, name=None):
        """Alias of ``add_weight`` with Keras 3's ``add_variable`` argument order."""
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype,
                               trainable=trainable, autocast=autocast, regularizer=regularizer,
                               constraint=constraint, name=name)

    # -- losses -------------------------------------------------------------------------
    def add_loss(self, loss):
        """Adds a loss tensor (e.g. an activity penalty) to be added to the training loss."""
        if not in_symbolic_build():
            self._losses.append(loss)

    @property
    def losses(self):
        """Losses added during the last call plus weight-regularization penalties."""
        out = []
        for layer in self._flatten_layers():
            if layer._losses:
                out.extend(layer._losses)
        for v in self._cached("regularized", lambda: [
                v for v in self.trainable_weights if v.regularizer is not None]):
            out.append(v.regularizer(v))
        return out

    def _clear_losses(self):
        for layer in self._flatten_layers():
            if layer._losses:
                layer._losses = []

    # -- build / call -------------------------------------------------------------------
    def build(self, input_shape):
        """Creates the weights for inputs of ``input_shape``; the default creates none."""
        self.built = True

    def build_from_config(self, config):
        """Builds from ``get_build_config()`` output (``input_shape`` or ``shapes_dict``)."""
        if not config or self.built:
            return
        if config.get("shapes_dict"):
            shapes = {k: _to_shape_tuple(v) for k, v in config["shapes_dict"].items()}
            with _NameScope(self):
                self.build(**shapes)
            self.built = True
            self._build_shapes_dict = shapes
            self._build_shapes = next(iter(shapes.values()))
        elif config.get("input_shape") is not None:
            self._build_with_shapes(_to_shape_tuple(config["input_shape"]))

    def get_build_config(self):
        """The shapes the layer was built with (Keras's ``build_config``)."""
        shapes_dict = getattr(self, "_build_shapes_dict", None)
        if shapes_dict and len(shapes_dict) > 1:
            return {"shapes_dict": {k: _shape_to_list(v) for k, v in shapes_dict.items()}}
        if self._build_shapes is not None:
            return {"input_shape": _shape_to_list(self._build_shapes)}
        return None

    def call(self, inputs, *args, **kwargs):
        """The layer's computation; the default returns its inputs."""
        return inputs

    def compute_output_shape(self, *args, **kwargs):
        """Output shape for input shapes; by default inferred by running the layer on dummies."""
        raise NotImplementedError

    def compute_output_spec(self, *args, **kwargs):
        from kcore.layers.input_layer import infer_output_spec

        return infer_output_spec(self, args, kwargs)

    def compute_mask(self, inputs, previous_mask=None):
        """The output mask; by default the input mask passes through masking-aware layers."""
        if not self.supports_masking:
            return None
        return previous_mask

    def _build_with_shapes(self, shapes, first_arg_shape=None):
        with _NameScope(self):
            self.build(shapes)
        self.built = True
        self._build_shapes = shapes
        if getattr(self, "_initial_weights", None) is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def __call__(self, *args, **kwargs):
        if not args:
            raise TypeError(f"Layer {self.name!r} was called without inputs.")
        first = args[0]
        # Fast path: a plain tensor and at most `training`/`mask` keywords is never symbolic.
        if not (type(first) is Tensor and len(args) == 1 and kwargs.keys() <= _PLAIN_KWARGS) \
                and has_symbolic(args, kwargs):
            from kcore.layers.input_layer import symbolic_call

            return symbolic_call(self, args, kwargs)
        dtype = self._dtype if self.autocast else None
        first = _to_tensors(first, dtype)
        if len(args) > 1:
            args = (first,) + tuple(_to_tensors(a, dtype) if _is_array_like(a) else a
                                    for a in args[1:])
        else:
            args = (first,)
        for key, value in kwargs.items():
            if key not in _PLAIN_KWARGS and _is_array_like(value):
                kwargs[key] = _to_tensors(value, dtype)
        if not self.built:
            self._maybe_build(args, kwargs)
        if self._input_spec is not None:
            shape = first.value.shape if type(first) is Tensor else None
            if shape is None or shape != self.__dict__.get("_checked_shape"):
                check_input_spec(self, self._input_spec, first)
                object.__setattr__(self, "_checked_shape", shape)
        training = kwargs.get("training", None)
        if self._call_has_training:
            if training is None:
                training = current_training()
            if training is None:
                training = self._training_default
            kwargs["training"] = training
        elif "training" in kwargs:
            kwargs.pop("training")
        if self._call_mask_params:
            self._populate_masks(args, kwargs)
        # As Keras: the `mask` argument is the previous mask; otherwise the first input's.
        previous_mask = kwargs.get("mask")
        if previous_mask is None:
            previous_mask = _collect_mask(first)
        stack = _training_flags.get()
        if not stack and not in_symbolic_build():
            # The outermost call starts fresh: losses added by earlier calls are dropped.
            self._clear_losses()
        token = _training_flags.set(
            stack + (training if training is not None else (stack[-1] if stack else None),))
        try:
            with _NameScope(self):
                outputs = self.call(*args, **kwargs)
        finally:
            _training_flags.reset(token)
        if self.activity_regularizer is not None and not in_symbolic_build():
            for out in _iter_nested(outputs):
                if isinstance(out, Tensor):
                    self.add_loss(self.activity_regularizer(out))
        if self.supports_masking:
            self._set_output_mask(first, outputs, previous_mask, kwargs)
        elif previous_mask is not None and self._warn_on_dropped_mask and any(
                m is not None for m in _iter_nested(previous_mask)):
            warnings.warn(
                f"Layer {self.name!r} ({type(self).__name__}) received an input that carries "
                "a mask, but it does not support masking (supports_masking=False), so its "
                "output has no mask and the layers after it do not see one. Set "
                "supports_masking = True in the layer's __init__ if it keeps the time steps, "
                "or implement compute_mask().", stacklevel=2)
        return outputs

    # Layers that are no layers for the user (ops on symbolic tensors) drop masks silently.
    _warn_on_dropped_mask = True

    def _populate_masks(self, args, kwargs):
        """Fills ``mask=`` (one tensor argument) or ``<argument>_mask=`` (several) from the
        masks the tensor arguments carry, as Keras does, unless given."""
        params = self._call_mask_params
        if len(args) == 1 and kwargs.keys() <= _PLAIN_KWARGS and kwargs.get("mask") is None:
            if "mask" in params:  # the common case: one input
                mask = _collect_mask(args[0])
                if mask is not None:
                    kwargs["mask"] = mask
            return
        try:
            bound = self._call_signature.bind(*args, **kwargs).arguments
        except TypeError:
            return  # call() itself reports the bad arguments
        kinds = self._call_signature.parameters
        tensors = {name: value for name, value in bound.items()
                   if kinds[name].kind not in (kinds[name].VAR_POSITIONAL, kinds[name].VAR_KEYWORD)
                   and _is_tensor_argument(value)}
        if len(tensors) == 1:
            targets = {"mask": next(iter(tensors.values()))}
        else:
            targets = {f"{name}_mask": value for name, value in tensors.items()}
        for key, value in targets.items():
            if key in params and bound.get(key) is None:
                mask = _collect_mask(value)
                if mask is not None:
                    kwargs[key] = mask

    def _set_output_mask(self, inputs, outputs, previous_mask, kwargs):
        if previous_mask is None and type(self).compute_mask is Layer.compute_mask:
            return
        flat = [o for o in _iter_nested(outputs) if isinstance(o, Tensor)]
        if flat and all(o._keras_mask is not None for o in flat):
            return  # call() set the masks itself (or returned masked inputs), as in Keras
        mask = self.compute_mask(inputs, previous_mask)
        if mask is None:
            return
        if isinstance(outputs, Tensor):
            if outputs._keras_mask is None:
                outputs._keras_mask = _mask_value(mask)
        elif isinstance(outputs, (list, tuple)):
            # One mask for several outputs belongs to the first (e.g. MHA's output, not
            # its attention scores; an RNN's sequence, not its states).
            masks = mask if isinstance(mask, (list, tuple)) else [mask] + [None] * (len(outputs) - 1)
            for out, m in zip(outputs, masks):
                if isinstance(out, Tensor) and m is not None and out._keras_mask is None:
                    out._keras_mask = _mask_value(m)

    def _maybe_build(self, args, kwargs):
        first = args[0]
        shapes = _shapes_of(first)
        # Layers whose build takes several shapes (e.g. attention: query, value) get each.
        build_params = [p for p in inspect.signature(self.build).parameters.values()
                        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if len(build_params) > 1:
            extra = []
            for p in build_params[1:]:
                name = p.name.replace("_shape", "")
                value = kwargs.get(name)
                if value is None:
                    idx = build_params.index(p)
                    value = args[idx] if idx < len(args) else None
                extra.append(None if value is None else _shapes_of(value))
            with _NameScope(self):
                self.build(shapes, *extra)
            self.built = True
            self._build_shapes = shapes
            self._build_shapes_dict = {p.name: s for p, s in zip(build_params, [shapes] + extra)
                                       if s is not None}
            if getattr(self, "_initial_weights", None) is not None:
                self.set_weights(self._initial_weights)
                self._initial_weights = None
        else:
            self._build_with_shapes(shapes, shapes)

    # -- config -------------------------------------------------------------------------
    def get_config(self):
        """The constructor arguments as a JSON-able dict."""
        cfg = {"name": self.name, "trainable": self.trainable,
               "dtype": {"module": "keras", "class_name": "DTypePolicy",
                         "config": {"name": self._dtype}, "registered_name": None}}
        batch_shape = getattr(self, "_batch_input_shape", None)
        if batch_shape is not None:
            cfg["batch_input_shape"] = list(batch_shape)
        return cfg

    @classmethod
    def from_config(cls, config):
        """Creates a layer from ``get_config()`` output."""
        config = dict(config)
        try:
            return cls(**config)
        except TypeError as e:
            raise TypeError(
                f"Could not create {cls.__name__} from its config: {e}. A custom layer must "
                "implement get_config() returning its constructor arguments."
            ) from None

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    # Layers are compared by identity; `in` on lists of layers must not call ops.
    __hash__ = object.__hash__

    def __eq__(self, other):
        return self is other


# Attribute values that change what a layer tracks (its sub-layers, weights, metrics):
# setting or deleting one invalidates the cached lists built from them.
_TRACKED_KINDS = (Layer, Variable, Metric, list, tuple, dict)

_PLAIN_KWARGS = frozenset({"training", "mask"})


def _is_array_like(value):
    return isinstance(value, (Tensor, np.ndarray)) or (
        isinstance(value, (list, tuple)) and value and
        all(isinstance(v, (Tensor, np.ndarray)) for v in value))


class _NameScope:
    """Puts a layer on the scope stack that gives weights their ``path`` (``model/dense/kernel``)."""

    def __init__(self, layer):
        self.layer = layer

    def __enter__(self):
        stack = _scope_stack.get()
        self.token = None
        if not stack or stack[-1] is not self.layer:
            self.token = _scope_stack.set(stack + (self.layer,))

    def __exit__(self, *exc):
        if self.token is not None:
            _scope_stack.reset(self.token)
        return False


def _iter_nested(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _iter_nested(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _iter_nested(v)
    else:
        yield value


def _to_tensors(x, dtype):
    if isinstance(x, Tensor):
        if dtype is not None and x.value.dtype.kind == "f" and x.value.dtype != dtype:
            from kcore import ops

            cast = ops.cast(x, dtype)
            cast._keras_mask = x._keras_mask
            return cast
        return x
    if isinstance(x, (list, tuple)):
        return type(x)(_to_tensors(v, dtype) for v in x)
    if isinstance(x, dict):
        return {k: _to_tensors(v, dtype) for k, v in x.items()}
    if x is None:
        return None
    arr = np.asarray(x)
    if arr.dtype.kind == "f" and dtype is not None and arr.dtype != dtype:
        arr = arr.astype(dtype)
    elif arr.dtype == np.float64:
        arr = arr.astype(config.floatx())
    return Tensor(arr)


def _shapes_of(x):
    if isinstance(x, (list, tuple)) and not (x and isinstance(x[0], (int, type(None)))):
        return [_shapes_of(v) for v in x]
    if isinstance(x, dict):
        return {k: _shapes_of(v) for k, v in x.items()}
    return tuple(np.shape(x.value if isinstance(x, Tensor) else x)) if not hasattr(x, "symbolic_shape") \
        else x.symbolic_shape


def _is_tensor_argument(value):
    if isinstance(value, (Tensor, np.ndarray)):
        return True
    if isinstance(value, (list, tuple)) and value:
        flat = list(_iter_nested(value))
        return all(v is None or isinstance(v, (Tensor, np.ndarray)) for v in flat) and \
            any(v is not None for v in flat)
    return False


def _collect_mask(x):
    if isinstance(x, Tensor):
        return x._keras_mask
    if isinstance(x, (list, tuple)):
        masks = [_collect_mask(v) for v in x]
        return None if all(m is None for m in masks) else masks
    return None


def _mask_value(mask):
    return mask.value if isinstance(mask, Tensor) else mask


def _to_shape_tuple(shape):
    if isinstance(shape, dict):
        return {k: _to_shape_tuple(v) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple, dict)):
        return [_to_shape_tuple(s) for s in shape]
    return tuple(shape)


def _shape_to_list(shape):
    if isinstance(shape, dict):
        return {k: _shape_to_list(v) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple, dict)):
        return [_shape_to_list(s) for s in shape]
    return list(shape)


__all__ = ["Layer", "InputSpec", "clear_session"]
