"""Name → object resolution through the ``kcore.callbacks`` and ``kcore.metrics`` groups.

A plugin distribution declares, in its ``pyproject.toml``::

    [project.entry-points."kcore.callbacks"]
    EarlyStopping = "kcore_earlystopping:EarlyStopping"

    [project.entry-points."kcore.metrics"]
    AUC = "kcore_metrics:AUC"
    auc = "kcore_metrics:AUC"

Nothing is imported until a name is asked for: listing names reads only the
distributions' metadata. Lookup tries the exact name first, then a
case- and underscore-insensitive match (``"auc"`` finds ``AUC``,
``"f1_score"`` finds ``F1Score``), so a plugin may register one name or
several aliases for the same object.
"""

import dataclasses
import difflib


def _metadata():
    # importlib.metadata costs ~30 ms to import: only when entry points are first read.
    import importlib.metadata

    return importlib.metadata

CALLBACKS_GROUP = "kcore.callbacks"
METRICS_GROUP = "kcore.metrics"
GROUPS = (CALLBACKS_GROUP, METRICS_GROUP)
_SHORT_GROUPS = {"callbacks": CALLBACKS_GROUP, "metrics": METRICS_GROUP}

#: Which kcore plugin distribution provides a name that kcore itself does not.
PROVIDERS = {
    **dict.fromkeys(("EarlyStopping", "TerminateOnNaN"), "kcore-earlystopping"),
    **dict.fromkeys(("ModelCheckpoint", "BackupAndRestore"), "kcore-checkpoint"),
    **dict.fromkeys(("LearningRateScheduler", "ReduceLROnPlateau"), "kcore-lr"),
    "LambdaCallback": "kcore-lambda",
    "CSVLogger": "kcore-csvlogger",
    "TensorBoard": "kcore-tensorboard",
    **dict.fromkeys(("WandbMetricsLogger", "WandbModelCheckpoint"), "kcore-wandb"),
    **dict.fromkeys((
        "Precision", "Recall", "AUC", "F1Score", "FBetaScore", "TopKCategoricalAccuracy",
        "SparseTopKCategoricalAccuracy", "R2Score", "IoU", "MeanIoU", "BinaryIoU", "OneHotIoU",
        "OneHotMeanIoU", "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives",
        "PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity",
        "SpecificityAtSensitivity", "CosineSimilarity", "LogCoshError", "Poisson",
        "KLDivergence", "Hinge", "SquaredHinge", "CategoricalHinge",
    ), "kcore-metrics"),
}


def _normalize(name):
    return name.replace("_", "").lower()


_PROVIDERS_NORMALIZED = {_normalize(name): (name, dist) for name, dist in PROVIDERS.items()}


@dataclasses.dataclass(frozen=True)
class EntryPointInfo:
    """One name offered by an installed distribution (read from metadata only)."""

    group: str
    name: str
    value: str
    distribution: str
    version: str


def _group(group):
    group = _SHORT_GROUPS.get(group, group)
    if group not in GROUPS:
        raise ValueError(f"Unknown entry-point group {group!r}; expected one of {list(GROUPS)}.")
    return group


def installed(group):
    """List the names installed in ``group``, without importing anything.

    Args:
        group: ``"kcore.callbacks"`` or ``"kcore.metrics"`` (or the short
            ``"callbacks"``/``"metrics"``).

    Returns:
        A list of ``EntryPointInfo`` sorted by name (duplicates removed).
    """
    group = _group(group)
    seen = {}
    for ep in _metadata().entry_points(group=group):
        dist = getattr(ep, "dist", None)
        info = EntryPointInfo(
            group, ep.name, ep.value,
            (dist.metadata["Name"] or "") if dist else "", (dist.version or "") if dist else "")
        seen.setdefault((ep.name, ep.value), info)
    return sorted(seen.values(), key=lambda info: (info.name, info.distribution))


def list_installed():
    """``{group: [EntryPointInfo, ...]}`` for both registry groups."""
    return {group: installed(group) for group in GROUPS}


def _find(group, name):
    infos = installed(group)
    exact = [info for info in infos if info.name == name]
    if not exact:
        exact = [info for info in infos if _normalize(info.name) == _normalize(name)]
    values = {info.value for info in exact}
    if len(values) > 1:
        offers = ", ".join(f"{i.name}={i.value} ({i.distribution})" for i in exact)
        raise ValueError(
            f"The name {name!r} in group {group!r} is ambiguous: {offers}. "
            f"Use the exact spelling of one entry point or uninstall one of the distributions."
        )
    return exact[0] if exact else None


def resolve(group, name, *, builtin_names=()):
    """Import and return the object registered under ``name`` in ``group``.

    Args:
        group: ``"kcore.callbacks"`` or ``"kcore.metrics"``.
        name: a class name or alias, e.g. ``"EarlyStopping"``, ``"auc"``.
        builtin_names: names kcore itself provides in this category; only used
            to make the "unknown name" message complete.

    Returns:
        The loaded object (a ``Callback``/``Metric`` subclass or a function).

    Raises:
        ValueError: nothing installed provides ``name``. The message names the
            kcore plugin distribution to install when one provides it,
            otherwise lists the available names and the closest match.
        ImportError: the distribution providing ``name`` is installed but its
            module fails to import; the message names the name, the
            distribution and the import error.

    Example:
        >>> from kcore.hooks import registry
        >>> EarlyStopping = registry.resolve("kcore.callbacks", "EarlyStopping")
    """
    group = _group(group)
    info = _find(group, name)
    if info is None:
        raise ValueError(unknown_name_message(group, name, builtin_names=builtin_names))
    return load(info)


def load(info):
    """Import the object of one ``EntryPointInfo``.

    Raises:
        ImportError: its module (or attribute) cannot be loaded; the message says which
            name, which distribution and what failed.
    """
    ep = _metadata().EntryPoint(name=info.name, value=info.value, group=info.group)
    try:
        return ep.load()
    except Exception as exc:
        kind = "callback" if info.group == CALLBACKS_GROUP else "metric"
        origin = (f"the distribution {info.distribution} {info.version}" if info.distribution
                  else "an installed distribution")
        raise ImportError(
            f"The {kind} {info.name!r} is provided by {origin} ({info.value}), but loading it "
            f"failed: {type(exc).__name__}: {exc}. Fix or reinstall that distribution, or "
            f"uninstall it."
        ) from exc


def import_problem(info):
    """``None`` when ``info`` loads, else the ``ImportError`` message (for listings)."""
    try:
        load(info)
    except ImportError as exc:
        return str(exc)
    return None


def unknown_name_message(group, name, *, builtin_names=()):
    """The user-facing explanation for a name that nothing installed provides."""
    kind = "callback" if group == CALLBACKS_GROUP else "metric"
    provider = _PROVIDERS_NORMALIZED.get(_normalize(name))
    if provider is not None:
        canonical, dist = provider
        shown = repr(name) if name == canonical else f"{name!r} ({canonical})"
        return (
            f"The {kind} {shown} is provided by the kcore plugin distribution {dist!r}, "
            f"which is not installed. Install it with `pip install {dist}` or, from a kcore "
            f"checkout, `pip install -e plugins/{dist.removeprefix('kcore-')}`."
        )
    available = sorted({info.name for info in installed(group)} | set(builtin_names))
    candidates = available + sorted(PROVIDERS)
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    if not close:
        by_normalized = {_normalize(c): c for c in candidates}
        close = [by_normalized[m] for m in difflib.get_close_matches(
            _normalize(name), list(by_normalized), n=1, cutoff=0.6)]
    message = f"Unknown {kind} {name!r}."
    if close:
        hint = repr(close[0])
        if close[0] not in available:
            hint += f" (from the kcore plugin distribution {PROVIDERS[close[0]]!r})"
        message += f" Did you mean {hint}?"
    message += (f" Available {kind}s: {', '.join(available) if available else '(none installed)'}."
                f" Plugins add names through the {group!r} entry-point group.")
    return message
