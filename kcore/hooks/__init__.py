"""kcore's plugin system: hook markers, the plugin manager and the step context.

Write a plugin::

    import kcore

    @kcore.hookimpl
    def kcore_on_epoch_end(model, epoch, logs):
        print(epoch, logs["loss"])

and publish it under the ``kcore.plugins`` entry-point group, or register it
for this process with ``kcore.hooks.get_plugin_manager().register(module)``.
See ``docs/plugins.md`` and ``kcore.hooks.hookspecs`` for the contract.
"""

from kcore.hooks.hookspecs import CALLBACK_METHODS, KERAS_EVENTS, hookimpl, hookspec
from kcore.hooks.manager import (
    KcorePluginManager,
    PluginLoadError,
    create_plugin_manager,
    disable_plugins,
    get_plugin_manager,
    reset_plugin_manager,
)
from kcore.hooks.step import StepContext

__all__ = [
    "CALLBACK_METHODS",
    "KERAS_EVENTS",
    "KcorePluginManager",
    "PluginLoadError",
    "StepContext",
    "create_plugin_manager",
    "disable_plugins",
    "get_plugin_manager",
    "hookimpl",
    "hookspec",
    "reset_plugin_manager",
]
