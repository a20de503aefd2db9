"""The logs of a real ``fit``, served by a real ``tensorboard`` process on 127.0.0.1."""

import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

import kcore

START_TIMEOUT = 60  # seconds; the server normally starts in under 1 s


def _get(url, path, **query):
    if query:
        path += "?" + urllib.parse.urlencode(query)
    with urllib.request.urlopen(url + path, timeout=10) as response:
        return json.loads(response.read())


def _wait_for(predicate, deadline):
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("tensorboard did not serve the expected data in time")


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

    tags = _wait_for(loaded, deadline)
    assert {"epoch_loss", "epoch_mae", "epoch_learning_rate"} <= set(tags["train"])
    assert {"epoch_loss", "evaluation_loss_vs_iterations"} <= set(tags["validation"])
    for run, key in (("train", "loss"), ("validation", "val_loss")):
        series = _get(url, "data/plugin/scalars/scalars", run=run, tag="epoch_loss")
        assert [(step, value) for _, step, value in series] == [
            (e, pytest.approx(v)) for e, v in enumerate(history.history[key])]
    # the graph dashboard sees the Keras model as a conceptual graph
    info = _wait_for(lambda: _get(url, "data/plugin/graphs/info").get("train"), deadline)
    assert info["tags"]["keras"]["conceptual_graph"] is True
