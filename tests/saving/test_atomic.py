"""``kcore.saving.atomic_write``: no torn file, and no temporary left behind after a kill."""

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import kcore
from kcore.saving import atomic
from kcore.saving.atomic import TMP_MARKER, atomic_write

KILLS_PER_KIND = 3

CHILD = textwrap.dedent("""
    import sys, numpy as np, kcore
    kind, path = sys.argv[1], sys.argv[2]
    kcore.utils.set_random_seed(0)
    model = kcore.Sequential([kcore.Input((300,)), kcore.layers.Dense(800),
                              kcore.layers.Dense(800), kcore.layers.Dense(1)])
    model.compile("adam", "mse")
    model.train_on_batch(np.ones((4, 300), "float32"), np.ones((4, 1), "float32"))
    for i in range(10**6):  # saves until killed
        if kind == "save":
            model.save(path)
        elif kind == "save_folder":
            model.save(path, zipped=False)
        else:
            model.save_weights(path)
        if i == 0:
            open(sys.argv[3], "w").close()
""")


def _leftovers(directory, keep=()):
    """Every file in ``directory`` but the ``keep`` ones: temporaries of any naming scheme."""
    return sorted(n for n in os.listdir(directory) if n not in keep)


def _kill_at_random_moment(args, ready, gen):
    """Starts ``args + [ready]``; once it creates ``ready``, SIGKILLs it a random moment later."""
    if os.path.exists(ready):
        os.remove(ready)
    proc = subprocess.Popen(args + [ready], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not os.path.exists(ready):
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode())
        assert time.monotonic() < deadline, "the child never wrote its first file"
        time.sleep(0.02)
    time.sleep(gen.uniform(0.0, 0.6))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()


def _save(model, kind, path):
    if kind == "save_folder":
        model.save(path, zipped=False)
    else:
        getattr(model, kind)(path)


@pytest.mark.parametrize("kind, name", [("save", "model.h5"),
                                        ("save_weights", "model.weights.h5"),
                                        ("save_folder", "model_dir")])
def test_sigkill_during_save_leaves_previous_file_and_no_leftover(tmp_path, kind, name):
    gen = random.Random(f"{kind}-kills")
    directory = tmp_path / "out"
    path = str(directory / name)
    left_by_kills = 0
    for _ in range(KILLS_PER_KIND):
        _kill_at_random_moment([sys.executable, "-c", CHILD, kind, path],
                               str(tmp_path / "ready"), gen)
        left_by_kills += len(_leftovers(directory, keep=[name]))
        model = (kcore.models.load_model(path) if kind != "save_weights" else None)
        if model is None:  # the previous weights file is intact and loadable
            model = kcore.Sequential([kcore.Input((300,)), kcore.layers.Dense(800),
                                      kcore.layers.Dense(800), kcore.layers.Dense(1)])
            model.load_weights(path)
        # The next successful save to that path removes what the killed writer left.
        _save(model, kind, path)
        assert _leftovers(directory, keep=[name]) == []
    print(f"{kind}: {KILLS_PER_KIND} kills, {left_by_kills} temporaries left by them, "
          f"0 after the next save")


def test_exception_while_writing_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    path = tmp_path / "log.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(path) as tmp:
            with open(tmp, "w") as f:
                f.write("half")
            raise RuntimeError("disk full")
    assert path.read_text() == "old"
    assert _leftovers(tmp_path, keep=["log.txt"]) == []


def test_temporary_is_named_after_target_host_and_pid(tmp_path):
    with atomic_write(tmp_path / "a.csv") as tmp:
        name = os.path.basename(tmp)
        assert name.startswith("a.csv" + TMP_MARKER)
        assert f"-{os.getpid()}-" in name
        with open(tmp, "w") as f:
            f.write("x")
    assert (tmp_path / "a.csv").read_text() == "x"


def _dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_only_stale_temporaries_are_removed(tmp_path):
    host = atomic._host()
    dead = tmp_path / f"m.h5{TMP_MARKER}{host}-{_dead_pid()}-0a1b"
    live = tmp_path / f"m.h5{TMP_MARKER}{host}-{os.getppid()}-0a1b"  # pytest's parent runs
    own = tmp_path / f"m.h5{TMP_MARKER}{host}-{os.getpid()}-0a1b"   # another thread's write
    other_host = tmp_path / f"m.h5{TMP_MARKER}not-{host}-{_dead_pid()}-0a1b"
    unrelated = tmp_path / "m.h5.tmp-123"
    for p in (dead, live, own, other_host, unrelated):
        p.write_text("partial")
    old = time.time() + 10  # mtimes after the parent's start: its PID is not a reused one
    os.utime(live, (old, old))
    with atomic_write(tmp_path / "other.h5") as tmp:
        open(tmp, "w").close()
    assert not dead.exists()
    assert live.exists() and own.exists() and other_host.exists() and unrelated.exists()


def test_temporary_older_than_the_process_holding_its_pid_is_stale(tmp_path):
    if not os.path.exists(f"/proc/{os.getppid()}/stat"):
        pytest.skip("process start times come from /proc")
    reused = tmp_path / f"m.h5{TMP_MARKER}{atomic._host()}-{os.getppid()}-0a1b"
    reused.write_text("partial")
    os.utime(reused, (1_000_000, 1_000_000))  # written in 1970, long before the parent began
    assert atomic.remove_stale_temporaries(str(tmp_path)) == [str(reused)]


def test_atomic_write_is_public_and_keeps_permissions(tmp_path):
    assert kcore.saving.atomic_write is atomic_write
    path = tmp_path / "x.bin"
    path.write_bytes(b"1")
    os.chmod(path, 0o640)
    with kcore.saving.atomic_write(str(path)) as tmp:
        np.save(open(tmp, "wb"), np.arange(3))
    assert os.stat(path).st_mode & 0o777 == 0o640
