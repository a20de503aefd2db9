"""What kcore requires of a hook implementation, and the wrapper that keeps its promises.

``parameter_problem`` says why a parameter cannot be filled reliably by pluggy;
``guard`` wraps an implementation at registration so that one ``pm.hook.<name>(...)``
call attributes, isolates or checks as ``kcore.hooks.hookspecs`` promises.
"""

import inspect
import warnings


def guard(function, hook_name, plugin_name):
    """``function`` as called by pluggy, with kcore's promises for ``hook_name``."""
    where = f"in hook {hook_name} of kcore plugin {plugin_name!r}"
    if hook_name == "kcore_on_exception":
        def guarded(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except Exception as err:
                warnings.warn(f"kcore_on_exception of plugin {plugin_name!r} raised "
                              f"{type(err).__name__}: {err}; the original exception "
                              f"propagates.", RuntimeWarning, stacklevel=2)
    elif hook_name == "kcore_default_callbacks":
        def guarded(*args, **kwargs):
            try:
                result = function(*args, **kwargs)
            except Exception as exc:
                exc.add_note(where)
                raise
            if not isinstance(result, (list, tuple)) or not all(
                    callable(getattr(cb, "set_model", None)) for cb in result):
                raise TypeError(f"kcore_default_callbacks of plugin {plugin_name!r} must "
                                f"return a list of Callback instances, got {result!r}.")
            return result
    else:
        def guarded(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except Exception as exc:
                exc.add_note(where)
                raise
    guarded.__name__ = getattr(function, "__name__", hook_name)
    guarded.__wrapped__ = function
    return guarded


def is_routine(plugin, attr):
    static = inspect.getattr_static(plugin, attr, None)
    return inspect.isroutine(static) or isinstance(static, (staticmethod, classmethod))


def parameter_problem(param):
    if param.kind is param.KEYWORD_ONLY:
        return f"has the keyword-only parameter {param.name!r}, which pluggy never passes"
    if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
        return f"has the catch-all parameter {param.name!r}, which pluggy never fills"
    if param.default is not param.empty:
        return (f"gives the parameter {param.name!r} a default ({param.name}={param.default!r}); "
                f"pluggy<1.7 silently passes only the default")
    return None
