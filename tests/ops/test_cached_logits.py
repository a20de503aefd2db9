"""Cross-entropy on a softmax/sigmoid activation's output uses the cached logits (as Keras)."""

import numpy as np

import kcore
from kcore import activations, ops


def test_softmax_output_crossentropy_uses_logits_and_stays_finite():
    logits = ops.convert_to_tensor(np.array([[300.0, -300.0, 0.0], [1.0, 2.0, 3.0]], "float32"))
    target = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], "float32")
    probs = activations.softmax(logits)
    via_probs = ops.categorical_crossentropy(target, probs).numpy()
    via_logits = ops.categorical_crossentropy(target, logits, from_logits=True).numpy()
    np.testing.assert_allclose(via_probs, via_logits, rtol=1e-6)
    assert via_probs[0] == np.float32(600.0)  # clipped probabilities would give ~16.1
    sparse = ops.sparse_categorical_crossentropy(np.array([1, 2]), probs).numpy()
    np.testing.assert_allclose(sparse, via_logits, rtol=1e-6)


def test_gradient_flows_to_the_logits_as_softmax_minus_target():
    x = kcore.Variable(np.array([[0.5, -1.0, 2.0]], "float32"))
    target = np.array([[1.0, 0.0, 0.0]], "float32")
    with kcore.GradientTape() as tape:
        loss = ops.sum(ops.categorical_crossentropy(target, activations.softmax(x)))
    g = tape.gradient(loss, x).numpy()
    p = np.exp(x.numpy()) / np.exp(x.numpy()).sum()
    np.testing.assert_allclose(g, p - target, rtol=1e-5)


def test_sigmoid_output_binary_crossentropy_and_kind_mismatch():
    z = ops.convert_to_tensor(np.array([[40.0], [-40.0]], "float32"))
    t = np.array([[0.0], [1.0]], "float32")
    bce = ops.binary_crossentropy(t, activations.sigmoid(z)).numpy()
    np.testing.assert_allclose(bce, [[40.0], [40.0]], rtol=1e-6)
    # A softmax output fed to binary cross-entropy is not treated as sigmoid logits.
    two = activations.softmax(ops.convert_to_tensor(np.array([[1.0, 2.0]], "float32")))
    manual = ops.binary_crossentropy(np.array([[0.0, 1.0]], "float32"), two.numpy()).numpy()
    np.testing.assert_allclose(ops.binary_crossentropy(np.array([[0.0, 1.0]], "float32"),
                                                       two).numpy(), manual, rtol=1e-6)
