"""FTRL-Proximal (McMahan et al., 2013)."""

import numpy as np

from kcore.initializers import Constant
from kcore.optimizers.base import Optimizer


class Ftrl(Optimizer):
    r"""Follow The Regularized Leader (``keras.optimizers.Ftrl``).

    Update, for gradient ``g``, with ``p = learning_rate_power`` (``n`` = ``accumulator``
    starts at ``initial_accumulator_value``, ``z`` = ``linear`` at 0)::

        l2 = l2_regularization_strength + beta / (2 * lr)
        g_s = g + 2 * l2_shrinkage_regularization_strength * w
        n_new = n + g**2
        z = z + g_s - (n_new**(-p) - n**(-p)) / lr * w
        w = (clip(z, -l1, l1) - z) / (n_new**(-p) / lr + 2 * l2)
        n = n_new

    Args:
        learning_rate: float or schedule (default 0.001).
        learning_rate_power: ``<= 0`` (-0.5).
        initial_accumulator_value: ``>= 0`` (0.1).
        l1_regularization_strength, l2_regularization_strength,
        l2_shrinkage_regularization_strength: ``>= 0`` (0.0).
        beta: the paper's beta (0.0).
        **kwargs: the common optimizer arguments (see ``Optimizer``).

    Example:
        >>> opt = kcore.optimizers.Ftrl(learning_rate=0.1, l1_regularization_strength=0.01)
    """

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name,
                         **kwargs)
        for arg, value in (("initial_accumulator_value", initial_accumulator_value),
                           ("l1_regularization_strength", l1_regularization_strength),
                           ("l2_regularization_strength", l2_regularization_strength),
                           ("l2_shrinkage_regularization_strength",
                            l2_shrinkage_regularization_strength)):
            if value < 0.0:
                raise ValueError(f"`{arg}` needs to be positive or zero. Received: {arg}={value}.")
        if learning_rate_power > 0.0:
            raise ValueError(
                "`learning_rate_power` needs to be negative or zero. Received: "
                f"learning_rate_power={learning_rate_power}."
            )
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulators, self._linears = self.add_optimizer_variables(
            var_list, ["accumulator", "linear"],
            initializer=[Constant(self.initial_accumulator_value), "zeros"])

    def _power(self, x, out):
        power = -float(self.learning_rate_power)
        if power == 0.5:
            return np.sqrt(x, out=out)
        return np.power(x, power, out=out)

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        w, g = variable.value, gradient
        n, z = self._accumulators[i].value, self._linears[i].value
        l1 = float(self.l1_regularization_strength)
        l2 = float(self.l2_regularization_strength) + float(self.beta) / (2.0 * learning_rate)
        shrinkage = float(self.l2_shrinkage_regularization_strength)
        n_new, n_new_pow = self._scratch(w, 0), self._scratch(w, 1)
        np.multiply(g, g, out=n_new)
        n_new += n
        self._power(n_new, out=n_new_pow)
        # n is overwritten by n_new at the end, so it serves as scratch until then.
        self._power(n, out=n)
        np.subtract(n_new_pow, n, out=n)
        n /= learning_rate
        n *= w
        z += g
        if shrinkage:
            z += (2 * shrinkage) * w
        z -= n
        n_new_pow /= learning_rate
        n_new_pow += 2 * l2
        np.clip(z, -l1, l1, out=w)
        w -= z
        w /= n_new_pow
        np.copyto(n, n_new)

    def get_config(self):
        return {**super().get_config(),
                "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
                "beta": self.beta}

