"""Entry-point loading of ``kcore.plugins``: isolation, switches, strict mode, listing.

Each test installs real distributions (dist-info + modules) into a directory on
``sys.path`` with the ``make_dist`` fixture.
"""

import sys

import pluggy
import pytest

import kcore.hooks
from kcore.__main__ import main
from kcore.hooks import PluginLoadError, create_plugin_manager, get_plugin_manager

GOOD = """
import kcore.hooks

@kcore.hooks.hookimpl
def kcore_on_epoch_end(epoch, logs):
    logs["{key}"] = epoch
"""

BROKEN = """
import tensorboard_does_not_exist
"""


@pytest.fixture
def three_plugins(make_dist):
    make_dist("kcore-alpha", "1.0", {"kcore.plugins": {"alpha": "kcoretest_alpha"}},
              {"kcoretest_alpha": GOOD.format(key="alpha")})
    make_dist("kcore-broken", "0.0.1", {"kcore.plugins": {"broken": "kcoretest_broken"}},
              {"kcoretest_broken": BROKEN})
    make_dist("kcore-zeta", "2.0", {"kcore.plugins": {"zeta": "kcoretest_zeta"}},
              {"kcoretest_zeta": GOOD.format(key="zeta")})


def _fire_epoch_end(pm):
    logs = {}
    pm.hook.kcore_on_epoch_end(model=None, epoch=1, logs=logs)
    return logs


def test_broken_plugin_is_isolated_and_reported(three_plugins):
    with pytest.warns(RuntimeWarning) as record:
        pm = create_plugin_manager(autoload=True)
    message = str(record[0].message)
    for part in ("'broken'", "kcoretest_broken", "kcore-broken 0.0.1", "ModuleNotFoundError",
                 "tensorboard_does_not_exist"):
        assert part in message
    assert pm.has_plugin("alpha") and pm.has_plugin("zeta") and not pm.has_plugin("broken")
    assert [p.name for p in pm.loaded_plugins if p.name in ("alpha", "zeta", "broken")] == ["alpha", "zeta"]  # sorted by name
    assert [(p.distribution, p.version) for p in pm.loaded_plugins] == [
        ("kcore-alpha", "1.0"), ("kcore-zeta", "2.0")]
    assert [(f.name, f.distribution, f.exc_type) for f in pm.load_failures] == [
        ("broken", "kcore-broken", "ModuleNotFoundError")]
    assert _fire_epoch_end(pm) == {"alpha": 1, "zeta": 1}


def test_strict_mode_raises(three_plugins, monkeypatch):
    with pytest.raises(PluginLoadError, match="kcore-broken 0.0.1"):
        create_plugin_manager(autoload=True, strict=True)
    monkeypatch.setenv("KCORE_STRICT_PLUGINS", "1")
    with pytest.raises(PluginLoadError, match="ModuleNotFoundError"):
        create_plugin_manager(autoload=True)


def test_disable_autoload_switch(three_plugins, monkeypatch):
    monkeypatch.setenv("KCORE_DISABLE_PLUGIN_AUTOLOAD", "1")
    pm = get_plugin_manager()
    assert not pm.loaded_plugins and not pm.load_failures
    assert "kcoretest_alpha" not in sys.modules


def test_kcore_plugins_list_is_honoured_without_autoload(three_plugins, make_dist, monkeypatch):
    monkeypatch.setenv("KCORE_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("KCORE_PLUGINS", "zeta, kcoretest_extra")
    import pathlib
    site = pathlib.Path(sys.path[0])
    (site / "kcoretest_extra.py").write_text(GOOD.format(key="extra"))
    pm = get_plugin_manager()
    assert [p.name for p in pm.loaded_plugins] == ["zeta", "kcoretest_extra"]
    assert "kcoretest_broken" not in sys.modules
    assert _fire_epoch_end(pm) == {"zeta": 1, "extra": 1}


def test_kcore_plugins_unknown_name_is_reported(isolated_path, monkeypatch):
    monkeypatch.setenv("KCORE_PLUGINS", "nope")
    with pytest.warns(RuntimeWarning, match="no entry point named 'nope'"):
        pm = get_plugin_manager()
    assert pm.load_failures[0].name == "nope"


def test_disable_plugins_env_blocks_without_importing(three_plugins, monkeypatch):
    monkeypatch.setenv("KCORE_DISABLE_PLUGIN_AUTOLOAD", "0")
    monkeypatch.setenv("KCORE_DISABLE_PLUGINS", "broken,alpha")
    pm = get_plugin_manager()
    assert [p.name for p in pm.loaded_plugins] == ["zeta"]
    assert not pm.load_failures
    assert "kcoretest_broken" not in sys.modules and "kcoretest_alpha" not in sys.modules
    assert pm.is_blocked("alpha")


def test_disable_plugins_api(three_plugins, monkeypatch):
    monkeypatch.setenv("KCORE_DISABLE_PLUGIN_AUTOLOAD", "0")
    kcore.hooks.disable_plugins(["broken"])
    pm = get_plugin_manager()  # created after: never imports it
    assert not pm.load_failures and pm.has_plugin("alpha")
    kcore.hooks.disable_plugins("alpha")  # already loaded: unregistered
    assert not pm.has_plugin("alpha")
    assert _fire_epoch_end(pm) == {"zeta": 1}


TYPO = """
import kcore.hooks

@kcore.hooks.hookimpl
def kcore_on_epoch_ned(epoch, logs):
    pass
"""


def test_misspelled_hook_in_entry_point_plugin_is_a_load_failure(make_dist, capsys):
    make_dist("kcore-typo", "0.1", {"kcore.plugins": {"typo": "kcoretest_typo"}},
              {"kcoretest_typo": TYPO})
    with pytest.warns(RuntimeWarning, match="kcore_on_epoch_ned.*did you mean kcore_on_epoch_end"):
        pm = create_plugin_manager(autoload=True)
    assert not pm.has_plugin("typo")
    assert [(f.name, f.distribution, f.exc_type) for f in pm.load_failures] == [
        ("typo", "kcore-typo", "PluginValidationError")]
    # fit still works in that environment, and the listing shows the failure.
    import numpy as np

    import kcore
    from kcore.hooks import manager

    manager._manager = pm
    model = kcore.Sequential([kcore.Input((2,)), kcore.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert main(["plugins"]) == 1
    out = capsys.readouterr().out
    assert "load failures:" in out and "kcore_on_epoch_ned" in out and "kcore-typo 0.1" in out


def test_misspelled_hook_is_an_error_in_strict_mode(make_dist, monkeypatch):
    make_dist("kcore-typo", "0.1", {"kcore.plugins": {"typo": "kcoretest_typo"}},
              {"kcoretest_typo": TYPO})
    monkeypatch.setenv("KCORE_STRICT_PLUGINS", "1")
    with pytest.raises(PluginLoadError, match="kcore_on_epoch_ned"):
        create_plugin_manager(autoload=True)


def test_misspelled_hook_in_a_plugin_registered_by_hand_fails_loudly():
    class Typo:
        @kcore.hooks.hookimpl
        def kcore_on_epoch_ned(self, epoch, logs):
            pass

    pm = create_plugin_manager(autoload=False)
    pm.register(Typo())
    with pytest.raises(pluggy.PluginValidationError, match="kcore_on_epoch_ned"):
        pm.check_pending()


def test_plugin_with_defaulted_impl_is_a_load_failure(make_dist):
    make_dist("kcore-defaults", "0.1", {"kcore.plugins": {"defaults": "kcoretest_defaults"}},
              {"kcoretest_defaults": """
                  import kcore.hooks

                  @kcore.hooks.hookimpl
                  def kcore_on_epoch_end(epoch, logs=None):
                      pass
              """})
    with pytest.warns(RuntimeWarning, match="PluginValidationError.*logs=None"):
        pm = create_plugin_manager(autoload=True)
    assert not pm.has_plugin("defaults")


def test_cli_lists_plugins_without_importing_callbacks_or_metrics(make_dist, monkeypatch, capsys):
    monkeypatch.setenv("KCORE_DISABLE_PLUGIN_AUTOLOAD", "0")
    make_dist("kcore-alpha", "1.0", {"kcore.plugins": {"alpha": "kcoretest_alpha"}},
              {"kcoretest_alpha": GOOD.format(key="alpha")})
    make_dist("kcore-broken", "0.0.1", {"kcore.plugins": {"broken": "kcoretest_broken"}},
              {"kcoretest_broken": BROKEN})
    make_dist("kcore-heavy", "3.1", {
        "kcore.callbacks": {"HeavyLogger": "kcoretest_heavy:HeavyLogger"},
        "kcore.metrics": {"HeavyMetric": "kcoretest_heavy:HeavyMetric",
                          "heavy_metric": "kcoretest_heavy:HeavyMetric"},
    }, {"kcoretest_heavy": "raise ImportError('must not be imported by the listing')\n"})
    with pytest.warns(RuntimeWarning):
        status = main(["plugins"])
    out = capsys.readouterr().out
    assert status == 1  # a plugin failed to load
    assert "kcoretest_heavy" not in sys.modules
    assert "kcore-alpha 1.0" in out and "kcore-heavy 3.1" in out
    assert "kcore.plugins: alpha = kcoretest_alpha  [hooks: kcore_on_epoch_end]" in out
    assert "kcore.callbacks: HeavyLogger = kcoretest_heavy:HeavyLogger" in out
    assert "kcore.metrics: heavy_metric = kcoretest_heavy:HeavyMetric" in out
    assert "load failures:" in out and "kcore-broken 0.0.1" in out
