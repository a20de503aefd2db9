"""Every example runs: each script with ``--smoke`` in a subprocess, and the demo's outputs exist.

Subprocesses run in a temporary working directory with wandb offline and every wandb and
matplotlib directory redirected under ``tmp_path``, so nothing touches the network or the
user's home directory.
"""

import csv
import glob
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES_DIR = ROOT / "examples"
DEMO = EXAMPLES_DIR / "demo.py"
EXAMPLES = sorted(p for p in EXAMPLES_DIR.glob("*.py") if p != DEMO)
TIMEOUT = 300  # seconds per script; a smoke run takes a few seconds


def _env(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("WANDB_", "KCORE_")) or k == "KCORE_HOME"}
    home = tmp_path / "home"
    home.mkdir()
    env.update({
        "HOME": str(home), "MPLCONFIGDIR": str(tmp_path / "mpl"), "MPLBACKEND": "Agg",
        "TMPDIR": str(tmp_path / "tmp"),
        "WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_CONSOLE": "off",
        "WANDB_ERROR_REPORTING": "false", "WANDB_DISABLE_GIT": "true",
        "WANDB_DISABLE_CODE": "true", "WANDB__DISABLE_STATS": "true",
        "WANDB__SAVE_REQUIREMENTS": "false",
        "WANDB_DIR": str(tmp_path / "wandb_dir"), "WANDB_CACHE_DIR": str(tmp_path / "wbcache"),
        "WANDB_DATA_DIR": str(tmp_path / "wbdata"), "WANDB_CONFIG_DIR": str(tmp_path / "wbconfig"),
        "WANDB_ARTIFACT_DIR": str(tmp_path / "wbartifacts"),
        "PYTHONUNBUFFERED": "1",
    })
    (tmp_path / "tmp").mkdir()
    return env


def _run(args, tmp_path, env=None):
    cwd = tmp_path / "cwd"
    cwd.mkdir(exist_ok=True)
    result = subprocess.run([sys.executable, *map(str, args)], cwd=cwd, env=env or _env(tmp_path),
                            capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert result.returncode == 0, (
        f"{' '.join(map(str, args))} exited with {result.returncode}\n"
        f"--- stdout (tail) ---\n{result.stdout[-3000:]}\n--- stderr (tail) ---\n"
        f"{result.stderr[-5000:]}")
    return result


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs_with_smoke(script, tmp_path):
    writes = '"--output"' in script.read_text()
    _run([script, "--smoke"] + (["--output", tmp_path / "out"] if writes else []), tmp_path)
    # Files go to --output only; nothing lands in the working directory.
    assert not any((tmp_path / "cwd").iterdir())


def test_examples_default_output_folder_is_ignored_and_cleaned():
    gitignore = (ROOT / ".gitignore").read_text().split()
    assert "/examples/output/" in gitignore and "/demo_output/" in gitignore
    makefile = (ROOT / "Makefile").read_text()
    assert "examples/output" in makefile and "demo_output" in makefile
    for script in EXAMPLES:
        if '"--output"' in script.read_text():
            assert f'"output" / "{script.stem}"' in script.read_text()


@pytest.mark.parametrize("script", [*EXAMPLES, DEMO], ids=lambda p: p.stem)
def test_example_has_smoke_flag_and_uses_kcore_as_keras(script):
    text = script.read_text()
    assert '"--smoke"' in text
    assert "import kcore as keras" in text


def test_examples_readme_lists_every_example():
    readme = (EXAMPLES_DIR / "README.md").read_text()
    listed = set(re.findall(r"\(([\w]+\.py)\)", readme))
    assert listed == {p.name for p in [*EXAMPLES, DEMO]}
    assert "third_party_plugin" in readme


# -- the demo ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("demo")
    out = tmp_path / "out"
    result = _run([DEMO, "--smoke", "--output", out], tmp_path)
    return tmp_path, out, result.stdout


def test_demo_writes_checkpoint_csv_plot(demo_run):
    import kcore

    _, out, _ = demo_run
    model = kcore.models.load_model(out / "best_model.keras")
    assert model.output_shape == (None, 10)
    with open(out / "training_log.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["epoch"] for r in rows] == ["0", "1"]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"} <= set(rows[0])
    assert (out / "training_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "model.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_writes_tensorboard_events(demo_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    _, out, _ = demo_run
    (run_dir,) = (out / "tensorboard").iterdir()
    assert re.fullmatch(r"\d{8}-\d{6}", run_dir.name)
    for run in ("train", "validation"):
        files = glob.glob(str(run_dir / run / "events.out.tfevents.*"))
        assert files, f"no event file in tensorboard/{run_dir.name}/{run}"
        acc = EventAccumulator(str(run_dir / run), size_guidance={"scalars": 0})
        acc.Reload()
        assert [e.step for e in acc.Scalars("epoch_loss")] == [0, 1]


def test_demo_writes_wandb_offline_run_inside_output(demo_run):
    tmp_path, out, stdout = demo_run
    runs = glob.glob(str(out / "wandb" / "offline-run-*" / "run-*.wandb"))
    assert len(runs) == 1 and os.path.getsize(runs[0]) > 100
    # Nothing written outside the output directory: not in the working directory,
    # the (redirected) home directory or the temporary directory.
    assert not any((tmp_path / "cwd").iterdir())
    assert not any((tmp_path / "home").iterdir())
    assert not any((tmp_path / "tmp").iterdir())
    assert f"wandb sync {Path(runs[0]).parent}" in stdout


def test_demo_reports_accuracy_and_commands(demo_run):
    _, out, stdout = demo_run
    assert re.search(r"held-out digits: accuracy 0\.\d{4}", stdout)
    assert f"tensorboard --logdir {out / 'tensorboard'}" in stdout
    assert re.search(r"TensorBoard logs .*tensorboard/\d{8}-\d{6}\s+\(this run\)", stdout)
    assert str(out / "best_model.keras") in stdout


def test_demo_explains_a_missing_plugin(tmp_path):
    # A callback plugin that is not installed: hide kcore-lr's entry points from the demo.
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(
        "import importlib.metadata as md\n"
        "_orig = md.entry_points\n"
        "def entry_points(**kw):\n"
        "    eps = _orig(**kw)\n"
        "    return md.EntryPoints(e for e in eps if e.value.split(':')[0] != 'kcore_lr')"
        " if kw.get('group') == 'kcore.callbacks' else eps\n"
        "md.entry_points = entry_points\n")
    env = _env(tmp_path)
    env["PYTHONPATH"] = os.pathsep.join([str(shim), env.get("PYTHONPATH", "")])
    result = subprocess.run([sys.executable, str(DEMO), "--smoke", "--output", tmp_path / "o"],
                            env=env, capture_output=True, text=True, timeout=TIMEOUT,
                            check=False)
    assert result.returncode == 1
    assert "ReduceLROnPlateau" in result.stderr and "kcore-lr" in result.stderr


def test_demo_runs_twice_into_two_tensorboard_runs_and_logs_the_best_model(demo_run, tmp_path):
    _, out, _ = demo_run
    first = {p.name for p in (out / "tensorboard").iterdir()}
    again = _run([DEMO, "--smoke", "--output", out], tmp_path)
    runs = sorted(p.name for p in (out / "tensorboard").iterdir())
    assert len(runs) == 2 and first < set(runs)
    assert f"tensorboard/{(set(runs) - first).pop()}" in again.stdout


def test_demo_logs_the_best_checkpoint_as_a_wandb_artifact(demo_run):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "kcore_wandb_test_reader", ROOT / "plugins" / "wandb" / "tests" / "conftest.py")
    reader = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reader)
    _, out, stdout = demo_run
    run_dir = re.search(r"wandb sync (\S+)", stdout).group(1)
    run = reader._read_offline_run(run_dir)
    (artifact,) = run["artifacts"]
    assert artifact["name"] == f"run_{run['run']['id']}_model" and artifact["type"] == "model"
    assert artifact["aliases"] == ["best", "latest"]
    assert [f for f, _ in artifact["files"]] == ["best_model.keras"]
    assert artifact["metadata"]["test_accuracy"] == pytest.approx(run["summary"]["test_accuracy"])
