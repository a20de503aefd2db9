"""Which wandb run the callbacks log to, and who finishes it.

A run the user started with ``wandb.init()`` is used as is and never finished
here. When there is none, the first kcore-wandb callback of a ``fit`` starts
one (config: the compile settings and fit params) and the last one to let go
of it at train end finishes it; ``fail`` finishes it with exit code 1 when the
``fit`` raises. Only one run is active per process in wandb, so the state is
module-level.
"""

import kcore

_owned = {"run": None, "model": None, "users": set()}


def acquire(callback):
    """The run ``callback`` logs to during this ``fit``, started if none is active."""
    import wandb

    owned = _owned["run"]
    if wandb.run is not None and wandb.run is not owned:
        return wandb.run
    if owned is None:
        owned = wandb.init(config=run_config(callback.model, callback.params))
        _owned.update(run=owned, model=id(callback.model))
    _owned["users"].add(id(callback))
    return owned


def release(callback):
    """Called at train end: finishes the run kcore-wandb started once no callback uses it."""
    users = _owned["users"]
    if id(callback) not in users:
        return  # the user's own run, or one already failed
    users.discard(id(callback))
    run = _owned["run"]
    if run is not None and not users:
        _owned.update(run=None, model=None)
        run.finish()


def fail(model):
    """Finish the run started for ``model``'s failing ``fit`` as failed (exit code 1)."""
    run = _owned["run"]
    if run is None or _owned["model"] != id(model):
        return
    _owned.update(run=None, model=None, users=set())
    run.finish(exit_code=1)


def run_config(model, params):
    """A JSON-able config: ``model.get_compile_config()``, the optimizer's config, fit params."""
    config = {key: _jsonable(value)
              for key, value in (model.get_compile_config() or {}).items()}
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and hasattr(optimizer, "get_config"):
        config["optimizer"] = _jsonable(optimizer.get_config())
    for key in ("epochs", "steps"):
        if (params or {}).get(key) is not None:
            config[key] = params[key]
    return config


def _jsonable(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    try:
        return float(value)
    except (TypeError, ValueError):
        pass
    get_config = getattr(value, "get_config", None)
    if callable(get_config):
        try:
            return {"class_name": type(value).__name__, "config": _jsonable(get_config())}
        except Exception:  # a config that cannot be built is still worth naming
            pass
    return getattr(value, "name", None) or getattr(value, "__name__", None) or repr(value)


def learning_rate(model):
    """``float(model.optimizer.learning_rate)`` (the rate of the next step), or ``None``."""
    optimizer = getattr(model, "optimizer", None)
    try:
        return float(optimizer.learning_rate)
    except (AttributeError, TypeError, ValueError):
        return None


def is_chief(model):
    """Only rank 0 logs when training is distributed."""
    return kcore.distribution.is_rank_zero()
