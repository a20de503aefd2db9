"""Fixtures for the plugin-system tests.

``make_dist`` writes a real installed distribution (a ``*.dist-info`` directory
with ``METADATA`` and ``entry_points.txt`` next to its modules) into a
directory on ``sys.path``; ``importlib.metadata`` finds it exactly like one
installed by pip. ``isolated_path`` removes site-packages from ``sys.path`` so
that plugin distributions installed in the environment (``make test``
installs all of kcore's) do not change what a test sees.
"""

import importlib
import os
import sys
import textwrap

import pytest

from kcore.hooks import manager

_KCORE_ENV = (
    "KCORE_DISABLE_PLUGIN_AUTOLOAD", "KCORE_PLUGINS", "KCORE_DISABLE_PLUGINS",
    "KCORE_STRICT_PLUGINS", "KCORE_DEBUG_HOOKS",
)


@pytest.fixture(autouse=True)
def clean_plugin_state(monkeypatch):
    """Fresh singleton per test; installed entry-point plugins off unless a test enables them."""
    for name in _KCORE_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KCORE_DISABLE_PLUGIN_AUTOLOAD", "1")
    manager.reset_plugin_manager()
    modules_before = set(sys.modules)
    yield
    manager.reset_plugin_manager()
    for name in set(sys.modules) - modules_before:
        if name.startswith("kcoretest_"):
            del sys.modules[name]


def _holds_plugin_metadata(path):
    """True for a sys.path entry holding a kcore plugin's metadata (editable installs)."""
    try:
        names = os.listdir(path or ".")
    except OSError:
        return False
    return any(n.startswith("kcore_") and n.endswith((".egg-info", ".dist-info")) for n in names)


@pytest.fixture
def isolated_path(monkeypatch, tmp_path):
    """``sys.path`` without site-packages, plus an empty directory for test distributions."""
    site = tmp_path / "site"
    site.mkdir()
    kept = [p for p in sys.path if "site-packages" not in p and "dist-packages" not in p
            and not _holds_plugin_metadata(p)]
    monkeypatch.setattr(sys, "path", [str(site)] + kept)
    importlib.invalidate_caches()
    return site


@pytest.fixture
def make_dist(isolated_path):
    """Install a distribution: ``make_dist(name, version, entry_points, modules)``.

    Args:
        name: distribution name, e.g. ``"kcore-broken"``.
        version: version string.
        entry_points: ``{group: {ep_name: "module:attr"}}``.
        modules: ``{"module_name": "source code"}`` written as top-level modules.
    """
    def make(name, version, entry_points, modules=None):
        for module, source in (modules or {}).items():
            (isolated_path / f"{module}.py").write_text(textwrap.dedent(source))
        info = isolated_path / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        lines = []
        for group, eps in entry_points.items():
            lines.append(f"[{group}]")
            lines += [f"{ep} = {value}" for ep, value in eps.items()]
            lines.append("")
        (info / "entry_points.txt").write_text("\n".join(lines))
        importlib.invalidate_caches()
        return info

    return make
