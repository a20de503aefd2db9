"""Element-wise work split over threads (``kcore/backend/threads.py``) computes exactly what
the unsplit call computes."""

import numpy as np
import pytest

import kcore
from kcore.backend import floating_point, threads


@pytest.fixture
def two_threads(monkeypatch):
    monkeypatch.setattr(threads, "num_threads", 2)


def _adam_run(shape, steps, amsgrad, seed=0):
    rng = np.random.default_rng(seed)
    var = kcore.Variable(rng.standard_normal(shape).astype(np.float32))
    opt = kcore.optimizers.Adam(learning_rate=0.01, amsgrad=amsgrad)
    for _ in range(steps):
        opt.apply([rng.standard_normal(shape).astype(np.float32)], [var])
    return np.asarray(var.value), [np.asarray(v.value) for v in opt.variables]


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_on_a_large_variable_is_bit_identical_split_or_not(monkeypatch, amsgrad):
    shape = (3 * threads.MIN_SIZE + 7,)  # not a multiple of the number of parts
    monkeypatch.setattr(threads, "num_threads", 1)
    whole, whole_slots = _adam_run(shape, 3, amsgrad)
    monkeypatch.setattr(threads, "num_threads", 3)
    split, split_slots = _adam_run(shape, 3, amsgrad)
    assert np.array_equal(whole, split)
    for a, b in zip(whole_slots, split_slots):
        assert np.array_equal(a, b)


def test_parts_cover_the_array_once(two_threads):
    n = 5 * threads.MIN_SIZE + 3
    out = np.zeros(n, np.int64)
    index = np.arange(n, dtype=np.int64)

    def add_index(out, index):
        out += index

    threads.parallel(add_index, out, index)
    assert np.array_equal(out, np.arange(n))


def test_small_or_non_contiguous_arrays_are_not_split(two_threads):
    calls = []

    def record(a):
        calls.append(a.shape)

    threads.parallel(record, np.zeros(threads.MIN_SIZE - 1))
    big = np.zeros((2, threads.MIN_SIZE))
    threads.parallel(record, big.T)
    assert calls == [(threads.MIN_SIZE - 1,), (threads.MIN_SIZE, 2)]
    calls.clear()
    threads.parallel(record, big)
    assert len(calls) == 2 and sum(c[0] for c in calls) == big.size


@pytest.mark.skipif(floating_point.status != "on", reason="no subnormal flushing here")
def test_worker_parts_flush_subnormals_when_the_caller_does(two_threads):
    x = np.full(4 * threads.MIN_SIZE, np.float32(1e-39))
    out = np.empty_like(x)

    def halve(x, out):
        np.multiply(x, np.float32(0.5), out=out)

    with floating_point.flush_denormals():
        threads.parallel(halve, x, out)
    assert (out == 0).all()
    threads.parallel(halve, x, out)
    assert (out > 0).all()


def test_a_bad_thread_count_says_how_to_fix_it():
    with pytest.raises(ValueError, match="KCORE_NUM_THREADS must be a positive integer.*'two'"):
        threads._configured_threads({"KCORE_NUM_THREADS": "two"})
    assert threads._configured_threads({"OMP_NUM_THREADS": "3"}) == 3
    assert threads._configured_threads({"KCORE_NUM_THREADS": "1", "OMP_NUM_THREADS": "4"}) == 1
