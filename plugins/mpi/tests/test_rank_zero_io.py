"""Files and printing come from rank 0 only; the launcher and ``KCORE_DISTRIBUTE`` are honoured."""

import csv
import glob
import json
import os
import subprocess
import sys

import pytest


def test_files_are_written_once_by_rank_zero(mpirun, tmp_path):
    rank0, rank1 = tmp_path / "rank0", tmp_path / "rank1"
    result = mpirun.raw("-n", 1, "{python}", "{here}/files_script.py", rank0, ":",
                        "-n", 1, "{python}", "{here}/files_script.py", rank1)
    assert result.returncode == 0, result.output
    assert "rank 0 of 2 done" in result.output and "rank 1 of 2 done" in result.output
    assert not rank1.exists()  # rank 1 wrote nothing anywhere it was told to
    rows = list(csv.DictReader(open(rank0 / "log.csv")))
    assert [r["epoch"] for r in rows] == ["0", "1"]
    assert sorted(os.listdir(rank0)) == ["ckpt-1.weights.h5", "ckpt-2.weights.h5", "log.csv",
                                         "tb"]
    for run in ("train", "validation"):
        assert len(glob.glob(str(rank0 / "tb" / run / "events.out.tfevents.*"))) == 1
    # The progress bar (verbose=2) prints each epoch once, from rank 0.
    assert result.output.count("Epoch 1/2") == 1 and result.output.count("Epoch 2/2") == 1


def test_plugins_command_shows_the_launcher(mpirun):
    alone = subprocess.run([sys.executable, "-m", "kcore", "plugins"], capture_output=True,
                           text=True, check=True).stdout
    assert "kcore-mpi" in alone and "launcher: none detected (single process)" in alone
    under = mpirun.raw("-n", 2, "{python}", "-m", "kcore", "plugins")
    assert under.returncode == 0, under.output
    assert "launcher: Open MPI mpirun, rank 0 of 2; data-parallel" in under.output
    assert "launcher: Open MPI mpirun, rank 1 of 2; data-parallel" in under.output


def test_distribute_off_leaves_every_rank_a_single_process(mpirun):
    code = ("import kcore; d = kcore.distribution; "
            "print('world', d.rank(), d.size(), d.is_distributed(), flush=True)")
    result = mpirun.raw("-n", 2, "{python}", "-c", code, env={"KCORE_DISTRIBUTE": "off"})
    assert result.returncode == 0, result.output
    assert result.output.count("world 0 1 False") == 2
    on = mpirun.raw("-n", 2, "{python}", "-c", code)
    assert "world 0 2 True" in on.output and "world 1 2 True" in on.output


@pytest.mark.parametrize("env, expected", [
    ({}, None),
    ({"OMPI_COMM_WORLD_RANK": "1", "OMPI_COMM_WORLD_SIZE": "4"}, ("Open MPI mpirun", 1, 4)),
    ({"PMI_RANK": "0", "PMI_SIZE": "2"}, ("MPICH/Hydra mpiexec (PMI)", 0, 2)),
    ({"PMIX_RANK": "3", "SLURM_NTASKS": "8", "SLURM_PROCID": "3"}, ("Slurm srun (PMIx)", 3, 8)),
])
def test_launcher_detection(env, expected):
    from kcore_mpi import world

    launch = world.detect_launch(env)
    assert (None if launch is None else (launch.launcher, launch.rank, launch.size)) == expected


def test_single_process_registers_no_training_hook():
    from kcore_mpi import plugin

    import kcore

    assert type(plugin.plugin).__name__ == "Idle"
    pm = kcore.hooks.get_plugin_manager()
    for hook in ("kcore_shard_batch", "kcore_reduce_gradients", "kcore_reduce_metric_states",
                 "kcore_sync_initial_state", "kcore_distribution"):
        assert not pm.gate[hook], hook
    assert kcore.distribution.distribution() is None and kcore.distribution.is_rank_zero()


def test_distributed_example_runs_under_mpirun(mpirun, tmp_path):
    result = mpirun.raw("-n", 2, "{python}", "{here}/../../../examples/distributed_mnist_style.py",
                        "--smoke", "--output", tmp_path / "out")
    assert result.returncode == 0, result.output
    assert result.output.count("rank 0 of 2: data-parallel") == 1
    assert result.output.count("test:") == 1
    assert sorted(os.listdir(tmp_path / "out")) == ["best.weights.h5", "training.csv"]
