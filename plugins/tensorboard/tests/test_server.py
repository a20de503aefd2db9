"""The logs of a real ``fit``, served by a real ``tensorboard`` process on 127.0.0.1."""

import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import numpy as np
import pytest

import kcore

# Seconds; the server normally starts, and loads new events, in about a second. Generous,
# because on a loaded machine both can take far longer: every wait below polls for the
# complete data until this deadline instead of sleeping a fixed time.
START_TIMEOUT = 180


def _get(url, path, **query):
    if query:
        path += "?" + urllib.parse.urlencode(query)
    with urllib.request.urlopen(url + path, timeout=10) as response:
        return json.loads(response.read())


def _wait_for(predicate, deadline):
    """Polls ``predicate`` until it returns something true; a request that fails or times
    out while the server is busy (re)loading counts as "not yet"."""
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except (OSError, ValueError) as e:  # URLError, socket timeout, partial JSON
            value, last_error = None, e
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"tensorboard did not serve the expected data in time "
                         f"(last error: {last_error!r})")


@pytest.fixture
def tensorboard_server(tmp_path):
    """Start ``tensorboard --logdir <dir>`` on a free port; yields ``(url, logdir)``."""
    logdir = tmp_path / "logs"
    logdir.mkdir()
    exe = os.path.join(os.path.dirname(sys.executable), "tensorboard")
    env = dict(os.environ, TMPDIR=str(tmp_path))  # its .tensorboard-info/ goes there
    proc = subprocess.Popen(
        [exe, "--logdir", str(logdir), "--host", "127.0.0.1", "--port", "0",
         "--reload_interval", "1", "--samples_per_plugin", "scalars=100000"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        url = None
        while url is None and time.monotonic() < deadline and proc.poll() is None:
            match = re.search(r"(http://127\.0\.0\.1:\d+/)", proc.stderr.readline())
            url = match and match.group(1)
        assert url, f"tensorboard did not start (exit code {proc.poll()})"
        yield url, logdir
    finally:
        proc.terminate()  # by PID; its Rust data-server child exits with it
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        proc.stderr.close()


def test_server_serves_fit_logs(tensorboard_server, model, data):
    url, logdir = tensorboard_server
    x, y = data
    history = model.fit(x, y, batch_size=4, epochs=3, verbose=0, validation_split=0.2,
                        callbacks=[kcore.callbacks.TensorBoard(log_dir=logdir)])
    deadline = time.monotonic() + START_TIMEOUT

    def loaded():
        tags = _get(url, "data/plugin/scalars/tags")
        return "epoch_loss" in tags.get("train", {}) and \
            "epoch_loss" in tags.get("validation", {}) and tags

    def every_epoch(run):
        # The server may have read only part of the event file so far: wait for all epochs.
        series = _get(url, "data/plugin/scalars/scalars", run=run, tag="epoch_loss")
        return len(series) >= len(history.epoch) and series

    tags = _wait_for(loaded, deadline)
    assert {"epoch_loss", "epoch_mae", "epoch_learning_rate"} <= set(tags["train"])
    assert {"epoch_loss", "evaluation_loss_vs_iterations"} <= set(tags["validation"])
    for run, key in (("train", "loss"), ("validation", "val_loss")):
        series = _wait_for(lambda: every_epoch(run), deadline)
        assert [(step, value) for _, step, value in series] == [
            (e, pytest.approx(v)) for e, v in enumerate(history.history[key])]
    # the graph dashboard sees the Keras model as a conceptual graph
    info = _wait_for(lambda: _get(url, "data/plugin/graphs/info").get("train"), deadline)
    assert info["tags"]["keras"]["conceptual_graph"] is True


def _embedding_model():
    kcore.utils.set_random_seed(0)
    inputs = kcore.Input((3,), dtype="int32")
    words = kcore.layers.Embedding(6, 4, name="words")(inputs)
    tags = kcore.layers.Embedding(5, 2, name="tags")(inputs)
    merged = kcore.layers.Concatenate()([kcore.layers.GlobalAveragePooling1D()(words),
                                         kcore.layers.GlobalAveragePooling1D()(tags)])
    model = kcore.Model(inputs, kcore.layers.Dense(1)(merged))
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_projector_serves_each_embedding_layer(tensorboard_server, tmp_path):
    url, logdir = tensorboard_server
    model = _embedding_model()
    (tmp_path / "words.tsv").write_text("".join(f"word{i}\n" for i in range(6)))
    (tmp_path / "tags.tsv").write_text("tag\tkind\n" + "".join(f"t{i}\tk{i % 2}\n"
                                                             for i in range(5)))
    x = np.random.default_rng(0).integers(0, 5, (8, 3)).astype("int32")
    tb = kcore.callbacks.TensorBoard(
        log_dir=logdir, embeddings_freq=2,
        embeddings_metadata={"words": str(tmp_path / "words.tsv"),
                             "tags": str(tmp_path / "tags.tsv")})
    model.fit(x, np.ones((8, 1), "float32"), epochs=3, batch_size=4, verbose=0, callbacks=[tb])
    deadline = time.monotonic() + START_TIMEOUT
    expected = {"words:00000", "tags:00000", "words:00002", "tags:00002"}

    def complete():
        # Wait until the checkpoints of both epochs are read, not only the first one.
        if "train" not in _get(url, "data/plugin/projector/runs"):
            return None
        info = _get(url, "data/plugin/projector/info", run="train")
        names = {e["tensorName"] for e in info.get("embeddings", [])}
        return names >= expected and info

    info = _wait_for(complete, deadline)
    by_name = {e["tensorName"]: e for e in info["embeddings"]}
    assert set(by_name) == expected  # epochs 0 and 2
    assert by_name["words:00002"]["tensorShape"] == [6, 4]
    with urllib.request.urlopen(url + "data/plugin/projector/tensor?" + urllib.parse.urlencode(
            {"run": "train", "name": "words:00002"}), timeout=10) as response:
        served = np.frombuffer(response.read(), dtype="<f4").reshape(6, 4)
    np.testing.assert_allclose(served, model.get_layer("words").embeddings.numpy(), rtol=1e-6)
    with urllib.request.urlopen(url + "data/plugin/projector/metadata?" + urllib.parse.urlencode(
            {"run": "train", "name": "tags:00002"}), timeout=10) as response:
        assert response.read().decode().splitlines()[:2] == ["tag\tkind", "t0\tk0"]


def test_projector_rejects_wrong_metadata_before_training(tmp_path):
    model = _embedding_model()
    before = [w.numpy().copy() for w in model.weights]
    (tmp_path / "short.tsv").write_text("a\nb\n")
    x = np.zeros((4, 3), "int32")
    for metadata, match in (({"nope": str(tmp_path / "short.tsv")}, "not Embedding layers"),
                            (str(tmp_path / "short.tsv"), "has 2 labels but")):
        tb = kcore.callbacks.TensorBoard(log_dir=tmp_path / "logs", embeddings_freq=1,
                                         embeddings_metadata=metadata)
        with pytest.raises(ValueError, match=match):
            model.fit(x, np.ones((4, 1), "float32"), epochs=1, verbose=0, callbacks=[tb])
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, model.weights))
