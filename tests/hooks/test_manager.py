"""KcorePluginManager: registration policy, gate, pending check, tracing (real pluggy)."""

import types

import pluggy
import pytest

from kcore.hooks import create_plugin_manager, get_plugin_manager, hookimpl, reset_plugin_manager
from kcore.hooks import hookspecs
from kcore.hooks.manager import KcorePluginManager


def test_pluggy_passes_defaulted_impl_args_canary():
    """pluggy>=1.7 passes caller-supplied args to defaulted impl params (pluggy_notes C.1).

    kcore rejects such impls anyway; this fails loudly if pluggy's semantics move again.
    """
    spec = pluggy.HookspecMarker("canary")
    impl = pluggy.HookimplMarker("canary")

    class Spec:
        @spec
        def x(self, logs):
            pass

    class Plugin:
        @impl
        def x(self, logs=None):
            return logs

    pm = pluggy.PluginManager("canary")
    pm.add_hookspecs(Spec)
    pm.register(Plugin())
    assert pm.hook.x(logs={"a": 1}) == [{"a": 1}]


def test_all_spec_hooks_are_documented_and_take_model_first():
    pm = KcorePluginManager()
    names = [n for n in dir(hookspecs) if n.startswith("kcore_")]
    assert len(names) == 26
    for name in names:
        caller = getattr(pm.hook, name)
        if name not in hookspecs.PROCESS_HOOKS:
            assert caller.spec.argnames[0] == "model", name
        else:
            assert caller.spec.argnames == (), name
        assert getattr(hookspecs, name).__doc__, name


@pytest.mark.parametrize("signature, fragment", [
    ("def kcore_on_epoch_end(epoch, logs=None): pass", "default"),
    ("def kcore_on_epoch_end(epoch, *, logs): pass", "keyword-only"),
    ("def kcore_on_epoch_end(epoch, **kwargs): pass", "catch-all"),
])
def test_impl_with_default_or_keyword_only_params_is_rejected(signature, fragment):
    namespace = {}
    exec(signature, namespace)
    plugin = types.SimpleNamespace(kcore_on_epoch_end=hookimpl(namespace["kcore_on_epoch_end"]))
    pm = KcorePluginManager()
    with pytest.raises(pluggy.PluginValidationError, match=fragment) as info:
        pm.register(plugin, name="bad")
    assert "kcore_on_epoch_end" in str(info.value)
    assert not pm.has_plugin("bad")
    assert pm.gate["kcore_on_epoch_end"] is False


def test_method_impl_with_default_is_rejected():
    class Plugin:
        @hookimpl
        def kcore_on_train_begin(self, model=None):
            pass

    with pytest.raises(pluggy.PluginValidationError, match="model=None"):
        KcorePluginManager().register(Plugin())


def test_registering_a_class_is_rejected():
    class Plugin:
        @hookimpl
        def kcore_on_train_begin(self, logs):
            pass

    with pytest.raises(TypeError, match=r"register .*Plugin\(\) instead"):
        KcorePluginManager().register(Plugin)


def test_misspelled_hook_fails_check_pending():
    class Typo:
        @hookimpl
        def kcore_on_epoch_ned(self, epoch, logs):
            pass

    pm = KcorePluginManager()
    pm.register(Typo(), name="typo")
    with pytest.raises(pluggy.PluginValidationError, match="kcore_on_epoch_ned"):
        pm.check_pending()


def test_unmarked_kcore_function_warns():
    class Forgot:
        def kcore_on_epoch_end(self, epoch, logs):
            pass

    with pytest.warns(UserWarning, match="no @kcore.hookimpl marker"):
        KcorePluginManager().register(Forgot(), name="forgot")


def test_on_exception_wrapper_is_rejected():
    class Wrap:
        @hookimpl(wrapper=True)
        def kcore_on_exception(self, exception):
            yield

    with pytest.raises(pluggy.PluginValidationError, match="cannot be wrappers"):
        KcorePluginManager().register(Wrap())


def test_gate_tracks_registration():
    class Plugin:
        @hookimpl
        def kcore_on_train_batch_end(self, batch):
            pass

    pm = KcorePluginManager()
    assert set(pm.gate) >= {n for n in dir(hookspecs) if n.startswith("kcore_")}
    assert not any(pm.gate.values())
    gate = pm.gate
    plugin = Plugin()
    pm.register(plugin, name="p")
    assert pm.gate is gate  # the loop may hold on to the dict
    assert gate["kcore_on_train_batch_end"] is True
    assert gate["kcore_on_train_batch_begin"] is False
    pm.unregister(plugin)
    assert gate["kcore_on_train_batch_end"] is False
    pm.register(plugin, name="p")
    pm.set_blocked("p")
    assert gate["kcore_on_train_batch_end"] is False


def test_impls_receive_only_requested_args_as_keywords():
    seen = []

    class Plugin:
        @hookimpl
        def kcore_on_epoch_end(self, logs, epoch):
            seen.append((epoch, logs))

    pm = KcorePluginManager()
    pm.register(Plugin())
    logs = {"loss": 1.0}
    pm.hook.kcore_on_epoch_end(model=object(), epoch=3, logs=logs)
    assert seen == [(3, logs)] and seen[0][1] is logs


def test_singleton_is_lazy_and_resettable():
    pm = get_plugin_manager()
    assert get_plugin_manager() is pm
    reset_plugin_manager()
    assert get_plugin_manager() is not pm


def test_debug_hooks_traces_to_stderr(monkeypatch, capsys):
    class Plugin:
        @hookimpl
        def kcore_on_train_begin(self, logs):
            pass

    monkeypatch.setenv("KCORE_DEBUG_HOOKS", "1")
    pm = create_plugin_manager()
    pm.register(Plugin(), name="traced")
    pm.hook.kcore_on_train_begin(model=None, logs={})
    assert "kcore_on_train_begin" in capsys.readouterr().err
