"""What ``compile`` builds: the total loss over outputs and the named metric set.

Naming follows Keras 3: ``loss``; ``<output>_loss`` per output when there are several
losses; metrics named as the user wrote them (``"acc"`` → ``acc``), ``metric.name`` for
objects, ``fn.__name__`` for functions, ``<output>_<name>`` for multi-output models,
``_1``/``_2`` suffixes for duplicates and ``weighted_`` for colliding weighted metrics.
"""

import numpy as np

from kcore import losses as losses_mod
from kcore import metrics as metrics_mod
from kcore import ops


def _shape(a):
    return tuple(np.shape(getattr(a, "value", a)))


def _structure_by_output(spec, output_names, what):
    """Maps a per-output spec (single, list or dict) to a list aligned with the outputs."""
    n = len(output_names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in output_names]
        if unknown:
            raise ValueError(
                f"Unknown output name(s) {unknown} in the `{what}` dict; the model's outputs are "
                f"{output_names}."
            )
        return [spec.get(name) for name in output_names]
    if isinstance(spec, (list, tuple)):
        if len(spec) != n:
            raise ValueError(
                f"`{what}` has {len(spec)} entries but the model has {n} outputs {output_names}. "
                f"Pass one entry per output, or a dict keyed by output name."
            )
        return list(spec)
    return [spec] * n


def resolve_loss(identifier, y_true, y_pred):
    """A ``Loss`` for ``identifier``; ``"crossentropy"``/``"ce"`` picks the variant by shape."""
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        ts, ps = _shape(y_true), _shape(y_pred)
        if ps and ps[-1] == 1:
            identifier = "binary_crossentropy"
        elif len(ts) < len(ps) or (ts and ts[-1] == 1 and ps[-1] > 1):
            identifier = "sparse_categorical_crossentropy"
        else:
            identifier = "categorical_crossentropy"
    loss = losses_mod.get(identifier)
    if not isinstance(loss, losses_mod.Loss):
        loss = losses_mod.LossFunctionWrapper(loss, name=getattr(loss, "__name__", "loss"))
    return loss


def check_target_shape(loss, y_true, y_pred, output_name=None):
    """Raises a clear error when the targets cannot match the outputs for this loss."""
    ts, ps = _shape(y_true), _shape(y_pred)
    where = f" for output {output_name!r}" if output_name else ""
    name = getattr(loss, "name", type(loss).__name__)
    sparse = "sparse" in name
    if sparse:
        if ts == ps[:-1] or ts == ps[:-1] + (1,):
            return
        hint = ""
        if ts == ps:
            hint = (" The targets look one-hot encoded: use loss='categorical_crossentropy', "
                    "or pass integer class ids.")
        raise ValueError(
            f"Loss {name!r}{where} expects integer class targets of shape {ps[:-1]} (or "
            f"{ps[:-1] + (1,)}) for outputs of shape {ps}, but the targets have shape {ts}.{hint}"
        )
    if ts == ps or not ts or not ps:
        return
    # As Keras: ranks that differ by a trailing axis of size 1 are brought together
    # ((n,) targets for (n, 1) outputs and vice versa); otherwise the loss broadcasts, so a
    # custom loss may take (n,) targets for (n, k) outputs.
    ts2, ps2 = _same_rank_shapes(ts, ps)
    if ts2 == ps2:
        return
    crossentropy = "crossentropy" in name and isinstance(loss, losses_mod.LossFunctionWrapper) \
        and getattr(loss.fn, "__module__", "").startswith("kcore.")
    if not crossentropy:  # Keras's (binary/categorical) crossentropies need equal shapes
        try:
            np.broadcast_shapes(ts2, ps2)
            return
        except ValueError:
            pass
    hint = ""
    if "categorical" in name and len(ts) == len(ps) - 1:
        hint = (" The targets look like integer class ids: use "
                "loss='sparse_categorical_crossentropy', or one-hot encode them with "
                "kcore.utils.to_categorical.")
    raise ValueError(
        f"Loss {name!r}{where} expects targets shaped like the outputs {ps}, but the targets "
        f"have shape {ts}.{hint}"
    )


def _same_rank_shapes(ts, ps):
    """The shapes Keras's ``squeeze_or_expand_to_same_rank`` gives ``y_true``, ``y_pred``."""
    if len(ts) == len(ps) + 1 and ts[-1] == 1:
        if len(ps) == 1:
            ps = ps + (1,)
        else:
            ts = ts[:-1]
    if len(ps) == len(ts) + 1 and ps[-1] == 1:
        if len(ts) == 1:
            ts = ts + (1,)
        else:
            ps = ps[:-1]
    return ts, ps


class CompileLoss:
    """The weighted sum of per-output losses, with a ``Mean`` tracker per output."""

    def __init__(self, loss, loss_weights=None, output_names=None):
        self.loss = loss
        self.loss_weights = loss_weights
        self.output_names = list(output_names or ["output"])
        self.built = False
        self.trackers = []

    def build(self, y_true, y_pred):
        names = self.output_names
        multi = len(names) > 1
        y_true_list = self._as_list(y_true, names) if multi else [y_true]
        y_pred_list = self._as_list(y_pred, names) if multi else [y_pred]
        # A dict is keyed by output name, also for one output ({"out": "mse"}, as Keras
        # accepts), unless it is a serialized loss ({"class_name": ..., "config": ...}).
        by_name = isinstance(self.loss, dict) and "class_name" not in self.loss
        specs = _structure_by_output(self.loss, names, "loss") if multi or by_name else [self.loss]
        if self.loss_weights is None:
            weights = [None] * len(names)
        elif multi:
            weights = _structure_by_output(self.loss_weights, names, "loss_weights")
        else:
            if isinstance(self.loss_weights, (list, tuple)):
                if len(self.loss_weights) != 1:
                    raise ValueError(f"`loss_weights` has {len(self.loss_weights)} entries for 1 output.")
                weights = list(self.loss_weights)
            elif isinstance(self.loss_weights, dict):
                weights = [_structure_by_output(self.loss_weights, names, "loss_weights")[0]]
            else:
                weights = [self.loss_weights]
        self.entries = []
        for name, spec, w, yt, yp in zip(names, specs, weights, y_true_list, y_pred_list):
            fn = None if spec is None else resolve_loss(spec, yt, yp)
            if fn is not None and yt is not None:
                check_target_shape(fn, yt, yp, name if multi else None)
            self.entries.append((name, fn, None if w is None else float(w)))
        active = [e for e in self.entries if e[1] is not None]
        self.trackers = []
        if len(active) > 1:
            self.trackers = [metrics_mod.Mean(name=f"{name}_loss") for name, _, _ in active]
        self.built = True

    def _as_list(self, struct, names):
        if isinstance(struct, dict):
            missing = [n for n in names if n not in struct]
            if missing:
                raise ValueError(
                    f"Targets are missing for output(s) {missing}; the dict has keys {sorted(struct)}."
                )
            return [struct[n] for n in names]
        if isinstance(struct, (list, tuple)):
            if len(struct) != len(names):
                raise ValueError(
                    f"Expected {len(names)} target arrays (one per output {names}), got {len(struct)}."
                )
            return list(struct)
        raise ValueError(
            f"The model has {len(names)} outputs {names}; pass y as a list or a dict keyed by "
            "output name."
        )

    def __call__(self, y_true, y_pred, sample_weight=None):
        if not self.built:
            self.build(y_true, y_pred)
        multi = len(self.output_names) > 1
        y_true_list = self._as_list(y_true, self.output_names) if multi else [y_true]
        y_pred_list = self._as_list(y_pred, self.output_names) if multi else [y_pred]
        if multi and isinstance(sample_weight, (dict, list, tuple)):
            sw_list = self._as_list(sample_weight, self.output_names)
        else:
            sw_list = [sample_weight] * len(self.output_names)
        total = None
        t = 0
        batch = None
        for (name, fn, weight), yt, yp, sw in zip(self.entries, y_true_list, y_pred_list, sw_list):
            if fn is None:
                continue
            if yt is None:
                raise ValueError(f"No target was given for output {name!r}, which has a loss.")
            value = fn(yt, yp, sample_weight=sw)
            if self.trackers:
                # As Keras 3: `<output>_loss` is the output's loss before its loss weight,
                # so that `loss` = sum of weight * `<output>_loss`.
                if batch is None:
                    batch = _shape(yp)[0] if _shape(yp) else 1
                if batch:  # an empty batch (NaN mean) contributes nothing
                    self.trackers[t].update_state(
                        value.value if hasattr(value, "value") else value, sample_weight=batch)
                t += 1
            if weight is not None:
                value = value * weight
            total = value if total is None else total + value
        return total

    def reset_state(self):
        for m in self.trackers:
            m.reset_state()

    def get_config(self):
        return {"loss": self.loss, "loss_weights": self.loss_weights}


def resolve_metric(identifier, y_true, y_pred, output_name=None):
    """A ``Metric`` for a compile identifier, named as Keras 3 names it."""
    if isinstance(identifier, metrics_mod.Metric):
        return identifier
    if isinstance(identifier, str):
        name = identifier
        if identifier in ("accuracy", "acc"):
            ts, ps = _shape(y_true), _shape(y_pred)
            if ps and ps[-1] == 1:
                metric = metrics_mod.BinaryAccuracy(name=name)
            elif len(ts) < len(ps) or (ts and ts[-1] == 1 and ps and ps[-1] > 1):
                metric = metrics_mod.SparseCategoricalAccuracy(name=name)
            else:
                metric = metrics_mod.CategoricalAccuracy(name=name)
            return metric
        if identifier in ("crossentropy", "ce"):
            raise ValueError(
                f"Could not interpret metric identifier: {identifier!r}. Use e.g. "
                "'binary_crossentropy' or 'sparse_categorical_crossentropy' as a metric."
            )
        obj = metrics_mod.get(identifier)
        if isinstance(obj, metrics_mod.Metric):
            obj.name = name  # Keras names string metrics exactly as written ("mae")
            return obj
        return metrics_mod.MeanMetricWrapper(obj, name=name)
    if isinstance(identifier, type) and issubclass(identifier, metrics_mod.Metric):
        return identifier()
    if callable(identifier):
        return metrics_mod.MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", "metric"))
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}.")


class CompileMetrics(metrics_mod.Metric):
    """All compiled metrics as one metric named ``compile_metrics`` (as in Keras 3).

    ``result()`` returns a dict of ``{log name: value}``.
    """

    def __init__(self, metrics=None, weighted_metrics=None, output_names=None, name="compile_metrics"):
        super().__init__(name=name)
        self._user_metrics = metrics
        self._user_weighted = weighted_metrics
        self.output_names = list(output_names or ["output"])
        self.built = False
        self.entries = []  # (log name, output index, metric, weighted)

    @property
    def metrics(self):
        return [m for _, _, m, _ in self.entries]

    @property
    def variables(self):
        return [v for m in self.metrics for v in m.variables]

    def _per_output(self, spec, what):
        names = self.output_names
        if spec is None:
            return [[] for _ in names]
        if isinstance(spec, str):
            raise ValueError(
                f"Expected `{what}` argument to be a list, tuple, or dict. Received {spec!r}; "
                f"write {what}=[{spec!r}]."
            )
        if len(names) == 1:
            if isinstance(spec, dict):
                spec = _structure_by_output(spec, names, what)
                return [list(spec[0]) if isinstance(spec[0], (list, tuple)) else
                        ([] if spec[0] is None else [spec[0]])]
            return [list(spec)]
        if isinstance(spec, dict):
            per = _structure_by_output(spec, names, what)
        elif isinstance(spec, (list, tuple)):
            if len(spec) != len(names) or not all(
                    isinstance(s, (list, tuple)) or s is None or isinstance(s, (str, metrics_mod.Metric))
                    or callable(s) for s in spec):
                raise ValueError(
                    f"For a model with {len(names)} outputs {names}, `{what}` must have one entry "
                    f"per output (a list of per-output lists) or be a dict keyed by output name, "
                    f"e.g. {{{names[0]!r}: ['accuracy']}}. Received {spec!r}."
                )
            if not any(isinstance(s, (list, tuple)) for s in spec) and len(spec) == len(names) and \
                    all(isinstance(s, str) for s in spec) and len(set(spec)) == 1 and len(names) > 1:
                per = list(spec)
            else:
                per = list(spec)
        else:
            raise ValueError(f"Expected `{what}` to be a list, tuple or dict, got {spec!r}.")
        return [[] if s is None else (list(s) if isinstance(s, (list, tuple)) else [s]) for s in per]

    def build(self, y_true, y_pred):
        names = self.output_names
        multi = len(names) > 1
        yts = _as_output_list(y_true, names) if multi else [y_true]
        yps = _as_output_list(y_pred, names) if multi else [y_pred]
        plain = self._per_output(self._user_metrics, "metrics")
        weighted = self._per_output(self._user_weighted, "weighted_metrics")
        used = set()
        entries = []
        for is_weighted, per in ((False, plain), (True, weighted)):
            for i, specs in enumerate(per):
                for spec in specs:
                    if spec is None:
                        continue
                    m = resolve_metric(spec, yts[i], yps[i], names[i])
                    base = m.name
                    if is_weighted and (f"{names[i]}_{base}" if multi else base) in used:
                        base = f"weighted_{base}"
                    log_name = f"{names[i]}_{base}" if multi else base
                    candidate, k = log_name, 1
                    while candidate in used:
                        candidate = f"{log_name}_{k}"
                        k += 1
                    used.add(candidate)
                    entries.append((candidate, i, m, is_weighted))
        self.entries = entries
        self.built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self.built:
            self.build(y_true, y_pred)
        if not self.entries:
            return
        names = self.output_names
        multi = len(names) > 1
        yts = _as_output_list(y_true, names) if multi else [y_true]
        yps = _as_output_list(y_pred, names) if multi else [y_pred]
        if multi and isinstance(sample_weight, (dict, list, tuple)):
            sws = _as_output_list(sample_weight, names)
        else:
            sws = [sample_weight] * len(names)
        for _, i, metric, weighted in self.entries:
            if yts[i] is None:
                continue
            metric.update_state(yts[i], yps[i], sample_weight=sws[i] if weighted else None)

    def result(self):
        return {name: m.result() for name, _, m, _ in self.entries}

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()

    def direction_of(self, log_name):
        for name, _, m, _ in self.entries:
            if name == log_name:
                return getattr(m, "direction", None)
        return None


def _as_output_list(struct, names):
    if isinstance(struct, dict):
        return [struct.get(n) for n in names]
    if isinstance(struct, (list, tuple)):
        return list(struct)
    return [struct] * len(names)
