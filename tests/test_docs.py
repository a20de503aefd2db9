"""The guides in ``docs/`` are true: their Python blocks run, and the API reference is current.

Every ```python block of a guide is executed, in order, in one namespace per guide, in a
subprocess whose working directory is a temporary directory (wandb offline, all its
directories redirected there). A block fenced as ```python no-run is only compiled.
``docs/plugins.md`` documents fragments of plugin code (methods, hook functions), so its
blocks are compiled, not run.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
GUIDES = sorted(p for p in DOCS.glob("*.md"))
FRAGMENT_GUIDES = {"plugins.md"}
FENCE = re.compile(r"^```python([^\n]*)\n(.*?)^```\s*$", re.S | re.M)

RUNNER = r"""
import json, sys, traceback
blocks = json.load(open(sys.argv[1]))
namespace = {"__name__": "__main__"}
for block in blocks:
    code = compile(block["code"], f"{block['file']}:{block['line']}", "exec")
    if block["run"]:
        exec(code, namespace)
print(f"ran {sum(b['run'] for b in blocks)} of {len(blocks)} blocks")
"""


def python_blocks(path):
    """``[(line, info, code)]`` of the ```python fences of a Markdown file."""
    text = path.read_text()
    return [(text.count("\n", 0, m.start()) + 2, m.group(1).strip(), m.group(2))
            for m in FENCE.finditer(text)]


def _env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "KCORE_"))}
    env.update({
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(tmp_path / "mpl"),
        "WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_CONSOLE": "off",
        "WANDB_ERROR_REPORTING": "false", "WANDB_DISABLE_GIT": "true",
        "WANDB__DISABLE_STATS": "true", "WANDB__SAVE_REQUIREMENTS": "false",
        "WANDB_DIR": str(tmp_path), "WANDB_CACHE_DIR": str(tmp_path / "wbcache"),
        "WANDB_DATA_DIR": str(tmp_path / "wbdata"), "WANDB_CONFIG_DIR": str(tmp_path / "wbconfig"),
    })
    return env


def test_guides_exist_and_have_code():
    names = {p.name for p in GUIDES}
    assert {"getting_started.md", "models.md", "training.md", "metrics.md", "saving.md",
            "logging.md", "performance.md", "plugins.md"} <= names
    for guide in GUIDES:
        if guide.name not in ("README.md", "performance.md"):
            assert python_blocks(guide), f"{guide.name} has no ```python block"


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: p.name)
def test_guide_code_runs(guide, tmp_path):
    import json

    blocks = [{"file": f"docs/{guide.name}", "line": line, "code": code,
               "run": info != "no-run" and guide.name not in FRAGMENT_GUIDES}
              for line, info, code in python_blocks(guide)]
    if not blocks:
        pytest.skip(f"{guide.name} has no Python blocks")
    job = tmp_path / "blocks.json"
    job.write_text(json.dumps(blocks))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    result = subprocess.run([sys.executable, "-c", RUNNER, str(job)], cwd=cwd,
                            env=_env(tmp_path), capture_output=True, text=True, timeout=600,
                            check=False)
    assert result.returncode == 0, (
        f"a code block of docs/{guide.name} failed:\n{result.stderr[-4000:]}")
    ran = sum(b["run"] for b in blocks)
    assert f"ran {ran} of {len(blocks)} blocks" in result.stdout


def test_no_run_is_used_sparingly():
    no_run = [(g.name, line) for g in GUIDES for line, info, _ in python_blocks(g)
              if info == "no-run"]
    assert len(no_run) <= 4, no_run


def test_relative_links_resolve():
    link = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
    for guide in [*GUIDES, ROOT / "examples" / "README.md"]:
        for target in link.findall(guide.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            if target == "../benchmarks/README.md":
                continue  # written by the lead alongside `make bench`
            assert (guide.parent / target).exists(), f"{guide.name}: broken link {target}"


def _generator():
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate_api", DOCS / "generate_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_api_reference_is_current(tmp_path):
    """The committed pages are exactly what ``make docs`` generates now."""
    out = tmp_path / "api"
    result = subprocess.run([sys.executable, str(DOCS / "generate_api.py"), "--output", str(out)],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    generated = {p.name: p.read_text() for p in out.glob("*.md")}
    committed = {p.name: p.read_text() for p in (DOCS / "api").glob("*.md")}
    hint = "docs/api is stale: run `make docs` and commit docs/api/"
    assert set(generated) == set(committed), hint
    stale = sorted(name for name in generated if generated[name] != committed[name])
    assert not stale, f"{hint} ({', '.join(stale)} differ)"
    assert "class `Dense`" in generated["kcore.layers.md"]
    assert "### `load_model`" in generated["kcore.models.md"]


def test_api_reference_covers_every_public_namespace():
    """A new public ``kcore.<module>`` gets a page (or is named here as internal)."""
    import inspect

    import kcore

    internal = {"backend", "trainers"}  # the engine's implementation, not a Keras namespace
    public = {f"kcore.{name}" for name, value in vars(kcore).items()
              if inspect.ismodule(value) and not name.startswith("_") and name not in internal}
    missing = public - set(_generator().MODULES)
    assert not missing, f"add {sorted(missing)} to MODULES in docs/generate_api.py"


def test_publishing_shows_a_complete_pyproject_of_the_tested_example():
    import tomllib

    text = (DOCS / "plugins.md").read_text()
    section = text[text.index("## Publishing"):text.index("\n## ", text.index("## Publishing"))]
    documented = tomllib.loads(re.search(r"```toml\n(.*?)```", section, re.S).group(1))
    example_dir = ROOT / "examples" / "third_party_plugin"
    example = tomllib.loads((example_dir / "pyproject.toml").read_text())
    assert documented["project"].pop("dependencies") == ["kcore>=0.1"]
    example["project"].pop("dependencies")
    assert documented == example  # the documented file is the one the tests pip-install
    groups = documented["project"]["entry-points"]
    assert set(groups) == {"kcore.plugins", "kcore.callbacks", "kcore.metrics"}
    assert documented["build-system"]["build-backend"] == "setuptools.build_meta"
    assert documented["tool"]["setuptools"]["packages"]["find"]["where"] == ["src"]
    for target in (t for group in groups.values() for t in group.values()):
        module = target.split(":")[0]
        assert (example_dir / "src" / (module.replace(".", "/") + ".py")).exists(), target
    assert "(metrics.md#writing-a-metric)" in section
    assert "### Who sees `logs`, in which order" in section
    assert "## Writing a metric" in (DOCS / "metrics.md").read_text()
