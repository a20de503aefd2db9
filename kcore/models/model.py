"""``Model``: a ``Layer`` that can be trained (compile/fit/evaluate/predict) and saved.

``kcore.Model(inputs, outputs)`` builds a ``Functional`` model; subclassing ``Model`` with
``__init__`` and ``call`` gives a subclassed model whose weights are created on first call.
"""


from kcore.layers.layer import Layer
from kcore.trainers.trainer import Trainer


_FUNCTIONAL_SUBCLASSES = {}


def functional_subclass(cls):
    """A class that is both ``cls`` (a Model subclass) and ``Functional``."""
    from kcore.models.functional import Functional

    if issubclass(cls, Functional):
        return cls
    sub = _FUNCTIONAL_SUBCLASSES.get(cls)
    if sub is None:
        sub = _FUNCTIONAL_SUBCLASSES[cls] = type(cls.__name__, (cls, Functional),
                                                 {"__module__": cls.__module__})
    return sub


def _is_functional_call(args, kwargs):
    # Keras's test: `Model(inputs, outputs)`, `Model(inputs, outputs=...)` or keywords.
    return (len(args) == 2 or ("inputs" in kwargs and "outputs" in kwargs)
            or (len(args) == 1 and "outputs" in kwargs))


class Model(Trainer, Layer):
    """A trainable, savable group of layers.

    Use it as ``kcore.Model(inputs, outputs)`` (Functional API) or subclass it:

    Example:
        >>> class MLP(kcore.Model):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = kcore.layers.Dense(32, activation="relu")
        ...         self.out = kcore.layers.Dense(10)
        ...     def call(self, inputs, training=None):
        ...         return self.out(self.hidden(inputs))

    A subclass becomes a Functional model only when inputs and outputs reach
    ``Model.__init__`` (``CustomModel(inputs, outputs)`` with an overridden ``train_step``,
    or ``super().__init__(inputs=..., outputs=...)`` in its own ``__init__``); the arguments
    of a subclass's own constructor (``VariationalAutoEncoder(784, 64, 32)``) are its own.
    """

    _keras_module = "keras"

    def __new__(cls, *args, **kwargs):
        if cls is Model and _is_functional_call(args, kwargs):
            from kcore.models.functional import Functional

            return Functional.__new__(Functional, *args, **kwargs)
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        if _is_functional_call(args, kwargs):
            from kcore.models.functional import Functional

            if not isinstance(self, Functional):
                # As Keras: a subclass that hands inputs/outputs to Model.__init__ is a
                # Functional model of the user's class (its train_step, call... win).
                object.__setattr__(self, "__class__", functional_subclass(type(self)))
            Functional.__init__(self, *args, **kwargs)
            return
        if args or "inputs" in kwargs or "outputs" in kwargs:
            raise TypeError(
                f"Model.__init__ received unexpected arguments {args!r} {sorted(kwargs)}: a "
                "Functional model needs both `inputs` and `outputs` (Model(inputs, outputs)); "
                "a subclassed Model takes only name=/trainable=/dtype= in super().__init__() "
                "and builds its computation in call()."
            )
        trainable = kwargs.pop("trainable", True)
        name = kwargs.pop("name", None)
        dtype = kwargs.pop("dtype", None)
        Layer.__init__(self, trainable=trainable, name=name, dtype=dtype, **kwargs)
        Trainer.__init__(self)

    # -- structure ----------------------------------------------------------------------
    @property
    def layers(self):
        """The model's direct sub-layers (for a Functional model, its graph's layers)."""
        return self._flatten_layers(include_self=False, recursive=False)

    def get_layer(self, name=None, index=None):
        """Returns a layer by name or by index in ``layers``."""
        if index is not None and name is not None:
            raise ValueError("Provide either `name` or `index` to get_layer, not both.")
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"get_layer: index {index} is out of range; the model has {len(layers)} layers."
                )
            return layers[index]
        if name is not None:
            for layer in layers:
                if layer.name == name:
                    return layer
            raise ValueError(
                f"No such layer: {name!r}. Existing layers are: {[l.name for l in layers]}."
            )
        raise ValueError("get_layer needs a layer `name` or an `index`.")

    def build(self, input_shape):
        """Builds a subclassed model by running it once on zeros of ``input_shape``."""
        if self.built:
            return
        from kcore.layers.input_layer import Input, KerasTensor

        self.built = True
        self._build_shapes = input_shape
        try:
            if isinstance(input_shape, dict):
                inputs = {k: Input(batch_shape=tuple(v)) for k, v in input_shape.items()}
            elif isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (list, tuple)):
                inputs = [Input(batch_shape=tuple(s)) for s in input_shape]
            else:
                inputs = Input(batch_shape=tuple(input_shape))
            self(inputs)
        except Exception:
            if type(self).call is Model.call:
                raise
            # Weights are created lazily on the first real call instead.
            pass

    def call(self, inputs, training=None, mask=None):
        raise NotImplementedError(
            f"Model {type(self).__name__} has no call() method. Subclassed models must implement "
            "call(self, inputs, training=None)."
        )

    # -- saving -------------------------------------------------------------------------
    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Saves architecture, weights, compile config and optimizer state (``.keras`` or ``.h5``)."""
        from kcore.saving import saving_api

        return saving_api.save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Saves the weights to ``.weights.h5`` (Keras 3 layout) or ``.h5`` (legacy layout)."""
        from kcore.saving import saving_api

        return saving_api.save_weights(self, filepath, overwrite=overwrite,
                                       max_shard_size=max_shard_size)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Loads weights from ``.weights.h5`` or legacy ``.h5`` (``by_name=`` for legacy)."""
        from kcore.saving import saving_api

        return saving_api.load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    # -- reporting ----------------------------------------------------------------------
    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Prints a table of layers, output shapes and parameter counts."""
        from kcore.models.summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable,
                      layer_range=layer_range)

    def get_config(self):
        cfg = {"name": self.name, "trainable": self.trainable}
        auto = getattr(self, "_auto_config", None)
        if auto is not None:
            cfg.update(auto)
            return cfg
        raise NotImplementedError(
            f"Model {type(self).__name__} is a subclassed model whose constructor arguments "
            "kcore cannot serialize automatically. Implement get_config() (and from_config() "
            "if needed), or save only its weights with save_weights()."
        )

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if "layers" in config and "input_layers" in config and "output_layers" in config:
            from kcore.models.functional import Functional
            from kcore.models.serialization import functional_from_config

            target = Functional if cls is Model else functional_subclass(cls)
            return functional_from_config(target, config, custom_objects)
        try:
            return cls(**config)
        except TypeError as e:
            raise TypeError(
                f"Unable to revive model {cls.__name__} from its config: {e}. Subclassed models "
                "need get_config()/from_config() that match their __init__ arguments."
            ) from None

    def to_json(self, **kwargs):
        """The model's architecture (and compile arguments) as Keras 3's JSON string."""
        from kcore.saving import saving_api

        return saving_api.model_to_json(self, **kwargs)
