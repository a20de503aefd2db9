"""``Sequential``: a plain stack of layers, each with one input and one output."""

from kcore.layers.input_layer import Input, InputLayer, KerasTensor
from kcore.layers.layer import Layer, bump_structure_version
from kcore.models.model import Model


class Sequential(Model):
    """A linear stack of layers.

    Args:
        layers: the layers, in order (an ``kcore.Input(...)`` or ``InputLayer`` may come first).
        trainable: whether the model's weights are trainable.
        name: the model's name.

    Example:
        >>> model = kcore.Sequential([kcore.Input((784,)), kcore.layers.Dense(10)])
        >>> model.add(kcore.layers.Activation("softmax"))
    """

    _bookkeeping_attrs = Model._bookkeeping_attrs | frozenset({"_stack", "_input_layer", "_graph"})

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._stack = []
        self._input_layer = None
        self._graph = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_rebuild()

    def add(self, layer, rebuild=True):
        """Appends a layer (or an ``Input``) to the stack."""
        if isinstance(layer, KerasTensor):
            layer = layer._keras_history[0]
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential.add expects a kcore layer, got {type(layer).__name__}: {layer!r}."
            )
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError("Sequential: an Input/InputLayer can only be the first layer.")
            self._input_layer = layer
        else:
            if any(l.name == layer.name for l in self._stack):
                raise ValueError(
                    f"All layers added to a Sequential model should have unique names. Name "
                    f"{layer.name!r} is already the name of a layer in this model. Pass name= "
                    "to tell them apart."
                )
            self._stack.append(layer)
        bump_structure_version()
        self.built = False
        if rebuild:
            self._maybe_rebuild()

    def pop(self, rebuild=True):
        """Removes and returns the last layer."""
        if not self._stack:
            raise TypeError("There are no layers in the model.")
        layer = self._stack.pop()
        bump_structure_version()
        self.built = False
        if rebuild:
            self._maybe_rebuild()
        return layer

    def _sublayers(self):
        return list(self._stack)

    @property
    def layers(self):
        return list(self._stack)

    def _maybe_rebuild(self):
        self._graph = None
        if self._input_layer is not None:
            batch_shape = self._input_layer.batch_shape
        elif self._stack and getattr(self._stack[0], "_batch_input_shape", None) is not None:
            batch_shape = self._stack[0]._batch_input_shape
        else:
            return
        if not self._stack:
            return
        self._build_graph(batch_shape)

    def _build_graph(self, batch_shape):
        from kcore.models.functional import Functional

        if self._input_layer is None:
            dtype = getattr(self._stack[0], "_dtype", None)
            self._input_layer = Input(batch_shape=batch_shape, dtype=dtype)._keras_history[0]
        x = self._input_layer.output
        from kcore.layers.layer import _NameScope

        with _NameScope(self):
            for layer in self._stack:
                x = layer(x)
        self._graph = Functional(self._input_layer.output, x, name=self.name)
        self._build_shapes = tuple(batch_shape)
        self.built = True

    def build(self, input_shape=None):
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError("Sequential.build needs an input_shape, or an Input first layer.")
            input_shape = self._input_layer.batch_shape
        if not self.built:
            self._build_graph(tuple(input_shape))

    def call(self, inputs, training=None, mask=None):
        if isinstance(inputs, (list, tuple)):
            if len(inputs) != 1:
                raise ValueError(
                    f"Sequential model {self.name!r} expects 1 input, but it received "
                    f"{len(inputs)} input arrays. Pass a single array (or use the Functional "
                    "API for several inputs)."
                )
            inputs = inputs[0]
        x = inputs
        if mask is not None and hasattr(x, "_keras_mask"):
            x._keras_mask = getattr(mask, "value", mask)
        for layer in self._stack:
            x = layer(x)
        return x

    # Symbolic shapes for summary(), saving and plugins.
    @property
    def inputs(self):
        return self._graph.inputs if self._graph is not None else None

    @property
    def outputs(self):
        return self._graph.outputs if self._graph is not None else None

    @property
    def input_shape(self):
        return self._graph.input_shape if self._graph is not None else None

    @property
    def output_shape(self):
        return self._graph.output_shape if self._graph is not None else None

    @property
    def input_names(self):
        return self._graph.input_names if self._graph is not None else ["input_layer"]

    @property
    def output_names(self):
        return [self._stack[-1].name] if self._stack else []

    def get_config(self):
        from kcore.backend.serialization import serialize_keras_object

        layers = []
        if self._input_layer is not None:
            layers.append(serialize_keras_object(self._input_layer))
        for layer in self._stack:
            cfg = serialize_keras_object(layer)
            build = layer.get_build_config() if hasattr(layer, "get_build_config") else None
            if build:
                cfg["build_config"] = build
            layers.append(cfg)
        cfg = {"name": self.name, "trainable": self.trainable,
               "dtype": {"module": "keras", "class_name": "DTypePolicy",
                         "config": {"name": self._dtype}, "registered_name": None},
               "layers": layers}
        if self._build_shapes is not None:
            cfg["build_input_shape"] = list(self._build_shapes)
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kcore.models.serialization import deserialize_layer

        if isinstance(config, list):  # very old Keras: a bare list of layers
            config = {"layers": config}
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_cfg in config.get("layers", []):
            model.add(deserialize_layer(layer_cfg, custom_objects), rebuild=False)
        model._maybe_rebuild()
        if not model.built and config.get("build_input_shape"):
            model.build(tuple(config["build_input_shape"]))
        return model
