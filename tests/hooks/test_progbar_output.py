"""The progress output of real fits, as a terminal and as a pipe see it.

Each case runs a small ``fit``/``evaluate``/``predict`` in a child process whose stdout is
a pseudo-terminal (of width 0, as ``docker run -t`` reports, or 80) or a pipe.
"""

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios

import pytest

from kcore.callbacks.progbar_logger import format_bar_line, format_eta

SCRIPT = r'''
import sys
import numpy as np
import kcore
kcore.utils.set_random_seed(0)
m = kcore.Sequential([kcore.Input((4,)), kcore.layers.Dense(3, activation="softmax")])
m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
x = np.random.rand(64, 4).astype("float32"); y = np.random.randint(0, 3, 64)
verbose = sys.argv[1] if sys.argv[1] == "auto" else int(sys.argv[1])
m.fit(x, y, epochs=2, batch_size=8, validation_split=0.25, verbose=verbose)
m.evaluate(x, y, verbose=verbose)
m.predict(x, verbose=verbose)
'''
ANSI = re.compile(r"\x1b\[[0-9;]*m")
NUM = r"\d+\.\d{4}(e[-+]\d+)?"
STEP = r"\d+(us|ms|s)/step"
FIT_BAR = (rf"6/6 ━{{20}} \d+s {STEP} - accuracy: {NUM} - loss: {NUM}"
           rf" - val_accuracy: {NUM} - val_loss: {NUM}")
EVAL_BAR = rf"2/2 ━{{20}} \d+s {STEP} - accuracy: {NUM} - loss: {NUM}"
PREDICT_BAR = rf"2/2 ━{{20}} \d+s {STEP}"


def run_in_terminal(verbose, columns):
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = dict(os.environ, KCORE_DISABLE_PLUGIN_AUTOLOAD="1")
    env.pop("NO_COLOR", None)
    child = subprocess.Popen([sys.executable, "-c", SCRIPT, str(verbose)], stdin=subprocess.DEVNULL,
                             stdout=slave, stderr=subprocess.PIPE, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert child.wait(timeout=120) == 0, child.stderr.read().decode()
    return b"".join(chunks).decode()


def run_in_pipe(verbose):
    env = dict(os.environ, KCORE_DISABLE_PLUGIN_AUTOLOAD="1")
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(verbose)], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def shown_lines(raw):
    """What a terminal shows at the end: each line's text after its last carriage return."""
    return [ANSI.sub("", line.split("\r")[-1]) for line in raw.replace("\r\n", "\n").split("\n")]


@pytest.mark.slow
@pytest.mark.parametrize("columns", [0, 80])
def test_terminal_bar_keeps_the_metrics_line_at_any_width(columns):
    raw = run_in_terminal("auto", columns)
    assert "\x1b[32m━" in raw  # the done part of the bar is green, as in Keras
    lines = [l for l in shown_lines(raw) if l]
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2", lines
    assert re.fullmatch(FIT_BAR, lines[1]) and re.fullmatch(FIT_BAR, lines[3]), lines
    assert re.fullmatch(EVAL_BAR, lines[4]), lines
    assert re.fullmatch(PREDICT_BAR, lines[5]), lines
    assert len(lines) == 6


@pytest.mark.slow
def test_not_a_terminal_auto_prints_one_line_per_epoch():
    lines = run_in_pipe("auto").splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    epoch_line = (rf"6/6 - \d+s - {STEP} - accuracy: {NUM} - loss: {NUM}"
                  rf" - val_accuracy: {NUM} - val_loss: {NUM}")
    assert re.fullmatch(epoch_line, lines[1]) and re.fullmatch(epoch_line, lines[3]), lines
    assert re.fullmatch(rf"2/2 - \d+s - {STEP} - accuracy: {NUM} - loss: {NUM}", lines[4])
    assert re.fullmatch(rf"2/2 - \d+s - {STEP}", lines[5]) and len(lines) == 6


@pytest.mark.slow
def test_not_a_terminal_verbose_1_prints_the_finished_bar_once_per_pass():
    out = run_in_pipe(1)
    assert "\r" not in out and "\x1b" not in out
    lines = out.splitlines()
    assert lines[0] == "Epoch 1/2" and re.fullmatch(FIT_BAR, lines[1]), lines
    assert re.fullmatch(FIT_BAR, lines[3]) and re.fullmatch(EVAL_BAR, lines[4])
    assert re.fullmatch(PREDICT_BAR, lines[5]) and len(lines) == 6


def test_bar_line_reads_like_keras():
    logs = {"accuracy": 0.81, "loss": 0.52}
    assert format_bar_line(12, 36, 0.4, 0.002, logs, finished=False) == (
        "12/36 ━━━━━━               0s 2ms/step - accuracy: 0.8100 - loss: 0.5200")
    assert format_bar_line(36, 36, 1.2, 0.002, logs, finished=True) == (
        "36/36 ━━━━━━━━━━━━━━━━━━━━ 1s 2ms/step - accuracy: 0.8100 - loss: 0.5200")
    colored = format_bar_line(9, 36, 1.0, 0.1, logs, finished=False, color=True)
    assert colored.startswith("\x1b[1m 9/36\x1b[0m \x1b[32m━━━━━\x1b[0m\x1b[37m━━━━━━━━━━━━━━━")
    assert " \x1b[1m3s\x1b[0m 100ms/step" in colored  # 27 steps left at 0.1 s
    assert format_bar_line(12, None, 3.0, 0.25, {}, finished=False) == (
        "     12/Unknown 3s 250ms/step")


def test_eta_formats_like_keras():
    assert format_eta(7.2) == "7s"
    assert format_eta(80) == "1:20"
    assert format_eta(3723) == "1:02:03"
