"""Checks of what ``fit``/``evaluate``/``predict`` receive, made before anything runs.

Every check raises a ``ValueError``/``TypeError`` that says what was expected, what was
received and how to fix it — before the first step, so a rejected call leaves the model
exactly as it was. Only cheap, whole-array checks run here (dtypes, argument values, dict
keys, label and index ranges, validation shapes); per-batch checks live with the op that
needs them (sparse labels in ``sparse_categorical_crossentropy``, ids in ``Embedding``).

Where Keras 3 silently accepts a value that can only be a mistake (``batch_size=0`` becomes
32, ``epochs=-1`` trains nothing, unknown dict keys are dropped with a warning), kcore
raises instead; see ``docs/reliability.md``.
"""

import contextlib
import difflib
import numbers

import numpy as np

from kcore.backend.tensor import Tensor
from kcore.ops.nn import check_class_ids, ignored_labels
from kcore.trainers.data_adapters import is_array_data, unpack_x_y_sample_weight

_STRING_LAYERS = frozenset({"StringLookup", "TextVectorization", "Hashing"})
_NO_IGNORED = contextlib.nullcontext()


def check_fit(model, x, y, sample_weight, batch_size, epochs, steps_per_epoch,
              validation_split, validation_data, class_weight, initial_epoch,
              validation_steps, validation_batch_size, validation_freq):
    """Everything ``fit`` can check before its first step (arguments as ``fit``'s)."""
    _count(epochs, "epochs", minimum=0)
    _count(initial_epoch, "initial_epoch", minimum=0)
    _count(batch_size, "batch_size", allow_none=True)
    _count(steps_per_epoch, "steps_per_epoch", allow_none=True)
    _count(validation_steps, "validation_steps", allow_none=True)
    _count(validation_batch_size, "validation_batch_size", allow_none=True)
    if isinstance(validation_freq, numbers.Number):
        _count(validation_freq, "validation_freq")
    _fraction(validation_split)
    _class_weight(class_weight)
    _data(model, x, y, sample_weight, "fit")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            if is_array_data(validation_data) and not isinstance(validation_data, (tuple, list)):
                raise ValueError(
                    "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, "
                    f"val_sample_weight); received a single {type(validation_data).__name__}. "
                    "Pass validation_data=(x_val, y_val).")
        vx, vy, vsw = unpack_x_y_sample_weight(validation_data)
        if is_array_data(vx):
            _data(model, vx, vy, vsw, "fit (validation_data)")
            _validation_shapes(model, x, vx)


def check_evaluate(model, x, y, sample_weight, batch_size, steps):
    """Everything ``evaluate`` can check before its first batch."""
    _count(batch_size, "batch_size", allow_none=True)
    _count(steps, "steps", allow_none=True)
    _data(model, x, y, sample_weight, "evaluate")


def check_predict(model, x, batch_size, steps):
    """Everything ``predict`` can check before its first batch."""
    _count(batch_size, "batch_size", allow_none=True)
    _count(steps, "steps", allow_none=True)
    _data(model, x, None, None, "predict")


def labels_ignored_by_loss(model):
    """Context in which label checks skip the compiled losses' ``ignore_class`` values.

    Compiled sparse metrics see the same labels as the loss; a "void" label that the loss
    ignores (``ignore_class=-1`` or ``255``) must not be rejected by them.
    """
    compiled = getattr(model, "_compile_loss", None)
    values = tuple(getattr(fn, "ignore_class", None) for _, fn, _ in
                   getattr(compiled, "entries", ()) if getattr(fn, "ignore_class", None)
                   is not None)
    if not values:
        return _NO_IGNORED
    return _IgnoredLabels(values)


class _IgnoredLabels:
    def __init__(self, values):
        self.values = values

    def __enter__(self):
        self.token = ignored_labels.set(self.values)

    def __exit__(self, *exc):
        ignored_labels.reset(self.token)
        return False


# -- arguments -----------------------------------------------------------------------------
def _count(value, name, minimum=1, allow_none=False):
    if value is None and allow_none:
        return
    ok = isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, bool)
    if ok and value >= minimum:
        return
    what = f"an integer >= {minimum}" + (" or None" if allow_none else "")
    hint = {"batch_size": " (None means 32 for arrays)",
            "epochs": " (the index of the last epoch: fit trains range(initial_epoch, epochs))"
            }.get(name, "")
    error = ValueError if ok else TypeError
    example = {"epochs": 10, "initial_epoch": 0}.get(name, 32 if "batch" in name else 1)
    raise error(f"{name} must be {what}{hint}; received {value!r}. Pass e.g. {name}={example}.")


def _fraction(validation_split):
    ok = isinstance(validation_split, numbers.Real) and not isinstance(validation_split, bool)
    if ok and 0 <= validation_split < 1:
        return
    raise ValueError(
        f"validation_split must be a fraction in [0, 1) (the share of samples held out at "
        f"the end of the arrays); received {validation_split!r}. Pass e.g. "
        f"validation_split=0.2, or 0 for no validation.")


def _class_weight(class_weight):
    if class_weight is None:
        return
    if not isinstance(class_weight, dict):
        raise TypeError(
            f"class_weight must be a dict {{class index: weight}}; received "
            f"{type(class_weight).__name__}. Pass e.g. class_weight={{0: 1.0, 1: 5.0}}.")
    for key, weight in class_weight.items():
        integral = (isinstance(key, (numbers.Integral, np.integer)) or (
            isinstance(key, (numbers.Real, np.floating)) and float(key).is_integer())) and \
            not isinstance(key, bool)
        if not integral or key < 0:
            raise ValueError(
                f"class_weight keys must be class indices (integers >= 0); received key "
                f"{key!r}. Map the class names to their label indices first, e.g. "
                f"{{index_of[name]: w for name, w in weights.items()}}.")
        if not isinstance(weight, (numbers.Real, np.number)) or isinstance(weight, bool):
            raise TypeError(f"class_weight[{key!r}] must be a number; received {weight!r}.")


# -- data ----------------------------------------------------------------------------------
def _data(model, x, y, sample_weight, where):
    if x is None or not is_array_data(x) and not isinstance(x, (list, tuple, dict)):
        return  # generators and datasets are checked batch by batch where it matters
    _dict_keys(model, x, "input", _input_keys(model), where)
    if isinstance(y, dict):
        _dict_keys(model, y, "output", list(getattr(model, "output_names", None) or []), where)
    strings_ok = _accepts_strings(model)
    for role, struct in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        for leaf in _leaves(struct, role, where):
            _dtype(leaf, role, where, strings_ok and role == "x")
    if y is not None:
        _sparse_labels(model, y, where)
    _embedding_ids(model, x, where)


def _leaves(struct, role, where):
    if struct is None:
        return []
    if isinstance(struct, dict):
        return [a for v in struct.values() for a in _leaves(v, role, where)]
    if isinstance(struct, (list, tuple)):
        if struct and all(isinstance(v, (numbers.Number, str, bytes, list, tuple))
                          for v in struct) and _holds_scalars(struct):
            _nested_list(struct, role, where)
        return [a for v in struct for a in _leaves(v, role, where)]
    return [struct]


def _holds_scalars(struct):
    stack = list(struct)
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, (numbers.Number, str, bytes)):
            return True
    return False


def _nested_list(struct, role, where):
    try:
        shape = np.asarray(struct).shape
    except ValueError:
        raise ValueError(
            f"{where}: {role} is a ragged nested list (rows of different lengths); kcore "
            f"needs rectangular arrays. Pad the rows to one length first, e.g. "
            f"kcore.utils.pad_sequences({role}), then pass a numpy array.") from None
    raise ValueError(
        f"{where}: {role} is a nested Python list of numbers (shape {shape}); kcore reads "
        f"lists as one entry per model input or output. Pass np.asarray({role}) instead.")


def _dtype(leaf, role, where, strings_ok):
    value = leaf.value if isinstance(leaf, Tensor) else leaf
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        return
    kind = np.dtype(dtype).kind
    if kind in "US" and not strings_ok:
        fix = ("a vocabulary index, or a StringLookup layer at the model's input" if role == "x"
               else "class indices, e.g. np.unique(y, return_inverse=True)[1]")
        raise TypeError(
            f"{where}: {role} holds strings (dtype {dtype}); the model computes on numbers. "
            f"Encode them first ({fix}).")
    if kind == "O":
        raise TypeError(
            f"{where}: {role} is an object array (ragged or mixed content); kcore needs a "
            f"numeric array. Pad sequences to one length (kcore.utils.pad_sequences) and "
            f"convert with np.asarray(..., dtype='float32').")
    if kind == "c":
        raise TypeError(
            f"{where}: {role} is complex (dtype {dtype}); kcore models compute on real "
            f"numbers. Pass the real and imaginary parts as separate features, e.g. "
            f"np.concatenate([{role}.real, {role}.imag], axis=-1).")


def _input_keys(model):
    struct = getattr(model, "_inputs_struct", None)
    keys = list(struct) if isinstance(struct, dict) else []
    try:
        names = list(getattr(model, "input_names", None) or [])
    except Exception:  # an unbuilt model has no names yet
        names = []
    return keys + [n for n in names if n not in keys]


def _dict_keys(model, data, kind, expected, where):
    if not isinstance(data, dict) or not expected or not getattr(model, "inputs", None):
        return
    unknown = [k for k in data if k not in expected]
    if unknown:
        close = {k: difflib.get_close_matches(str(k), [str(e) for e in expected], 1)
                 for k in unknown}
        hints = "".join(f" Did you mean {c[0]!r} for {k!r}?" for k, c in close.items() if c)
        raise ValueError(
            f"{where}: model {model.name!r} has no {kind}(s) named {unknown}; its {kind}s are "
            f"{expected}.{hints} Remove or rename those keys.")
    struct = getattr(model, "_inputs_struct", None)
    needed = list(struct) if isinstance(struct, dict) else list(model.input_names)
    missing = [k for k in needed if k not in data and kind == "input"]
    if missing and not any(n in data for n in model.input_names if n not in needed):
        raise ValueError(
            f"{where}: the {kind} dict lacks {missing}; model {model.name!r} needs "
            f"{needed}. Add an array for each.")


def _accepts_strings(model):
    inputs = getattr(model, "inputs", None) or []
    if any(str(getattr(t, "dtype", "")) in ("string", "str", "object") for t in inputs):
        return True
    layers = model._flatten_layers() if hasattr(model, "_flatten_layers") else []
    return any(type(layer).__name__ in _STRING_LAYERS for layer in layers)


def _per_output(model, y):
    """``[(output index, array)]`` for array targets matched to outputs."""
    names = list(getattr(model, "output_names", None) or [])
    if isinstance(y, dict):
        return [(names.index(k), v) for k, v in y.items() if k in names]
    if isinstance(y, (list, tuple)) and len(names) > 1:
        return list(enumerate(y))
    return [(0, y)]


def _sparse_labels(model, y, where):
    compiled = getattr(model, "_compile_loss", None)
    outputs = getattr(model, "outputs", None)
    if compiled is None or not outputs:
        return
    specs = compiled.loss
    names = list(getattr(model, "output_names", None) or [])
    for index, labels in _per_output(model, y):
        spec = specs.get(names[index]) if isinstance(specs, dict) and index < len(names) else (
            specs[index] if isinstance(specs, (list, tuple)) and index < len(specs) else specs)
        if not _is_sparse(spec) or index >= len(outputs) or not isinstance(
                labels, (np.ndarray, Tensor)):
            continue
        n = outputs[index].shape[-1] if outputs[index].shape else None
        values = np.asarray(labels.value if isinstance(labels, Tensor) else labels)
        if n is None or values.dtype.kind not in "iuf" or values.size == 0:
            continue
        ignore = getattr(spec, "ignore_class", None)
        if ignore is not None:
            values = values[values != ignore]
        try:
            check_class_ids(values.astype(np.int64), n, "sparse_categorical_crossentropy")
        except ValueError as e:
            raise ValueError(f"{where}: {e} (Checked before training: the model is "
                             f"unchanged.)") from None


def _is_sparse(spec):
    name = spec if isinstance(spec, str) else (
        getattr(spec, "__name__", None) or type(spec).__name__)
    return "sparse_categorical_crossentropy" in str(name) or \
        type(spec).__name__ == "SparseCategoricalCrossentropy"


def _embedding_ids(model, x, where):
    """Checks ids of Embedding layers that read a model input directly, for all samples."""
    inputs = getattr(model, "inputs", None) or []
    flat_x = x if isinstance(x, (list, tuple)) else (
        [x[k] for k in _input_keys(model) if k in x] if isinstance(x, dict) else [x])
    if len(flat_x) != len(inputs):
        return
    for tensor, data in zip(inputs, flat_x):
        history = getattr(tensor, "_keras_history", None)
        if history is None:
            continue
        for node in getattr(history[0], "_outbound_nodes", []):
            layer = node.layer
            if type(layer).__name__ == "Embedding" and isinstance(data, (np.ndarray, Tensor)):
                layer.check_ids(np.asarray(data.value if isinstance(data, Tensor) else data),
                                where=where)


def _validation_shapes(model, x, vx):
    """``validation_data`` must fit the model's inputs as the training data does."""
    inputs = getattr(model, "inputs", None) or []
    flat = [a for a in _leaves(vx, "x_val", "fit")]
    train = [a for a in _leaves(x, "x", "fit")] if x is not None else []
    if not inputs or len(flat) != len(inputs):
        return
    for i, (tensor, val) in enumerate(zip(inputs, flat)):
        expected = tuple(tensor.shape)
        got = getattr(val, "shape", None)
        if got is None or _fits(expected, tuple(got)):
            continue
        trained = tuple(getattr(train[i], "shape", ())) if i < len(train) else None
        if trained is not None and not _fits(expected, trained):
            continue  # the model reshapes its inputs leniently: leave it to the model
        seen = f"; the training data has {trained}" if trained is not None else ""
        raise ValueError(
            f"fit: validation_data input {i} has shape {tuple(got)}, but model {model.name!r} "
            f"expects {expected}{seen}. Pass validation arrays shaped like the training "
            f"data (checked before the first epoch: nothing was trained).")


def _fits(expected, got):
    return len(expected) == len(got) and all(
        e is None or e == g for e, g in zip(expected[1:], got[1:]))
