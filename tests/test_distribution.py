"""``kcore.distribution`` and batch sharding, in one process (the MPI runs are in plugins/mpi)."""

import numpy as np
import pytest

import kcore
from kcore.backend.sharding import BatchShard, shard_scope


class _Worker:
    """Answers ``kcore_distribution`` as a data-parallel plugin does on one of its ranks."""

    def __init__(self, rank, size):
        self.answer = kcore.distribution.Distribution(rank, size, backend="test")

    @kcore.hookimpl
    def kcore_distribution(self):
        return self.answer


@pytest.fixture
def worker():
    pm = kcore.hooks.get_plugin_manager()
    registered = []

    def register(rank, size):
        plugin = _Worker(rank, size)
        pm.register(plugin)
        registered.append(plugin)

    yield register
    for plugin in registered:
        pm.unregister(plugin)


def test_single_process_is_rank_zero_of_one():
    d = kcore.distribution
    assert (d.rank(), d.size(), d.is_distributed(), d.is_rank_zero()) == (0, 1, False, True)
    assert d.distribution() is None and d.batch_shard() is None
    model = kcore.Sequential([kcore.Input((2,)), kcore.layers.Dense(1)])
    assert (model.distribute.rank, model.distribute.world_size) == (0, 1)


def test_a_plugin_describes_the_distribution(worker):
    worker(2, 4)
    d = kcore.distribution
    assert (d.rank(), d.size(), d.is_distributed(), d.is_rank_zero()) == (2, 4, True, False)
    assert kcore.Sequential().distribute.rank == 2


def test_random_draws_in_a_shard_are_rows_of_the_global_draw():
    x = np.ones((5, 3), np.float32)
    whole = kcore.random.dropout(x, 0.5, seed=7).numpy()
    shard = BatchShard(data=None, start=2, stop=4, global_rows=5)
    with shard_scope(shard):
        assert kcore.distribution.batch_shard() is shard
        part = kcore.random.dropout(x[2:4], 0.5, seed=7).numpy()
        noise = kcore.random.normal((2, 3), seed=3).numpy()
        broadcast = kcore.random.uniform((1, 3), seed=3).numpy()  # not per row: drawn as is
    np.testing.assert_array_equal(part, whole[2:4])
    np.testing.assert_array_equal(noise, kcore.random.normal((5, 3), seed=3).numpy()[2:4])
    np.testing.assert_array_equal(broadcast, kcore.random.uniform((1, 3), seed=3).numpy())
    assert kcore.distribution.batch_shard() is None


def test_a_seed_generator_advances_as_for_the_global_batch():
    gen_whole, gen_part = kcore.random.SeedGenerator(1), kcore.random.SeedGenerator(1)
    kcore.random.uniform((6, 2), seed=gen_whole)
    with shard_scope(BatchShard(data=None, start=0, stop=3, global_rows=6)):
        kcore.random.uniform((3, 2), seed=gen_part)
    assert gen_whole.get_state() == gen_part.get_state()
