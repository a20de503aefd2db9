"""Threads and asyncio tasks each run their own computation, untouched by the others.

Every test forces frequent thread switches (``sys.setswitchinterval``) so that the
interleavings that used to corrupt the shared tape stack happen within a few steps.
"""

import asyncio
import sys
import threading

import numpy as np
import pytest

import kcore
from kcore import layers
from kcore.backend.autodiff import no_recording


@pytest.fixture(autouse=True)
def frequent_switches():
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(old)


def _data(n=96):
    gen = np.random.default_rng(0)
    x = gen.normal(size=(n, 6)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int32") + (x[:, 2] > 1).astype("int32")
    return x, y


def _model(seed):
    kcore.utils.set_random_seed(seed)
    model = kcore.Sequential([kcore.Input((6,)), layers.Dense(12, activation="relu"),
                              layers.Dropout(0.3), layers.Dense(3)])
    model.compile(optimizer="adam",
                  loss=kcore.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def _fit(seed):
    """One complete, seeded run: build, fit (shuffled, with dropout), evaluate."""
    x, y = _data()
    model = _model(seed)
    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0)
    return model.get_weights(), history.history, model.evaluate(x, y, verbose=0)


def _run_in_threads(fn, args):
    results, errors = {}, []

    def work(i, a):
        try:
            results[i] = fn(a)
        except BaseException as e:  # reported below, with the thread's index
            errors.append((i, e))

    threads = [threading.Thread(target=work, args=(i, a)) for i, a in enumerate(args)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert not errors, errors
    return [results[i] for i in range(len(args))]


def _assert_same_run(a, b):
    weights_a, history_a, eval_a = a
    weights_b, history_b, eval_b = b
    assert len(weights_a) == len(weights_b)
    for wa, wb in zip(weights_a, weights_b):
        np.testing.assert_array_equal(wa, wb)
    assert history_a == history_b
    assert eval_a == eval_b


@pytest.mark.parametrize("n_threads", [2, 4])
def test_parallel_fits_match_the_same_fit_run_alone(n_threads):
    seeds = list(range(11, 11 + n_threads))
    alone = [_fit(s) for s in seeds]
    together = _run_in_threads(_fit, seeds)
    for a, b in zip(alone, together):
        _assert_same_run(a, b)


def _fit_with_predictors(n_predictors):
    """Fits a model in one thread while ``n_predictors`` threads call its ``predict``."""
    x, y = _data()
    model = _model(5)
    stop = threading.Event()

    def fit(_):
        try:
            history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0)
            return model.get_weights(), history.history, model.evaluate(x, y, verbose=0)
        finally:
            stop.set()

    def predict(_):
        shapes = set()
        while not stop.is_set():
            out = model.predict(x[:16], batch_size=8, verbose=0)
            assert np.isfinite(out).all()
            shapes.add(out.shape)
        return shapes

    results = _run_in_threads(lambda job: job(None), [fit] + [predict] * n_predictors)
    assert all(r == {(16, 3)} for r in results[1:])
    return results[0]


def test_fit_while_other_threads_predict_on_the_same_model():
    _assert_same_run(_fit_with_predictors(0), _fit_with_predictors(3))


def _tape_loop(seed):
    """A custom training loop with GradientTape, stop_recording and no_recording inside."""
    gen = np.random.default_rng(seed)
    w = kcore.Variable(gen.normal(size=(6, 3)).astype("float32"))
    b = kcore.Variable(np.zeros(3, "float32"))
    x = kcore.ops.convert_to_tensor(gen.normal(size=(32, 6)).astype("float32"))
    grads_seen = []
    for _ in range(150):
        with kcore.GradientTape() as tape:
            h = kcore.ops.tanh(kcore.ops.matmul(x, w) + b)
            with tape.stop_recording():
                kcore.ops.sum(h * 3.0)
            with no_recording():  # e.g. a metric update: pauses only this thread's tapes
                kcore.ops.mean(h)
            loss = kcore.ops.mean(h * h)
        gw, gb = tape.gradient(loss, [w, b])
        grads_seen.append(float(kcore.ops.sum(gw).numpy()))
        w.assign_sub(0.1 * gw.numpy())
        b.assign_sub(0.1 * gb.numpy())
    return w.numpy(), b.numpy(), grads_seen


def test_gradient_tape_loops_in_threads():
    seeds = [1, 2, 3, 4]
    alone = [_tape_loop(s) for s in seeds]
    together = _run_in_threads(_tape_loop, seeds)
    for a, b in zip(alone, together):
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
        assert a[2] == b[2]


async def _async_training(seed):
    """Trains with a tape held open across awaits; other tasks run meanwhile."""
    x, y = _data(48)
    model = _model(seed)
    loss_fn = kcore.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = kcore.optimizers.SGD(0.05)
    for step in range(6):
        batch = slice(step * 8, step * 8 + 8)
        with kcore.GradientTape() as tape:
            logits = model(x[batch], training=True)
            await asyncio.sleep(0)
            loss = loss_fn(y[batch], logits)
        grads = tape.gradient(loss, model.trainable_weights)
        optimizer.apply(grads, model.trainable_weights)
        await asyncio.sleep(0)
    return [w.copy() for w in model.get_weights()]


async def _async_inference(seed):
    """Pauses recording across awaits (as an inference path would)."""
    x, _ = _data(48)
    model = _model(seed)
    for _ in range(12):
        with no_recording():
            await asyncio.sleep(0)
            model(x[:8], training=False)
            await asyncio.sleep(0)
    return None


def test_one_asyncio_task_per_model():
    seeds = [21, 22, 23]
    alone = [asyncio.run(_async_training(s)) for s in seeds]

    async def together():
        jobs = [_async_training(s) for s in seeds] + [_async_inference(s) for s in (31, 32)]
        return await asyncio.gather(*jobs)

    results = asyncio.run(together())
    for a, b in zip(alone, results):
        for wa, wb in zip(a, b):
            np.testing.assert_array_equal(wa, wb)
