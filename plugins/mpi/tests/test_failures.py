"""A rank that dies or raises stops the whole job within seconds; the run then resumes.

Every launch runs under a hard timeout (see ``conftest.launch``): a hang fails the test.
"""

import json

import numpy as np

STOP_WITHIN = 60  # seconds: generous for a loaded 2-core machine; a hang is unbounded


def test_sigkill_of_rank_1_stops_the_job_then_backup_resumes_it(mpirun, script, tmp_path):
    killed = mpirun(2, "resilient.py", tmp_path, "--kill", 1, 2, 3, timeout=180, check=False)
    assert killed.returncode != 0
    assert killed.seconds < STOP_WITHIN, killed.output
    assert "rank 1" in killed.output and "signal 9" in killed.output, killed.output
    metadata = json.loads((tmp_path / "backup" / "training_metadata.json").read_text())
    # Backups every 3 batches (8 per epoch): the last one before the kill is mid-epoch 2.
    assert (metadata["epoch"], metadata["batch"]) == (2, 2)

    mpirun(2, "resilient.py", tmp_path, timeout=180)
    resumed = json.loads((tmp_path / "final.json").read_text())
    assert not (tmp_path / "backup").exists()  # finished: rank 0 deleted the backup

    resilient = script("resilient")
    uninterrupted = resilient.train(str(tmp_path / "single"))
    for got, want in zip(resumed["weights"], uninterrupted["weights"]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    # The resumed fit reports epochs 2 and 3; epoch 2's metrics include the batches run
    # before the kill (their global metric states were backed up).
    assert resumed["epochs"] == [2, 3]
    for key, values in resumed["history"].items():
        np.testing.assert_allclose(values, uninterrupted["history"][key][2:], rtol=1e-5)


def test_an_exception_on_one_rank_aborts_all_with_a_clear_error(mpirun, tmp_path):
    failed = mpirun(2, "resilient.py", tmp_path, "--raise", 1, 1, 2, timeout=180, check=False)
    assert failed.returncode != 0
    assert failed.seconds < STOP_WITHIN, failed.output
    assert "ValueError: planned failure at epoch 1 batch 2" in failed.output
    assert "kcore-mpi: rank 1 of 2 stopped with ValueError" in failed.output
    assert not (tmp_path / "final.json").exists()

