"""Training, evaluation and prediction steps flush subnormal floats to zero, as Keras's
TensorFlow and JAX backends do on the CPU; nothing outside the steps, nor another thread,
sees the mode (``kcore/backend/floating_point.py``)."""

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import kcore
from kcore.backend import floating_point

pytestmark = pytest.mark.skipif(floating_point.status != "on",
                                reason=f"subnormal flushing is {floating_point.status} here")

SUBNORMAL = np.float32(1e-39)  # below finfo(float32).tiny = 1.18e-38, above 0


def _halved(x):
    return np.asarray(x, np.float32) * np.float32(0.5)


def test_the_context_flushes_results_and_inputs_and_restores():
    assert not floating_point.flushing()
    a = np.full(4, SUBNORMAL)
    assert (_halved(a) > 0).all()
    with floating_point.flush_denormals():
        assert floating_point.flushing()
        assert (_halved(a) == 0).all()  # a subnormal input reads as zero
        assert (np.full(4, np.float32(2e-38)) * np.float32(0.25) == 0).all()  # and a result
        with floating_point.flush_denormals():  # nested: still on after the inner exit
            pass
        assert floating_point.flushing()
        assert (_halved(a) == 0).all()
    assert not floating_point.flushing()
    assert (_halved(a) > 0).all()


def test_the_mode_belongs_to_the_thread_that_set_it():
    inside, outside = threading.Barrier(2), threading.Barrier(2)
    seen = {}

    def stepping():
        with floating_point.flush_denormals():
            inside.wait()
            seen["stepping"] = float(_halved([SUBNORMAL])[0])
            outside.wait()

    def other():
        inside.wait()  # while the first thread is inside its context
        seen["other"] = float(_halved([SUBNORMAL])[0])
        seen["other flushing"] = floating_point.flushing()
        outside.wait()

    threads = [threading.Thread(target=stepping), threading.Thread(target=other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen["stepping"] == 0.0
    assert seen["other"] > 0.0 and seen["other flushing"] is False


def _tiny_model():
    inputs = kcore.Input((3,))
    outputs = kcore.layers.Lambda(lambda x: x * 1e-39)(inputs)
    model = kcore.Model(inputs, outputs)
    model.compile(loss="mse")
    return model


def test_predict_and_the_batch_methods_flush_but_an_eager_call_does_not():
    # Keras on JAX (3.15.1, CPU) gives 0 for this model's predict and for the eager call:
    # XLA flushes everywhere. kcore flushes inside the steps only.
    model = _tiny_model()
    x = np.ones((2, 3), np.float32)
    assert (model.predict(x, verbose=0) == 0).all()
    assert (model.predict_on_batch(x) == 0).all()
    assert (np.asarray(model(x)) > 0).all()
    assert not floating_point.flushing()


def test_a_failing_step_leaves_the_mode_as_it_was():
    def fail(x):
        raise RuntimeError("boom")

    inputs = kcore.Input((3,))
    model = kcore.Model(inputs, kcore.layers.Dense(1)(inputs))
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)

    class Boom(kcore.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0, callbacks=[Boom()])
    assert not floating_point.flushing()
    assert (_halved([SUBNORMAL]) > 0).all()


def _subnormal_count(a):
    a = np.abs(np.asarray(a))
    return int(((a > 0) & (a < np.finfo(a.dtype).tiny)).sum())


def test_adam_moments_of_dead_units_never_become_subnormal():
    # A weight whose gradient is exactly 0 has m += (0 - m) * 0.1 each step. In IEEE
    # arithmetic, from m = 1e-37 that reaches the subnormal range within 20 steps (and every
    # later update of m runs ten times slower); flushed, the decrement underflows to 0 and m
    # stays a normal float (as in Keras on TensorFlow or JAX).
    m = np.full(4, 1e-37, np.float32)
    for _ in range(30):
        m += (np.float32(0) - m) * np.float32(0.1)
    assert _subnormal_count(m) == 4  # what happens without flushing

    var = kcore.Variable(np.ones((4,), np.float32))
    opt = kcore.optimizers.Adam()
    opt.build([var])
    opt._momentums[0].assign(np.full(4, 1e-37, np.float32))
    for _ in range(30):
        opt.apply([np.zeros(4, np.float32)], [var])
    assert _subnormal_count(opt._momentums[0].value) == 0
    assert np.array_equal(np.asarray(var.value), np.ones(4, np.float32))


def test_disabled_by_the_environment_variable():
    code = ("import numpy as np, kcore\n"
            "from kcore.backend import floating_point\n"
            "i = kcore.Input((3,)); m = kcore.Model(i, kcore.layers.Lambda(lambda x: x * 1e-39)(i))\n"
            "print(floating_point.status, float(m.predict(np.ones((1, 3)), verbose=0)[0, 0]) > 0)\n")
    env = {**os.environ, "KCORE_FLUSH_DENORMALS": "0"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["disabled", "True"]


def test_a_thread_started_inside_a_step_inherits_the_mode_until_reset():
    # Why kcore's worker threads call reset_thread when they start.
    seen = []

    def child():
        seen.append(floating_point.flushing())
        floating_point.reset_thread()
        seen.append(floating_point.flushing())
        seen.append(float(_halved([SUBNORMAL])[0]) > 0)

    with floating_point.flush_denormals():
        t = threading.Thread(target=child)
        t.start()
        t.join()
    assert seen == [True, False, True]
