"""The ``Optimizer`` base class: Keras 3's optimizer API over in-place numpy updates.

One training step is ``optimizer.apply(grads, trainable_variables)`` (or
``apply_gradients(zip(grads, vars))``). In order, as Keras 3 does it:

1. build on first use (slot variables, in Keras's order and names);
2. drop ``None`` gradients (with a warning); variables flagged
   ``overwrite_with_gradient`` take their gradient as their new value;
3. unscale by ``loss_scale_factor``;
4. with ``gradient_accumulation_steps=N``: add into the accumulators, and on every N-th
   call use their mean as the gradient; otherwise use the gradient directly;
5. clip (``clipnorm`` per variable, ``global_clipnorm``, or ``clipvalue``);
6. weight decay ``w -= w * weight_decay * lr`` (unless excluded);
7. the optimizer's ``update_step`` for each variable;
8. EMA of the weights (``use_ema``), overwriting them every ``ema_overwrite_frequency``
   steps;
9. ``variable.constraint`` projections; ``iterations += 1``.

Updates are written into each ``Variable``'s array in place, with plain numpy, using
preallocated scratch buffers, and nothing is recorded on any tape.
"""

import re
import warnings

import numpy as np

from kcore.backend import config
from kcore.backend.autodiff import no_recording
from kcore.backend.floating_point import flush_denormals
from kcore.backend.serialization import deserialize_keras_object, serialize_keras_object
from kcore.backend.tensor import Tensor, Variable
from kcore.optimizers import clipping
from kcore.optimizers import schedules
from kcore.optimizers.schedules import LearningRateSchedule
from kcore.optimizers.schedules import serialize as _serialize_schedule


def _array(g):
    return g.value if isinstance(g, Tensor) else np.asarray(g)


#: Elements per block of a blocked update (``Optimizer._blocks``): 256 KiB of float32 per
#: array, so the five arrays of an Adam block fit in a core's 1-2 MiB L2 cache.
BLOCK = 1 << 16


class Optimizer:
    """Base class of all optimizers (``keras.optimizers.Optimizer``).

    Subclasses override ``build(var_list)`` (calling ``super().build`` first, then
    creating slots with ``add_optimizer_variables``), ``update_step(gradient, variable,
    learning_rate)`` and ``get_config``. In the built-in optimizers ``gradient`` is a numpy
    array of the variable's dtype, ``learning_rate`` a Python float, and the update is
    written into ``variable.value`` in place; a Keras-style subclass using ``kcore.ops``
    and ``self.assign*`` works too.

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable of no arguments.
        weight_decay: if set, ``w -= w * weight_decay * lr`` before each update.
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: clip all gradients jointly to this global L2 norm.
        use_ema: keep an exponential moving average of the weights.
        ema_momentum: EMA momentum: ``avg = m * avg + (1 - m) * w``.
        ema_overwrite_frequency: overwrite the weights with their average every this many
            steps (``None``: only in ``finalize_variable_values``).
        loss_scale_factor: gradients are divided by it (the loss is multiplied by it in
            ``scale_loss``).
        gradient_accumulation_steps: update every this many calls, with the mean gradient.
        name: the optimizer's name, the prefix of its variables' paths. Defaults to the
            snake-cased class name (``"adam"``, ``"rm_sprop"``); unlike Keras, kcore does
            not number it (``adam_1``), so saved paths do not depend on how many
            optimizers a process created.

    Raises:
        ValueError: more than one clipping option, an unknown keyword (including ``lr=``),
            or an invalid value.

    Example:
        >>> w = kcore.Variable(np.ones(2), name="w")
        >>> opt = kcore.optimizers.SGD(learning_rate=0.1, clipnorm=1.0)
        >>> opt.apply([np.array([3.0, 4.0])], [w])     # clipped to norm 1
        >>> w.numpy()
        array([0.94, 0.92], dtype=float32)
    """

    _keras_module = "keras.optimizers"

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.")
        if kwargs:
            hint = " Use `learning_rate=` instead of `lr=`." if "lr" in kwargs else ""
            raise ValueError(f"Argument(s) not recognized: {kwargs}.{hint}")
        if gradient_accumulation_steps and not gradient_accumulation_steps >= 2:
            raise ValueError(
                "`gradient_accumulation_steps` must be an integer >= 2. "
                f"Received: gradient_accumulation_steps={gradient_accumulation_steps}"
            )
        if use_ema:
            if not 0 <= ema_momentum <= 1:
                raise ValueError(
                    f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}"
                )
            if ema_overwrite_frequency and (not isinstance(ema_overwrite_frequency, int)
                                            or ema_overwrite_frequency < 1):
                raise ValueError(
                    "`ema_overwrite_frequency` must be an integer >= 1 or None. "
                    f"Received: ema_overwrite_frequency={ema_overwrite_frequency}"
                )
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}"
            )
        self.name = name or _snake(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._variables = []
        self._trainable_variables = []
        self._index = {}
        self._scratch_buffers = {}
        self._exclude_ids = set()
        self._exclude_pattern = None
        self._learning_rate_scale = 1.0
        self._iterations = self.add_variable((), initializer="zeros", dtype="int64",
                                             name="iteration")
        self._learning_rate = None
        self._last_learning_rate = None
        self._set_learning_rate(learning_rate)

    # -- learning rate ----------------------------------------------------------------
    def _set_learning_rate(self, learning_rate):
        if isinstance(learning_rate, LearningRateSchedule) or (
                callable(learning_rate) and not isinstance(learning_rate, Tensor)):
            if isinstance(self._learning_rate, Variable):
                self._variables.remove(self._learning_rate)
            self._learning_rate = learning_rate
            self._learning_rate_scale = 1.0
            return
        if isinstance(learning_rate, bool) or not isinstance(
                learning_rate, (int, float, np.floating, np.integer, Tensor)):
            raise ValueError(
                "Argument `learning_rate` should be float, or an instance of "
                "LearningRateSchedule, or a callable (that takes in the current iteration "
                f"value and returns the corresponding learning rate value). Received "
                f"instead: learning_rate={learning_rate!r}"
            )
        if isinstance(self._learning_rate, Variable):
            self._learning_rate.assign(_array(learning_rate))
            return
        if isinstance(self._learning_rate, LearningRateSchedule):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its "
                "`learning_rate` constructor argument, hence its learning rate is not "
                "settable. If you need the learning rate to be settable, you should "
                "instantiate the optimizer with a float `learning_rate` argument "
                "(kcore: or use `optimizer.scale_learning_rate(factor)`)."
            )
        # Only reached from __init__, so it lands right after `iteration`, as in Keras.
        lr = self.add_variable((), initializer="zeros", dtype=config.floatx(), name="learning_rate")
        lr.assign(_array(learning_rate))
        self._learning_rate = lr

    @property
    def learning_rate(self):
        """The current learning rate.

        A ``Variable`` for a float learning rate (assignable); for a schedule, a scalar
        tensor: the schedule at the current iteration, times ``learning_rate_scale``.
        ``float(optimizer.learning_rate)`` always gives the rate the next step uses.
        """
        if isinstance(self._learning_rate, Variable):
            return self._learning_rate
        return Tensor(np.asarray(self._current_learning_rate(), dtype=config.floatx()))

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        self._set_learning_rate(learning_rate)

    @property
    def last_learning_rate(self):
        """kcore extension: the rate the last update step used (``None`` before the first).

        This is the value kcore's loggers record as an epoch's ``learning_rate``
        (``History``/``CSVLogger`` through the LR callbacks, ``TensorBoard``, W&B): the rate
        the epoch's last training step used, whatever a callback changes at epoch end.
        """
        return self._last_learning_rate

    @property
    def learning_rate_scale(self):
        """kcore: the factor applied to a schedule's output (see ``scale_learning_rate``)."""
        return self._learning_rate_scale

    @learning_rate_scale.setter
    def learning_rate_scale(self, value):
        self._learning_rate_scale = float(value)

    def scale_learning_rate(self, factor):
        """kcore extension: multiplies the current learning rate by ``factor``.

        With a float learning rate this assigns ``lr * factor``. With a schedule (or a
        callable) it multiplies ``learning_rate_scale`` by ``factor``, so every later
        value of the schedule is scaled; Keras raises ``TypeError`` here instead. This is
        what ``ReduceLROnPlateau`` calls, so that it works with schedules.

        Returns:
            The new current learning rate, as a float.
        """
        if isinstance(self._learning_rate, Variable):
            self._learning_rate.assign(float(self._learning_rate.value) * float(factor))
        else:
            self._learning_rate_scale *= float(factor)
        return float(self.learning_rate)

    def _current_learning_rate(self):
        """The learning rate of the next step, as a Python float."""
        lr = self._learning_rate
        if isinstance(lr, Variable):
            return float(lr.value)
        value = lr(self._iterations) if isinstance(lr, LearningRateSchedule) else lr()
        return float(np.float32(_array(value))) * self._learning_rate_scale

    # -- variables --------------------------------------------------------------------
    @property
    def iterations(self):
        """The number of steps taken (a non-trainable int64 ``Variable``).

        With gradient accumulation, the number of actual updates
        (``calls // gradient_accumulation_steps``), as in Keras.
        """
        if self.gradient_accumulation_steps:
            return Tensor(self._iterations.value // self.gradient_accumulation_steps)
        return self._iterations

    def _step_count(self):
        n = int(self._iterations.value)
        return n // self.gradient_accumulation_steps if self.gradient_accumulation_steps else n

    @property
    def variables(self):
        """All optimizer state, in Keras 3 order: ``iteration``, ``learning_rate`` (float
        learning rates only), EMA averages, gradient accumulators, then the slots."""
        return self._variables[:]

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="none",
                     layout=None, name=None):
        """Creates a non-trainable variable tracked in ``variables``, path ``<name>/<var>``."""
        variable = Variable(initializer, shape=tuple(shape), dtype=dtype, trainable=False,
                            name=name or "variable")
        variable.path = f"{self.name}/{variable.name}"
        self._variables.append(variable)
        return variable

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A slot shaped like ``reference_variable``, named ``<its path, / → _>_<name>``."""
        ref = getattr(reference_variable, "path", None) or str(reference_variable.name).replace(":", "_")
        return self.add_variable(reference_variable.shape, initializer=initializer,
                                 dtype=reference_variable.dtype,
                                 name=f"{ref.replace('/', '_')}_{name or 'var'}")

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """Slots for every variable; several ``name``s are interleaved per variable (Keras).

        Returns:
            A list of slots (``None`` for ``overwrite_with_gradient`` variables), or a
            tuple of such lists when ``name`` is a list.
        """
        names = [name] if isinstance(name, str) else list(name)
        inits = initializer if isinstance(initializer, (list, tuple)) else [initializer] * len(names)
        slots = tuple([] for _ in names)
        for variable in trainable_variables:
            for i, (slot_name, init) in enumerate(zip(names, inits)):
                slots[i].append(None if getattr(variable, "overwrite_with_gradient", False)
                                else self.add_variable_from_reference(variable, slot_name, init))
        return slots[0] if isinstance(name, str) else slots

    def build(self, var_list):
        """Creates the EMA averages and gradient accumulators; subclasses add slots."""
        var_list = list(var_list)
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(var_list, "average")
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = [
                self.add_variable_from_reference(v, "gradient_accumulator") for v in var_list]
        self._index = {id(v): i for i, v in enumerate(var_list)}
        self._trainable_variables = var_list
        self.built = True

    def _get_variable_index(self, variable):
        return self._index[id(variable)]

    def _scratch(self, like, k=0):
        """A reusable buffer shaped like ``like`` (slot ``k``; contents undefined)."""
        key = (like.dtype.char, k)
        buf = self._scratch_buffers.get(key)
        if buf is None or buf.size < like.size:
            buf = self._scratch_buffers[key] = np.empty(like.size, like.dtype)
        return buf[:like.size].reshape(like.shape)

    @staticmethod
    def _blocks(variable_value, gradient, *slots):
        """The arrays of one update as same-shaped blocks of at most :data:`BLOCK` elements.

        An update of many element-wise passes (Adam's twelve) then runs block by block: the
        blocks of all its arrays stay in the core's cache through every pass instead of
        each pass streaming whole arrays through memory (25-30% faster for a 784 x 512
        kernel). ``variable_value`` and the state arrays are updated in place through the
        blocks, so they must be C-contiguous (they are, as kcore allocates them); a
        non-contiguous gradient is copied first. Small arrays come back whole.
        """
        if variable_value.size <= BLOCK or not all(
                a.flags.c_contiguous for a in (variable_value,) + slots):
            return [(variable_value, gradient) + slots]
        flat = [a.reshape(-1) for a in (variable_value, np.ascontiguousarray(gradient)) + slots]
        return [[a[start:start + BLOCK] for a in flat] for start in range(0, flat[0].size, BLOCK)]

    # Keras's assignment helpers, for update steps written with kcore.ops.
    def assign(self, variable, value):
        variable.assign(value)

    def assign_add(self, variable, value):
        variable.assign_add(value)

    def assign_sub(self, variable, value):
        variable.assign_sub(value)

    # -- applying gradients -----------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        """``apply`` on ``(gradient, variable)`` pairs; returns ``iterations`` (as Keras)."""
        grads, variables = zip(*grads_and_vars)
        self.apply(grads, variables)
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """Updates ``trainable_variables`` in place from ``grads`` (see module docstring).

        Args:
            grads: one gradient per variable: numpy arrays, tensors, or ``None`` (that
                variable is skipped).
            trainable_variables: the variables; may be omitted once the optimizer is
                built, to mean the variables it was built with.
        """
        grads = list(grads)
        if not grads:
            return
        variables = self._resolve_variables(grads, trainable_variables)
        with no_recording(), flush_denormals():
            grads, variables = self._filter_empty_gradients(grads, variables)
            grads, variables = self._overwrite_with_gradients(grads, variables)
            if grads:
                grads = [g if g.dtype == v.value.dtype else g.astype(v.value.dtype)
                         for g, v in zip(grads, variables)]
                if self.loss_scale_factor is not None:
                    grads = [g / g.dtype.type(self.loss_scale_factor) for g in grads]
                self._backend_apply_gradients(grads, variables)
                for variable in variables:
                    if variable.constraint is not None:
                        variable.assign(variable.constraint(variable))
            self._iterations.value += 1

    def _resolve_variables(self, grads, trainable_variables):
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first."
                )
            if len(grads) != len(self._trainable_variables):
                raise ValueError(
                    f"Received {len(grads)} gradients, but the optimizer is tracking "
                    f"{len(self._trainable_variables)} trainable variables."
                )
            return self._trainable_variables
        variables = list(trainable_variables)
        if len(variables) != len(grads):
            raise ValueError(f"Received {len(grads)} gradients for {len(variables)} variables.")
        if not self.built:
            self.build(variables)
        index = self._index
        for v in variables:
            if id(v) not in index:
                raise ValueError(
                    f"Unknown variable: {getattr(v, 'path', v)!r}. This optimizer can only be "
                    "called for the variables it was originally built with. When working "
                    "with a new set of variables, you should recreate a new optimizer instance."
                )
        return variables

    def _filter_empty_gradients(self, grads, variables):
        kept = [(_array(g), v) for g, v in zip(grads, variables) if g is not None]
        if len(kept) < len(grads):
            if not kept:
                raise ValueError("No gradients provided for any variable.")
            missing = [v.name for g, v in zip(grads, variables) if g is None]
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the loss. "
                "If using `model.compile()`, did you forget to provide a `loss` argument?"
            )
            return [g for g, _ in kept], [v for _, v in kept]
        return [g for g, _ in kept], list(variables)

    def _overwrite_with_gradients(self, grads, variables):
        """Variables flagged ``overwrite_with_gradient`` take the gradient as their value."""
        if not any(getattr(v, "_overwrite_with_gradient", False) for v in variables):
            return grads, variables
        kept_g, kept_v = [], []
        steps = self.gradient_accumulation_steps
        for g, v in zip(grads, variables):
            if not v.overwrite_with_gradient:
                kept_g.append(g)
                kept_v.append(v)
            elif steps:
                acc = self._accumulated_gradients[self._index[id(v)]]
                if (int(self._iterations.value) + 1) % steps == 0:
                    v.assign(np.maximum(g, acc.value))
                    acc.value.fill(0)
                else:
                    acc.assign(np.maximum(g, acc.value))
            else:
                v.assign(g)
        return kept_g, kept_v

    def _backend_apply_gradients(self, grads, variables):
        steps = self.gradient_accumulation_steps
        if steps:
            accumulators = [self._accumulated_gradients[self._index[id(v)]].value for v in variables]
            for g, acc in zip(grads, accumulators):
                acc += g
            if (int(self._iterations.value) + 1) % steps == 0:
                for acc in accumulators:
                    acc /= acc.dtype.type(steps)
                self._update(accumulators, variables)
                for acc in self._accumulated_gradients:
                    acc.value.fill(0)
        else:
            self._update(grads, variables)
        if self.use_ema:
            self._update_moving_average()
            freq = self.ema_overwrite_frequency
            if freq and (self._step_count() + 1) % freq == 0:
                self._overwrite_model_variables_with_average_value(self._trainable_variables)

    def _update(self, grads, variables):
        grads = self._clip_gradients(grads)
        lr = self._current_learning_rate()
        self._last_learning_rate = lr
        self._apply_weight_decay(variables, lr)
        self._backend_update_step(grads, variables, lr)

    def _backend_update_step(self, grads, variables, learning_rate):
        for g, v in zip(grads, variables):
            self.update_step(g, v, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        """Updates one variable in place; implemented by each optimizer."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_step().")

    def _clip_gradients(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            return [clipping.clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return clipping.clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            return [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    # -- weight decay -----------------------------------------------------------------
    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exempts variables from weight decay.

        Args:
            var_list: variables to exclude.
            var_names: substrings (regular expressions); a variable whose name contains
                one is excluded, e.g. ``["bias"]``.
        """
        self._exclude_ids = {id(v) for v in var_list or ()}
        self._exclude_pattern = re.compile("|".join(set(var_names))) if var_names else None

    def _use_weight_decay(self, variable):
        if id(variable) in self._exclude_ids:
            return False
        pattern = self._exclude_pattern
        return pattern is None or pattern.search(variable.name) is None

    def _apply_weight_decay(self, variables, lr):
        if self.weight_decay is None:
            return
        decay = float(self.weight_decay) * lr
        for v in variables:
            if self._use_weight_decay(v):
                w = v.value
                tmp = self._scratch(w)
                np.multiply(w, decay, out=tmp)
                w -= tmp

    # -- EMA --------------------------------------------------------------------------
    def _update_moving_average(self):
        momentum = self.ema_momentum if self._step_count() != 0 else 0.0
        for v, avg in zip(self._trainable_variables, self._model_variables_moving_average):
            if avg is None:
                continue
            a, w = avg.value, v.value
            tmp = self._scratch(w)
            np.multiply(w, 1.0 - momentum, out=tmp)
            a *= momentum
            a += tmp

    def _overwrite_model_variables_with_average_value(self, var_list):
        averages = self._model_variables_moving_average
        if len(var_list) != len(averages):
            raise ValueError(
                f"The length of model variables ({len(var_list)}) to override does not match "
                f"the number of averages stored in the optimizer ({len(averages)}). Please "
                "check that the optimizer was called on your model."
            )
        for v, avg in zip(var_list, averages):
            if avg is not None:
                v.assign(avg.value)

    def finalize_variable_values(self, var_list):
        """With ``use_ema``, writes the moving averages into ``var_list`` (end of ``fit``)."""
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(list(var_list))

    def scale_loss(self, loss):
        """Multiplies ``loss`` by ``loss_scale_factor`` (if set) before differentiation."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    # -- state ------------------------------------------------------------------------
    def get_weights(self):
        """The values of ``variables``, as a list of numpy arrays."""
        return [v.numpy() for v in self._variables]

    def set_weights(self, weights):
        """Assigns ``weights`` (in ``variables`` order) to the optimizer's variables."""
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been built. "
                "Call `optimizer.build(trainable_variables)` first."
            )
        weights = list(weights)
        if len(weights) != len(self._variables):
            raise ValueError(
                f"Optimizer '{self.name}' has {len(self._variables)} variables, but "
                f"{len(weights)} weights were given."
            )
        for variable, weight in zip(self._variables, weights):
            if tuple(variable.shape) != tuple(np.shape(weight)):
                raise ValueError(
                    f"Optimizer variable {variable.path!r} has shape {variable.shape}, not "
                    f"compatible with the provided weight shape {np.shape(weight)}."
                )
            variable.assign(weight)

    def save_own_variables(self, store):
        """Writes ``variables`` into ``store`` under keys ``"0"``, ``"1"``, ..."""
        for i, variable in enumerate(self._variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        """Reads ``variables`` back from ``store``; warns and skips on a count mismatch."""
        if len(store.keys()) != len(self._variables):
            msg = (f"Skipping variable loading for optimizer '{self.name}', because it has "
                   f"{len(self._variables)} variables whereas the saved optimizer has "
                   f"{len(store.keys())} variables. ")
            if not self.built:
                msg += "This is likely because the optimizer has not been called/built yet."
            warnings.warn(msg, stacklevel=2)
            return
        for i, variable in enumerate(self._variables):
            variable.assign(np.asarray(store[str(i)]))

    def get_config(self):
        """The constructor arguments; ``learning_rate`` is a float or a schedule's config.

        kcore adds ``learning_rate_scale`` when it is not 1 (after ``ReduceLROnPlateau``
        scaled a schedule), so a saved and reloaded optimizer steps exactly as the original.
        """
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            learning_rate = _serialize_schedule(lr)
        elif isinstance(lr, Variable):
            learning_rate = float(lr.value)
        else:
            learning_rate = serialize_keras_object(lr)
        return {
            "name": self.name, "learning_rate": learning_rate,
            "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue,
            "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
            **({"learning_rate_scale": self._learning_rate_scale}
               if self._learning_rate_scale != 1.0 else {}),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds an optimizer (without its state) from ``get_config()`` output.

        tf.keras-only keys (``is_legacy_optimizer``, ``jit_compile``) are dropped, so
        optimizer configs from tf.keras ``.h5`` files load too.
        """
        config = dict(config)
        for key in ("is_legacy_optimizer", "jit_compile"):
            config.pop(key, None)
        scale = config.pop("learning_rate_scale", None)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = deserialize_keras_object(
                config["learning_rate"], module_objects=schedules.ALL_OBJECTS_DICT,
                custom_objects=custom_objects, kind="learning rate schedule")
        optimizer = cls(**config)
        if scale is not None:
            optimizer.learning_rate_scale = scale
        return optimizer

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}, learning_rate={float(self.learning_rate):g}>"


def _snake(name):
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
