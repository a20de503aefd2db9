"""``clone_model``: a new model with the same architecture and freshly initialized weights."""

from kcore.layers.input_layer import Input, InputLayer, KerasTensor, _replace
from kcore.layers.layer import _iter_nested


def _clone_layer(layer):
    return layer.__class__.from_config(layer.get_config())


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs):
    """Clones a Sequential or Functional model: same graph, new layers, new weights.

    Args:
        model: the model to clone.
        input_tensors: optional new input(s) (from ``kcore.Input``) for the clone.
        clone_function: ``f(layer) -> layer`` making each new layer; by default
            ``layer.__class__.from_config(layer.get_config())``. Return the layer itself to
            share it (and its weights) with the original.
        call_function: ``f(layer, *args, **kwargs)`` calling each new layer in the graph
            (Functional models only); by default ``layer(*args, **kwargs)``.
        recursive: also apply ``clone_function`` inside nested Sequential/Functional models.

    Returns:
        The new, uncompiled model. A subclassed model is rebuilt from its ``get_config()``.

    Example:
        >>> twin = kcore.models.clone_model(model)
        >>> twin.set_weights(model.get_weights())
    """
    from kcore.models.functional import Functional
    from kcore.models.sequential import Sequential

    if kwargs:
        raise ValueError(f"clone_model: unknown argument(s) {sorted(kwargs)}.")
    fn = clone_function or _clone_layer
    if recursive:
        user_fn = fn

        def fn(layer):
            if isinstance(layer, (Sequential, Functional)):
                return clone_model(layer, clone_function=clone_function, recursive=True)
            return user_fn(layer)
    if isinstance(model, Sequential):
        return _clone_sequential(model, input_tensors, fn)
    if isinstance(model, Functional):
        return _clone_functional(model, input_tensors, fn, call_function)
    if input_tensors is not None or clone_function is not None or call_function is not None:
        raise ValueError(
            "Arguments clone_function, call_function and input_tensors are only supported for "
            f"Sequential and Functional models; {type(model).__name__} is subclassed."
        )
    return model.__class__.from_config(model.get_config())


def _clone_sequential(model, input_tensors, fn):
    from kcore.models.sequential import Sequential

    layers = [fn(layer) for layer in model.layers]
    if input_tensors is not None:
        tensors = list(_iter_nested(input_tensors))
        if len(tensors) != 1 or not isinstance(tensors[0], KerasTensor):
            raise ValueError("A Sequential model takes one input tensor (from kcore.Input), "
                             f"got {input_tensors!r}.")
        layers.insert(0, tensors[0]._keras_history[0])
    elif model._input_layer is not None:
        old = model._input_layer
        layers.insert(0, InputLayer(batch_shape=old.batch_shape, dtype=old.dtype, name=old.name))
    return Sequential(layers, name=model.name, trainable=model.trainable)


def _clone_functional(model, input_tensors, fn, call_function):
    from kcore.models.functional import Functional

    old_inputs = model.inputs
    if input_tensors is None:
        new_inputs = [Input(batch_shape=t.shape, dtype=t.dtype, name=t._keras_history[0].name)
                      for t in old_inputs]
    else:
        new_inputs = list(_iter_nested(input_tensors))
        if len(new_inputs) != len(old_inputs):
            raise ValueError(f"clone_model: the model has {len(old_inputs)} inputs, "
                             f"input_tensors has {len(new_inputs)}.")
    mapping = {id(old): new for old, new in zip(old_inputs, new_inputs)}
    clones = {}
    for node in model._execution_order:
        layer = node.layer
        if id(layer) not in clones:
            clones[id(layer)] = fn(layer)
        new_layer = clones[id(layer)]
        args = _replace(node.args, lambda t: mapping[id(t)])
        kwargs = _replace(node.kwargs, lambda t: mapping[id(t)])
        out = call_function(new_layer, *args, **kwargs) if call_function else new_layer(*args, **kwargs)
        for old, new in zip(node.flat_outputs, [t for t in _iter_nested(out) if isinstance(t, KerasTensor)]):
            mapping[id(old)] = new
    outputs = _replace(model._outputs_struct, lambda t: mapping[id(t)])
    by_old = dict(zip((id(t) for t in old_inputs), new_inputs))
    inputs = _replace(model._inputs_struct, lambda t: by_old[id(t)])
    return Functional(inputs, outputs, name=model.name, trainable=model.trainable)
