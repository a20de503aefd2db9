"""Replays the real-Keras layer fixtures (``tests/fixtures/keras/layers``) on kcore layers.

Each case holds a layer's Keras ``get_config()``, its inputs, the weights it was run with,
its outputs, the cotangents ``c`` and the gradients of ``L = sum_i sum(y_i * c_i)`` with
respect to the inputs and weights (see ``tests/fixtures/keras/README.md``). ``replay``
rebuilds the layer with ``from_config``, sets the weights, calls it as Keras did and
compares everything.
"""

import copy
import json
import pathlib

import numpy as np

import kcore
from kcore.backend.autodiff import GradientTape
from kcore.backend.tensor import Tensor

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "keras" / "layers"

# Which family (and so which engineer's module) each fixture class belongs to; used in skip
# reasons so that a missing layer points at its owner.
FAMILIES = {
    "core": {"Dense", "EinsumDense", "Embedding", "Activation"},
    "reshaping": {"Flatten", "Reshape", "Permute", "RepeatVector", "UpSampling1D", "UpSampling2D",
                  "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D"},
    "merging": {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
                "Dot"},
    "activation layers": {"ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax"},
    "convolution": {"Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
                    "Conv3DTranspose", "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D",
                    "DepthwiseConv2D"},
    "pooling": {"MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D",
                "AveragePooling2D", "AveragePooling3D", "GlobalMaxPooling1D",
                "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GlobalAveragePooling1D",
                "GlobalAveragePooling2D", "GlobalAveragePooling3D"},
    "recurrent": {"SimpleRNN", "LSTM", "GRU", "Bidirectional", "TimeDistributed"},
    "normalization": {"BatchNormalization", "LayerNormalization", "RMSNormalization",
                      "GroupNormalization", "UnitNormalization"},
    "attention": {"Attention", "MultiHeadAttention"},
}

# Looser tolerances where float32 rounding accumulates over long chains (as the README says).
_LOOSE = {"recurrent", "attention", "normalization"}


def family(class_name):
    for name, classes in FAMILIES.items():
        if class_name in classes:
            return name
    return "other"


def load_cases():
    with open(FIXTURES / "index.json") as f:
        return json.load(f)["cases"]


def layer_class(class_name):
    """The kcore layer class named ``class_name``, or ``None`` if kcore has none yet."""
    cls = getattr(kcore.layers, class_name, None)
    if cls is None:
        cls = _UNEXPORTED.get(class_name)
    return cls


def _unexported():
    # Layers written but not yet re-exported from kcore.layers (the lead wires exports);
    # looked up here only as a fallback, so exported classes always win.
    from kcore.layers import activations, core, einsum_dense, embedding, merging, reshaping

    table = {}
    for module in (activations, core, einsum_dense, embedding, merging, reshaping):
        for name, obj in vars(module).items():
            if isinstance(obj, type) and issubclass(obj, kcore.layers.Layer) and not name.startswith("_"):
                table[name] = obj
    return table


_UNEXPORTED = _unexported()


def tolerances(case):
    loose = family(case["class_name"]) in _LOOSE
    return {"outputs": dict(rtol=1e-5, atol=1e-5 if loose else 1e-6),
            "grads": dict(rtol=1e-4, atol=1e-5) if loose else dict(rtol=1e-5, atol=1e-5)}


def _flat(out):
    if isinstance(out, dict):
        return [o for k in sorted(out) for o in _flat(out[k])]
    if isinstance(out, (list, tuple)):
        return [o for item in out for o in _flat(item)]
    return [out]


def _call(layer, case, xs):
    kwargs = dict(case["call_kwargs"])
    style = case["call_style"]
    if style == "single":
        return layer(xs[0], **kwargs)
    if style == "list":
        return layer(list(xs), **kwargs)
    if style == "kwargs":
        names = case["input_names"]
        kwargs.update({names[i]: xs[i] for i in range(1, len(xs))})
        return layer(xs[0], **kwargs)
    raise ValueError(f"unknown call_style {style!r}")


def build_layer(case):
    cls = layer_class(case["class_name"])
    return cls.from_config(copy.deepcopy(case["config"]))


def replay(case):
    """Runs one fixture case and asserts kcore matches Keras; returns nothing."""
    data = np.load(FIXTURES / f"{case['case']}.npz")
    tol = tolerances(case)
    layer = build_layer(case)
    xs = [kcore.ops.convert_to_tensor(data[f"x{i}"]) for i in range(case["n_inputs"])]
    _call(layer, case, xs)  # builds the weights
    weights = [data[f"w{j}"] for j in range(case["n_weights"])]
    assert [tuple(v.shape) for v in layer.weights] == [tuple(s) for s in case["weight_shapes"]], (
        f"weight shapes {[tuple(v.shape) for v in layer.weights]} != Keras {case['weight_shapes']}")
    assert [v.path.split("/")[-1] for v in layer.weights] == [
        n.split("/")[-1] for n in case["weight_names"]], (
        f"weight names {[v.path for v in layer.weights]} != Keras {case['weight_names']}")
    layer.set_weights(weights)

    watched = [xs[i] for i in case["grad_inputs"]]
    variables = [layer.weights[j] for j in case["grad_weights"]]
    with GradientTape() as tape:
        # Non-trainable weights too: Keras's fixtures hold gradients for inference-mode
        # BatchNormalization's moving statistics, which a tape does not watch by itself.
        tape.watch(watched + variables)
        out = _call(layer, case, xs)
        outs = _flat(out)
        suffixes = [""] if not case["multi_output"] else [str(i) for i in range(len(outs))]
        assert len(outs) == case["n_outputs"], f"{len(outs)} outputs, Keras has {case['n_outputs']}"
        loss = None
        for o, sfx in zip(outs, suffixes):
            term = kcore.ops.sum(kcore.ops.multiply(o, data[f"c{sfx}"]))
            loss = term if loss is None else kcore.ops.add(loss, term)
    for o, sfx in zip(outs, suffixes):
        np.testing.assert_allclose(_np(o), data[f"y{sfx}"], **tol["outputs"],
                                   err_msg=f"{case['case']}: output y{sfx}")
    grads = tape.gradient(loss, watched + variables)
    labels = [f"gx{i}" for i in case["grad_inputs"]] + [f"gw{j}" for j in case["grad_weights"]]
    for g, label, src in zip(grads, labels, watched + variables):
        got = np.zeros(src.shape, np.float32) if g is None else _np(g)
        np.testing.assert_allclose(got, data[label], **tol["grads"],
                                   err_msg=f"{case['case']}: gradient {label}")
    if case["weights_after"]:
        for j, v in enumerate(layer.weights):
            np.testing.assert_allclose(v.numpy(), data[f"wa{j}"], **tol["outputs"],
                                       err_msg=f"{case['case']}: weight {j} after the call")
    if case["mask"]:
        mask = layer.compute_mask(xs[0], None)
        np.testing.assert_array_equal(np.asarray(_np(mask)), data["mask"],
                                      err_msg=f"{case['case']}: compute_mask")
        np.testing.assert_array_equal(np.asarray(outs[0]._keras_mask), data["mask"],
                                      err_msg=f"{case['case']}: output _keras_mask")


def _np(t):
    return np.asarray(t.value if isinstance(t, Tensor) else t)
