"""Name resolution through the ``kcore.callbacks`` / ``kcore.metrics`` entry-point groups."""

import sys

import pytest

import kcore.callbacks
from kcore.callbacks import Callback
from kcore.hooks import registry

CALLBACK_MODULE = """
from kcore.callbacks import Callback

class Countdown(Callback):
    def __init__(self, start=3):
        super().__init__()
        self.start = start
"""

METRIC_MODULE = """
class AUC:
    pass

def hinge_like(y_true, y_pred):
    return 0.0
"""


@pytest.fixture
def plugin_dists(make_dist):
    make_dist("kcore-countdown", "0.2", {"kcore.callbacks": {"Countdown": "kcoretest_cd:Countdown"}},
              {"kcoretest_cd": CALLBACK_MODULE})
    make_dist("kcore-fakemetrics", "0.3", {"kcore.metrics": {
        "AUC": "kcoretest_fm:AUC", "auc": "kcoretest_fm:AUC",
        "hinge_like": "kcoretest_fm:hinge_like"}}, {"kcoretest_fm": METRIC_MODULE})


def test_listing_imports_nothing(plugin_dists):
    names = [info.name for info in registry.installed("kcore.metrics")]
    assert names == ["AUC", "auc", "hinge_like"]
    info = registry.installed("callbacks")[0]
    assert (info.name, info.distribution, info.version) == ("Countdown", "kcore-countdown", "0.2")
    assert "kcoretest_cd" not in sys.modules and "kcoretest_fm" not in sys.modules


def test_resolve_is_lazy_and_handles_aliases(plugin_dists):
    auc = registry.resolve("kcore.metrics", "auc")
    assert auc.__name__ == "AUC"
    assert registry.resolve("kcore.metrics", "AUC") is auc
    assert registry.resolve("kcore.metrics", "Hinge_Like").__name__ == "hinge_like"
    assert "kcoretest_cd" not in sys.modules


def test_module_getattr_and_get_resolve_plugin_callbacks(plugin_dists):
    cls = kcore.callbacks.Countdown
    assert issubclass(cls, Callback)
    assert isinstance(kcore.callbacks.get("Countdown"), cls)
    configured = kcore.callbacks.get({"class_name": "Countdown", "config": {"start": 7}})
    assert configured.start == 7
    del kcore.callbacks.Countdown  # undo the module attribute cache for other tests


def test_unknown_name_names_the_plugin_distribution(isolated_path):
    with pytest.raises(ValueError) as info:
        registry.resolve("kcore.callbacks", "EarlyStopping")
    message = str(info.value)
    assert "kcore-earlystopping" in message
    assert "pip install kcore-earlystopping" in message
    assert "pip install -e plugins/earlystopping" in message
    with pytest.raises(ValueError, match="'auc' \\(AUC\\).*kcore-metrics"):
        registry.resolve("kcore.metrics", "auc")


def test_unknown_name_lists_available_and_closest(plugin_dists):
    with pytest.raises(ValueError) as info:
        registry.resolve("kcore.callbacks", "CountDwn", builtin_names=["History"])
    message = str(info.value)
    assert "Did you mean 'Countdown'?" in message
    assert "Available callbacks: Countdown, History." in message
    with pytest.raises(ValueError, match="Did you mean 'EarlyStopping' .*kcore-earlystopping"):
        registry.resolve("kcore.callbacks", "EarlyStoping")


def test_module_getattr_raises_attribute_error(isolated_path, monkeypatch):
    # An earlier test may have resolved (and cached) the installed plugin's class.
    monkeypatch.delattr(kcore.callbacks, "ModelCheckpoint", raising=False)
    with pytest.raises(AttributeError, match="pip install kcore-checkpoint"):
        kcore.callbacks.ModelCheckpoint
    assert not hasattr(kcore.callbacks, "NoSuchCallback")
    with pytest.raises(AttributeError):
        kcore.callbacks.__wrapped__


def test_get_rejects_classes_and_bad_configs(isolated_path):
    with pytest.raises(TypeError, match="pass an instance"):
        kcore.callbacks.get(Callback)
    with pytest.raises(ValueError, match="class_name"):
        kcore.callbacks.get({"config": {}})
    assert isinstance(kcore.callbacks.get("History"), kcore.callbacks.History)


def test_ambiguous_alias_is_an_error(make_dist):
    make_dist("kcore-a", "1", {"kcore.metrics": {"Thing": "kcoretest_a:Thing"}},
              {"kcoretest_a": "class Thing: pass\n"})
    make_dist("kcore-b", "1", {"kcore.metrics": {"thing": "kcoretest_b:Thing"}},
              {"kcoretest_b": "class Thing: pass\n"})
    assert registry.resolve("kcore.metrics", "thing").__module__ == "kcoretest_b"
    with pytest.raises(ValueError, match="ambiguous"):
        registry.resolve("kcore.metrics", "THING")


def test_providers_table_matches_the_plugins_entry_points():
    """``registry.PROVIDERS`` (used when a plugin is *not* installed) repeats what the
    plugins' ``pyproject.toml`` files declare; this keeps the two equal."""
    import pathlib
    import tomllib

    root = pathlib.Path(__file__).resolve().parents[2] / "plugins"
    declared = {}
    for pyproject in sorted(root.glob("*/pyproject.toml")):
        project = tomllib.loads(pyproject.read_text())["project"]
        for group in (registry.CALLBACKS_GROUP, registry.METRICS_GROUP):
            for name in project.get("entry-points", {}).get(group, {}):
                declared[name] = project["name"]
    assert declared, f"no plugin pyproject.toml found under {root}"
    canonical = {name: dist for name, dist in declared.items() if name[0].isupper()}
    assert canonical == registry.PROVIDERS
    normalized = {name.replace("_", "").lower(): dist for name, dist in registry.PROVIDERS.items()}
    for alias, dist in declared.items():
        assert normalized.get(alias.replace("_", "").lower()) == dist, alias
