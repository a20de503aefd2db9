"""Behaviour of the recurrent layers beyond the generic harness.

The fused layers (``SimpleRNN``/``LSTM``/``GRU`` on ``kcore.ops.recurrent``) are checked
against the step-by-step path (``RNN(cell)`` with the same weights, through ``kcore.ops``)
for masks, ``go_backwards``, states and gradients; plus stateful RNNs, initial states,
dropout, wrappers and configs.
"""

import numpy as np
import pytest

import kcore
from kcore import ops
from kcore.backend.autodiff import GradientTape
from kcore.layers import recurrent as R
from kcore.layers.core import Masking
from kcore.layers.embedding import Embedding

RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 5, 4)).astype("float32")
# Trailing padding, leading padding, and a fully masked row.
MASK = np.array([[1, 1, 1, 0, 0], [0, 0, 1, 1, 0], [0, 0, 0, 0, 0]], dtype=bool)

FUSED = {
    "SimpleRNN": (R.SimpleRNN, R.SimpleRNNCell, {}),
    "LSTM": (R.LSTM, R.LSTMCell, {}),
    "GRU": (R.GRU, R.GRUCell, {}),
    "GRU-reset-before": (R.GRU, R.GRUCell, {"reset_after": False}),
}


def _pair(name, units=3, **rnn_kwargs):
    """A fused layer and an ``RNN(cell)`` twin with the same weights."""
    layer_cls, cell_cls, cell_kwargs = FUSED[name]
    fused = layer_cls(units, **cell_kwargs, **rnn_kwargs)
    generic = R.RNN(cell_cls(units, **cell_kwargs), **rnn_kwargs)
    fused(X)
    generic(X)
    weights = [RNG.normal(scale=0.5, size=w.shape).astype("float32") for w in fused.get_weights()]
    fused.set_weights(weights)
    generic.set_weights(weights)
    return fused, generic


def _outputs_and_grads(layer, mask=None, initial_state=None):
    x = ops.convert_to_tensor(X)
    with GradientTape() as tape:
        tape.watch(x)
        out = layer(x, mask=mask, initial_state=initial_state)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        loss = sum(ops.sum(o * np.cos(np.arange(o.size).reshape(o.shape))) for o in outs)
    grads = tape.gradient(loss, [x] + layer.trainable_weights)
    return [o.numpy() for o in outs], [g.numpy() for g in grads]


@pytest.mark.parametrize("name", sorted(FUSED))
@pytest.mark.parametrize("options", [
    {},
    {"return_sequences": True},
    {"return_sequences": True, "return_state": True, "go_backwards": True},
    {"return_state": True, "go_backwards": True},
    {"return_sequences": True, "zero_output_for_mask": True},
], ids=["last", "seq", "seq-state-backwards", "state-backwards", "seq-zero-output"])
@pytest.mark.parametrize("masked", [False, True], ids=["nomask", "mask"])
def test_fused_matches_step_by_step(name, options, masked):
    fused, generic = _pair(name, **options)
    mask = MASK if masked else None
    out_f, grad_f = _outputs_and_grads(fused, mask)
    out_g, grad_g = _outputs_and_grads(generic, mask)
    for a, b in zip(out_f + grad_f, out_g + grad_g):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_mask_repeats_previous_output_and_carries_states():
    layer = R.LSTM(3, return_sequences=True, return_state=True)
    seq, h, c = layer(X, mask=MASK)
    seq = seq.numpy()
    # Trailing padding: the output repeats the last real step, the state stops there.
    np.testing.assert_array_equal(seq[0, 3], seq[0, 2])
    np.testing.assert_array_equal(seq[0, 4], seq[0, 2])
    short_seq, short_h, _ = layer(X[:1, :3])
    # Batches of 3 and 1 may take different GEMM kernels: equal up to float32 rounding.
    np.testing.assert_allclose(h.numpy()[0], short_h.numpy()[0], rtol=1e-5, atol=1e-7)
    # Leading padding: zeros before the first real step; a fully masked row stays zero.
    np.testing.assert_array_equal(seq[1, :2], 0.0)
    np.testing.assert_array_equal(seq[2], 0.0)
    np.testing.assert_array_equal(h.numpy()[2], 0.0)


def test_all_true_mask_is_no_mask():
    layer = R.GRU(3, return_sequences=True)
    np.testing.assert_array_equal(layer(X).numpy(),
                                  layer(X, mask=np.ones(X.shape[:2], bool)).numpy())


def test_embedding_mask_zero_reaches_lstm_and_sequence_mask_propagates():
    ids = np.array([[3, 5, 2, 0, 0], [4, 0, 0, 0, 0]])
    emb = Embedding(10, 4, mask_zero=True)
    lstm = R.LSTM(3, return_sequences=True)
    out = lstm(emb(ids))
    np.testing.assert_array_equal(out._keras_mask, ids != 0)
    np.testing.assert_array_equal(out.numpy()[1, 1:], np.repeat(out.numpy()[1, :1], 4, axis=0))
    last = R.LSTM(3)
    y = last(emb(ids))
    assert y._keras_mask is None
    np.testing.assert_allclose(y.numpy()[1], last(emb(ids[1:, :1])).numpy()[0], rtol=1e-6)


def test_masking_layer_feeds_mask():
    x = X.copy()
    x[0, 3:] = 0.0
    layer = R.SimpleRNN(2, return_state=True)
    _, h = layer(Masking(0.0)(x))
    _, h_short = layer(x[:1, :3])
    np.testing.assert_allclose(h.numpy()[0], h_short.numpy()[0], rtol=1e-6)


def test_functional_model_with_mask_and_states():
    inputs = kcore.Input(shape=(5,), dtype="int32")
    x = Embedding(10, 4, mask_zero=True)(inputs)
    seq, h, c = R.LSTM(3, return_sequences=True, return_state=True)(x)
    y = R.GRU(2)(seq)
    model = kcore.Model(inputs, [y, h, c])
    outs = model(np.array([[1, 2, 3, 0, 0], [4, 5, 0, 0, 0]]))
    assert [tuple(o.shape) for o in outs] == [(2, 2), (2, 3), (2, 3)]


def test_initial_state_is_used_and_differentiated():
    fused, generic = _pair("LSTM", return_state=True)
    h0 = ops.convert_to_tensor(RNG.normal(size=(3, 3)).astype("float32"))
    c0 = ops.convert_to_tensor(RNG.normal(size=(3, 3)).astype("float32"))
    results = []
    for layer in (fused, generic):
        with GradientTape() as tape:
            tape.watch([h0, c0])
            out, h, c = layer(X, initial_state=[h0, c0])
            loss = ops.sum(out * 2.0) + ops.sum(c)
        results.append([out.numpy(), *(g.numpy() for g in tape.gradient(loss, [h0, c0]))])
    assert not np.allclose(results[0][0], fused(X)[0].numpy())
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_stateful_keeps_states_between_calls_and_resets():
    layer = R.LSTM(3, stateful=True, return_sequences=True)
    full = R.LSTM(3, return_sequences=True)
    layer(X[:, :2])
    full(X)
    full.set_weights(layer.get_weights())
    layer.reset_states()
    first = layer(X[:, :2]).numpy()
    second = layer(X[:, 2:]).numpy()
    np.testing.assert_allclose(np.concatenate([first, second], 1), full(X).numpy(), rtol=1e-5,
                               atol=1e-6)
    assert len(layer.weights) == 3, "stateful states must not be weights"
    layer.reset_states()
    np.testing.assert_allclose(layer(X[:, :2]).numpy(), first, rtol=1e-6)
    with pytest.raises(ValueError, match="batch size"):
        layer(X[:2])


def test_stateful_bidirectional_reset():
    bi = R.Bidirectional(R.GRU(2, stateful=True))
    a = bi(X).numpy()
    assert not np.allclose(bi(X).numpy(), a)
    bi.reset_states()
    np.testing.assert_allclose(bi(X).numpy(), a, rtol=1e-6)


def test_weights_names_shapes_and_forget_bias():
    lstm = R.LSTM(5, name="lstm")
    lstm(np.zeros((2, 7, 3), "float32"))
    assert [(w.path, w.shape) for w in lstm.weights] == [
        ("lstm/lstm_cell/kernel", (3, 20)), ("lstm/lstm_cell/recurrent_kernel", (5, 20)),
        ("lstm/lstm_cell/bias", (20,))]
    bias = lstm.cell.bias.numpy()
    np.testing.assert_array_equal(bias[5:10], 1.0)
    np.testing.assert_array_equal(np.delete(bias, np.s_[5:10]), 0.0)
    gru = R.GRU(5, name="gru")
    gru(np.zeros((2, 7, 3), "float32"))
    assert [w.shape for w in gru.weights] == [(3, 15), (5, 15), (2, 15)]
    assert gru.weights[0].path == "gru/gru_cell/kernel"
    gru2 = R.GRU(5, reset_after=False)
    gru2(np.zeros((2, 7, 3), "float32"))
    assert gru2.weights[2].shape == (15,)
    bi = R.Bidirectional(R.LSTM(5, name="enc"), name="bi")
    bi(np.zeros((2, 7, 3), "float32"))
    assert [w.path for w in bi.weights] == [
        f"bi/{d}_enc/lstm_cell/{n}" for d in ("forward", "backward")
        for n in ("kernel", "recurrent_kernel", "bias")]


def test_dropout_masks_once_per_sequence_and_seeded():
    ones = np.ones((2, 6, 4), "float32")
    layer = R.SimpleRNN(3, dropout=0.5, seed=7, return_sequences=True,
                        kernel_initializer="ones", recurrent_initializer="zeros")
    out = layer(ones, training=True).numpy()
    # Zero recurrent kernel: each step sees only its (dropped) input, the same every step.
    np.testing.assert_allclose(out, np.repeat(out[:, :1], 6, axis=1), rtol=1e-6)
    assert not np.allclose(out, np.tanh(4.0)), "dropout was not applied in training"
    assert layer.cell._dropout_mask is None, "masks are reset after each sequence"
    np.testing.assert_allclose(layer(ones, training=False).numpy(), np.tanh(4.0) * ones[..., :3],
                               rtol=1e-6)
    twin = R.SimpleRNN(3, dropout=0.5, seed=7, return_sequences=True,
                       kernel_initializer="ones", recurrent_initializer="zeros")
    np.testing.assert_array_equal(twin(ones, training=True).numpy(), out)


def test_bidirectional_merge_modes_and_weights_argument():
    fwd = R.LSTM(2, return_sequences=True)
    concat = R.Bidirectional(fwd)
    y = concat(X).numpy()
    w = concat.get_weights()
    f_out = R.LSTM(2, return_sequences=True)
    f_out(X)
    f_out.set_weights(w[:3])
    b_out = R.LSTM(2, return_sequences=True, go_backwards=True)
    b_out(X)
    b_out.set_weights(w[3:])
    f, b = f_out(X).numpy(), b_out(X).numpy()[:, ::-1]
    np.testing.assert_allclose(y, np.concatenate([f, b], -1), rtol=1e-6)
    for mode, expect in (("sum", f + b), ("mul", f * b), ("ave", (f + b) / 2)):
        other = R.Bidirectional(fwd, merge_mode=mode, weights=w)
        np.testing.assert_allclose(other(X).numpy(), expect, rtol=1e-5, atol=1e-6)
    pair = R.Bidirectional(fwd, merge_mode=None, weights=w)(X)
    np.testing.assert_allclose(pair[1].numpy(), b, rtol=1e-6)


def test_bidirectional_config_round_trip_and_errors():
    bi = R.Bidirectional(R.GRU(3, return_state=True), backward_layer=R.GRU(
        3, go_backwards=True, return_state=True, name="mine"), merge_mode="ave")
    out = bi(X)
    assert len(out) == 3
    clone = R.Bidirectional.from_config(bi.get_config())
    assert clone.backward_layer.name == "mine" and clone.forward_layer.name == bi.forward_layer.name
    with pytest.raises(ValueError, match="go_backwards"):
        R.Bidirectional(R.LSTM(2), backward_layer=R.LSTM(2))
    with pytest.raises(ValueError, match="merge_mode"):
        R.Bidirectional(R.LSTM(2), merge_mode="max")


def test_time_distributed_calls_the_layer_once():
    calls = []

    class Counting(kcore.layers.Dense):
        def call(self, inputs, training=None):
            calls.append(tuple(inputs.shape))
            return super().call(inputs)

    td = R.TimeDistributed(Counting(2))
    y = td(X)
    assert calls == [(15, 4)] and tuple(y.shape) == (3, 5, 2)
    np.testing.assert_allclose(y.numpy()[:, 1], td.layer(X[:, 1]).numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="rank"):
        R.TimeDistributed(kcore.layers.Dense(2))(np.zeros((2, 3), "float32"))


def test_keras_config_keys():
    keys = {"name", "trainable", "dtype", "return_sequences", "return_state", "go_backwards",
            "stateful", "unroll", "zero_output_for_mask", "units", "activation", "use_bias",
            "kernel_initializer", "recurrent_initializer", "bias_initializer",
            "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
            "activity_regularizer", "kernel_constraint", "recurrent_constraint",
            "bias_constraint", "dropout", "recurrent_dropout", "seed"}
    assert set(R.SimpleRNN(2).get_config()) == keys
    assert set(R.LSTM(2).get_config()) == keys | {"recurrent_activation", "unit_forget_bias"}
    assert set(R.GRU(2).get_config()) == keys | {"recurrent_activation", "reset_after"}
    with pytest.raises(ValueError, match="use_cudnn"):
        R.LSTM(2, use_cudnn="yes")


def test_training_a_tiny_lstm_reduces_the_loss():
    layer, head = R.LSTM(8), kcore.layers.Dense(1)
    x = RNG.normal(size=(32, 6, 2)).astype("float32")
    y = x[:, :, 0].sum(axis=1, keepdims=True)
    losses = []
    for _ in range(60):
        with GradientTape() as tape:
            loss = ops.mean((head(layer(x)) - y) ** 2)
        params = layer.trainable_weights + head.trainable_weights
        for p, g in zip(params, tape.gradient(loss, params)):
            p.assign_sub(0.05 * g.numpy())
        losses.append(float(loss))
    assert losses[-1] < 0.5 * losses[0]
