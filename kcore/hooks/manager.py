"""kcore's plugin manager: pluggy plus kcore's loading and validation policy.

``get_plugin_manager()`` returns the process-wide manager, created on first
use. Creating it:

1. adds the hookspecs of ``kcore.hooks.hookspecs``;
2. blocks the names in ``KCORE_DISABLE_PLUGINS`` (comma separated) and those
   passed to ``disable_plugins()``;
3. unless ``KCORE_DISABLE_PLUGIN_AUTOLOAD=1``, loads every entry point of the
   group ``kcore.plugins``, sorted by name, each in its own ``try``: a plugin
   that fails to import or to register is reported (``RuntimeWarning``, or
   ``PluginLoadError`` in strict mode) and the others still load;
4. loads the plugins listed in ``KCORE_PLUGINS`` (comma separated entry-point
   names, or importable ``module`` / ``module:attribute`` paths), even when
   autoload is off;
5. runs ``check_pending()`` so a misspelled hook name in a plugin registered
   by hand is an error (an entry-point plugin with one is a load failure);
6. with ``KCORE_DEBUG_HOOKS=1``, traces every hook call to stderr.

Strict mode (``KCORE_STRICT_PLUGINS=1`` or ``create_plugin_manager(strict=True)``)
turns a load failure into a ``PluginLoadError``.

Every hook implementation registered here is wrapped once, at registration, so
that one ``pm.hook.<name>(**kwargs)`` call does all kcore promises: an
exception gets a note naming the plugin and the hook; ``kcore_on_exception``
implementations are isolated (a failure is a ``RuntimeWarning``);
``kcore_default_callbacks`` results are checked.
"""

import dataclasses
import difflib
import importlib
import inspect
import os
import sys
import threading
import warnings

import pluggy

from kcore.hooks import hookspecs
from kcore.hooks.impl_policy import guard as _guard
from kcore.hooks.impl_policy import is_routine as _is_routine
from kcore.hooks.impl_policy import parameter_problem as _parameter_problem


def _metadata():
    # importlib.metadata costs ~30 ms to import: only when entry points are first read.
    import importlib.metadata

    return importlib.metadata

PLUGINS_GROUP = "kcore.plugins"

_TRUE = ("1", "true", "yes", "on")

# Hooks whose implementations are isolated or checked one by one (see _guard).
_NO_WRAPPERS = ("kcore_on_exception", "kcore_default_callbacks")


class PluginLoadError(RuntimeError):
    """A ``kcore.plugins`` entry point failed to load in strict mode."""


@dataclasses.dataclass(frozen=True)
class PluginLoadFailure:
    """A plugin that could not be loaded, kept for ``python -m kcore plugins``."""

    name: str
    value: str
    distribution: str
    version: str
    exc_type: str
    message: str

    def describe(self):
        origin = f" from {self.distribution} {self.version}" if self.distribution else ""
        return (
            f"kcore plugin {self.name!r} ({self.value}){origin} failed to load: "
            f"{self.exc_type}: {self.message}"
        )


@dataclasses.dataclass(frozen=True)
class LoadedPlugin:
    """A plugin registered from an entry point or from ``KCORE_PLUGINS``."""

    name: str
    value: str
    distribution: str
    version: str
    plugin: object


def _env_flag(name):
    return os.environ.get(name, "").strip().lower() in _TRUE


def _env_list(name):
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def _dist_of(ep):
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "", ""
    return dist.metadata["Name"] or "", dist.version or ""


def plugin_entry_points():
    """The ``kcore.plugins`` entry points, sorted by name then distribution."""
    eps = _metadata().entry_points(group=PLUGINS_GROUP)
    return sorted(eps, key=lambda ep: (ep.name, _dist_of(ep)[0]))


class KcorePluginManager(pluggy.PluginManager):
    """A ``pluggy.PluginManager`` for project ``"kcore"`` with kcore's policy.

    Beyond pluggy it:

    - keeps ``gate``, a ``dict`` from hook name to "has implementations",
      rebuilt on every ``register``/``unregister``; the loop calls a per-batch
      hook only ``if pm.gate[name]``, so an unimplemented hook costs a dict
      lookup;
    - rejects, at ``register``, a class instead of an instance, and hook
      implementations whose parameters have defaults or are keyword-only
      (pluggy would not pass those reliably), with an error saying how to fix
      them; it warns about ``kcore_*`` functions that lack ``@kcore.hookimpl``;
    - loads entry points one by one, recording failures in ``load_failures``.

    Args:
        strict: raise ``PluginLoadError`` instead of warning when a plugin
            fails to load. ``None`` reads ``KCORE_STRICT_PLUGINS``.
    """

    def __init__(self, strict=None):
        super().__init__("kcore")
        self.strict = _env_flag("KCORE_STRICT_PLUGINS") if strict is None else bool(strict)
        self.gate = {}
        # Threads register and unregister their fit's adapter concurrently: one at a time,
        # so that pluggy's hook lists and the gate never mix two changes.
        self._registration_lock = threading.RLock()
        self.load_failures = []
        self.loaded_plugins = []
        self.dispatcher = None
        self.add_hookspecs(hookspecs)

    # --- registration policy ------------------------------------------------

    def add_hookspecs(self, module_or_class):
        super().add_hookspecs(module_or_class)
        self._rebuild_gate()

    def register(self, plugin, name=None):
        if isinstance(plugin, type):
            raise TypeError(
                f"kcore plugins must be registered as instances or modules, got the class "
                f"{plugin.__qualname__}; register {plugin.__qualname__}() instead."
            )
        plugin_name = name or self.get_canonical_name(plugin)
        if plugin is not None and not self.is_blocked(plugin_name):
            self._check_impl_signatures(plugin, plugin_name)
        with self._registration_lock:
            result = super().register(plugin, name)
            if result is not None:
                self._guard_implementations(plugin, result)
                if self.dispatcher is not None and plugin is not self.dispatcher:
                    # The dispatcher stays the last registered, so its tryfirst
                    # implementations run before every other one.
                    super().unregister(self.dispatcher)
                    super().register(self.dispatcher, self._dispatcher_name)
            self._rebuild_gate()
        return result

    def unregister(self, plugin=None, name=None):
        with self._registration_lock:
            result = super().unregister(plugin, name)
            if result is not None and result is self.dispatcher:
                self.dispatcher = None
            self._rebuild_gate()
        return result

    def set_dispatcher(self, plugin, name):
        """Register ``plugin`` as the dispatcher: called first in every hook call, and not
        counted by ``gate`` (it only forwards to whoever fired the event).

        ``kcore.callbacks`` installs its adapter this way, through which every
        ``CallbackList`` reaches its Keras callbacks.
        """
        with self._registration_lock:
            self.dispatcher, self._dispatcher_name = plugin, name
            super().register(plugin, name)
            self._rebuild_gate()

    def _rebuild_gate(self):
        dispatcher = self.dispatcher
        for hook_name, caller in vars(self.hook).items():
            if not hook_name.startswith("_"):
                self.gate[hook_name] = any(
                    impl.plugin is not dispatcher for impl in caller.get_hookimpls())

    def _guard_implementations(self, plugin, plugin_name):
        for caller in self.get_hookcallers(plugin) or ():
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin and not (impl.wrapper or impl.hookwrapper):
                    impl.function = _guard(impl.function, caller.name, plugin_name)

    def unknown_hooks(self, plugin):
        """The hooks ``plugin`` implements that no hookspec defines (typos), sorted."""
        return sorted(caller.name for caller in self.get_hookcallers(plugin) or ()
                      if not caller.has_spec() and any(
                          impl.plugin is plugin and not impl.optionalhook
                          for impl in caller.get_hookimpls()))

    def _check_impl_signatures(self, plugin, plugin_name):
        for attr in dir(plugin):
            opts = self.parse_hookimpl_opts(plugin, attr)
            if opts is None:
                if attr.startswith("kcore_") and _is_routine(plugin, attr):
                    warnings.warn(
                        f"{plugin_name}.{attr} looks like a kcore hook implementation but has "
                        f"no @kcore.hookimpl marker, so it will never be called.",
                        UserWarning,
                        stacklevel=4,
                    )
                continue
            hook_name = opts.get("specname") or attr
            function = getattr(plugin, attr)
            for param in inspect.signature(function).parameters.values():
                problem = _parameter_problem(param)
                if problem:
                    raise pluggy.PluginValidationError(
                        plugin,
                        f"kcore plugin {plugin_name!r}: hook implementation {attr}() {problem}. "
                        f"kcore calls {hook_name} with every spec argument as a keyword; declare "
                        f"only the arguments you need, as plain parameters without defaults, "
                        f"e.g. `def {attr}(model, logs):`.",
                    )
            if hook_name in _NO_WRAPPERS and (opts.get("wrapper") or opts.get("hookwrapper")):
                raise pluggy.PluginValidationError(
                    plugin,
                    f"kcore plugin {plugin_name!r}: {hook_name} implementations cannot be "
                    f"wrappers (kcore calls each implementation on its own).",
                )

    # --- loading --------------------------------------------------------------

    def load_entrypoint_plugins(self, names=None, strict=None):
        """Load ``kcore.plugins`` entry points, sorted by name, one ``try`` each.

        Args:
            names: only load entry points with these names (``None``: all).
            strict: overrides ``self.strict`` for this call.

        Returns:
            The number of plugins registered.

        Raises:
            PluginLoadError: in strict mode, for the first failing plugin.
        """
        count = 0
        for ep in plugin_entry_points():
            if names is not None and ep.name not in names:
                continue
            if self.is_blocked(ep.name) or self.has_plugin(ep.name):
                continue
            dist, version = _dist_of(ep)
            try:
                plugin = ep.load()
                if self.register(plugin, name=ep.name) is None:
                    continue
                self._refuse_unknown_hooks(plugin, ep.name)
            except Exception as exc:
                self._report_failure(PluginLoadFailure(
                    ep.name, ep.value, dist, version, type(exc).__name__, str(exc)), exc, strict)
                continue
            self.loaded_plugins.append(LoadedPlugin(ep.name, ep.value, dist, version, plugin))
            count += 1
        return count

    def load_plugin_spec(self, spec, strict=None):
        """Load one ``KCORE_PLUGINS`` item: an entry-point name or ``module[:attr]``."""
        if self.is_blocked(spec) or self.has_plugin(spec):
            return
        if any(ep.name == spec for ep in plugin_entry_points()):
            self.load_entrypoint_plugins(names={spec}, strict=strict)
            return
        module_name, _, attr = spec.partition(":")
        try:
            plugin = importlib.import_module(module_name)
            if attr:
                plugin = getattr(plugin, attr)
            self.register(plugin, name=spec)
            self._refuse_unknown_hooks(plugin, spec)
        except Exception as exc:
            message = str(exc)
            if isinstance(exc, ModuleNotFoundError) and exc.name == module_name:
                message = (f"no entry point named {spec!r} in group {PLUGINS_GROUP!r} and no "
                           f"importable module {module_name!r}")
            self._report_failure(PluginLoadFailure(
                spec, spec, "", "", type(exc).__name__, message), exc, strict)
            return
        self.loaded_plugins.append(LoadedPlugin(spec, spec, "", "", plugin))

    def _refuse_unknown_hooks(self, plugin, name):
        unknown = self.unknown_hooks(plugin)
        if not unknown:
            return
        self.unregister(plugin)
        known = [n for n, caller in vars(self.hook).items()
                 if n.startswith("kcore_") and caller.has_spec()]
        hints = []
        for hook in unknown:
            close = difflib.get_close_matches(hook, known, n=1)
            hints.append(f"{hook} (did you mean {close[0]}?)" if close else hook)
        raise pluggy.PluginValidationError(
            plugin, f"kcore plugin {name!r} implements unknown hook(s) {', '.join(hints)}; "
                    f"the hooks are listed in kcore.hooks.hookspecs")

    def _report_failure(self, failure, exc, strict):
        self.load_failures.append(failure)
        if self.strict if strict is None else strict:
            raise PluginLoadError(failure.describe()) from exc
        warnings.warn(failure.describe(), RuntimeWarning, stacklevel=3)

    def enable_debug_tracing(self):
        """Print every hook call and result to stderr (``KCORE_DEBUG_HOOKS=1``)."""
        self.trace.root.setwriter(sys.stderr.write)
        return self.enable_tracing()


# --- the process-wide manager ------------------------------------------------

_lock = threading.Lock()
_manager = None
_disabled = set()


def create_plugin_manager(*, autoload=None, strict=None):
    """Build a new manager and load plugins according to the environment.

    Args:
        autoload: load all ``kcore.plugins`` entry points. ``None`` means "unless
            ``KCORE_DISABLE_PLUGIN_AUTOLOAD=1``".
        strict: see ``KcorePluginManager``.

    Returns:
        A ``KcorePluginManager``; it is *not* installed as the singleton.
    """
    pm = KcorePluginManager(strict=strict)
    for name in sorted(set(_env_list("KCORE_DISABLE_PLUGINS")) | _disabled):
        pm.set_blocked(name)
    if autoload is None:
        autoload = not _env_flag("KCORE_DISABLE_PLUGIN_AUTOLOAD")
    if autoload:
        pm.load_entrypoint_plugins()
    for spec in _env_list("KCORE_PLUGINS"):
        pm.load_plugin_spec(spec)
    pm.check_pending()
    if _env_flag("KCORE_DEBUG_HOOKS"):
        pm.enable_debug_tracing()
    return pm


def get_plugin_manager():
    """The process-wide ``KcorePluginManager``, created and loaded on first use."""
    global _manager
    if _manager is None:
        with _lock:
            if _manager is None:
                _manager = create_plugin_manager()
    return _manager


def reset_plugin_manager():
    """Forget the process-wide manager and the ``disable_plugins`` list (for tests).

    The next ``get_plugin_manager()`` builds a new one from the environment.
    """
    global _manager
    with _lock:
        _manager = None
        _disabled.clear()


def disable_plugins(names):
    """Block plugins by name (like ``KCORE_DISABLE_PLUGINS``).

    A blocked plugin is unregistered if it is already loaded and is never
    imported if the manager has not been created yet.

    Args:
        names: an iterable of plugin names (entry-point names), or one name.

    Example:
        >>> import kcore.hooks
        >>> kcore.hooks.disable_plugins(["wandb"])
    """
    if isinstance(names, str):
        names = [names]
    with _lock:
        _disabled.update(names)
        manager = _manager
    if manager is not None:
        for name in names:
            manager.set_blocked(name)
