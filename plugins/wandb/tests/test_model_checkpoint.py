"""WandbModelCheckpoint: files written through kcore's saving, artifacts in the offline run."""

import os

import h5py
import pytest

import kcore


class Scores(kcore.callbacks.Callback):
    """Puts a scripted ``score`` into the epoch logs (it runs before the checkpoint)."""

    def __init__(self, scores):
        super().__init__()
        self.scores = scores

    def on_epoch_end(self, epoch, logs=None):
        logs["score"] = self.scores[epoch]


def fit_in_run(model, data, callbacks, epochs=3, **kwargs):
    import wandb

    run = wandb.init()
    model.fit(*data, batch_size=4, epochs=epochs, verbose=0, callbacks=callbacks, **kwargs)
    run_dir, run_id = run.dir.rsplit("/files", 1)[0], run.id
    run.finish()
    return run_dir, run_id


def test_every_epoch_saved_and_logged(wandb_offline, model, data, read_offline_run):
    path = wandb_offline / "ckpt" / "m-{epoch:02d}.h5"
    run_dir, run_id = fit_in_run(model, data, [kcore.callbacks.WandbModelCheckpoint(path)],
                                 validation_split=0.2)
    files = sorted(os.listdir(wandb_offline / "ckpt"))
    assert files == ["m-01.h5", "m-02.h5", "m-03.h5"]
    with h5py.File(wandb_offline / "ckpt" / "m-03.h5", "r") as f:
        assert "model_config" in f.attrs and "model_weights" in f
    artifacts = read_offline_run(run_dir)["artifacts"]
    assert [a["name"] for a in artifacts] == [f"run_{run_id}_model"] * 3
    assert all(a["type"] == "model" for a in artifacts)
    assert [a["aliases"] for a in artifacts] == [
        ["epoch_0", "latest"], ["epoch_1", "latest"], ["epoch_2", "latest"]]
    for artifact, name in zip(artifacts, files):
        assert artifact["files"] == [(name, os.path.getsize(wandb_offline / "ckpt" / name))]
        assert "val_loss" in artifact["metadata"]


@pytest.mark.parametrize("filepath", ["best-{epoch}.h5", "best.h5", "best-{epoch}.keras"])
def test_save_best_only_never_uploads_an_unwritten_file(wandb_offline, model, data,
                                                        read_offline_run, filepath):
    # score improves at epochs 0 and 1, not at 2 (wandb/wandb#8842 uploaded a stale or
    # missing file for such an epoch)
    def make():
        return kcore.callbacks.WandbModelCheckpoint(
            wandb_offline / filepath, monitor="score", mode="max", save_best_only=True)

    if "{epoch}" in filepath:
        ckpt = make()
    else:
        with pytest.warns(UserWarning, match="no placeholder"):
            ckpt = make()
    run_dir, _ = fit_in_run(model, data, [Scores([1.0, 3.0, 2.0]), ckpt])
    artifacts = read_offline_run(run_dir)["artifacts"]
    assert [a["aliases"] for a in artifacts] == [["epoch_0", "latest"], ["epoch_1", "latest"]]
    assert [a["metadata"]["score"] for a in artifacts] == [1.0, 3.0]
    if "{epoch}" in filepath:
        assert not (wandb_offline / filepath.format(epoch=3)).exists()
        reloaded = kcore.models.load_model(wandb_offline / filepath.format(epoch=2))
        assert int(reloaded.optimizer.iterations.numpy()) == 2 * len(data[0]) // 4
    assert ckpt.best == 3.0


def test_save_best_only_first_epoch_must_beat_threshold(wandb_offline, model, data,
                                                         read_offline_run):
    ckpt = kcore.callbacks.WandbModelCheckpoint(
        wandb_offline / "m-{epoch}.h5", monitor="score", mode="max", save_best_only=True,
        initial_value_threshold=2.5)
    run_dir, _ = fit_in_run(model, data, [Scores([1.0, 3.0, 2.0]), ckpt])
    artifacts = read_offline_run(run_dir)["artifacts"]
    assert [a["aliases"] for a in artifacts] == [["epoch_1", "latest"]]
    assert sorted(p.name for p in wandb_offline.glob("m-*.h5")) == ["m-2.h5"]


def test_batch_frequency_weights_only(wandb_offline, model, data, read_offline_run):
    # 5 batches per epoch, save every 3 batches, counted across epochs (Keras's rule)
    ckpt = kcore.callbacks.WandbModelCheckpoint(
        wandb_offline / "w-e{epoch}-b{batch}.weights.h5", save_weights_only=True, save_freq=3)
    run_dir, _ = fit_in_run(model, data, [ckpt], epochs=2)
    artifacts = read_offline_run(run_dir)["artifacts"]
    assert [a["aliases"] for a in artifacts] == [
        ["epoch_0_batch_2", "latest"], ["epoch_1_batch_0", "latest"],
        ["epoch_1_batch_3", "latest"]]
    assert sorted(p.name for p in wandb_offline.glob("w-*")) == [
        "w-e1-b3.weights.h5", "w-e2-b1.weights.h5", "w-e2-b4.weights.h5"]


def test_starts_its_own_run_when_none_is_active(wandb_offline, model, data, run_dirs,
                                                read_offline_run):
    import wandb

    model.fit(*data, epochs=2, verbose=0, callbacks=[
        kcore.callbacks.WandbMetricsLogger(),
        kcore.callbacks.WandbModelCheckpoint(wandb_offline / "m.h5", monitor="loss")])
    assert wandb.run is None
    (run_dir,) = run_dirs()  # both callbacks shared one run
    r = read_offline_run(run_dir)
    assert r["exit_code"] == 0 and len(r["artifacts"]) == 2
    assert len([row for row in r["history"] if "epoch/epoch" in row]) == 2


@pytest.mark.parametrize("kwargs, match", [
    ({"filepath": "m.ckpt"}, "must end in `.keras`"),
    ({"filepath": "m.h5", "save_weights_only": True}, "must end in `.weights.h5`"),
    ({"filepath": "m.h5", "save_freq": "batch"}, "save_freq"),
])
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        kcore.callbacks.WandbModelCheckpoint(**kwargs)
