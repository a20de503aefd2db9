"""Adagrad (Duchi et al., 2011)."""

import numpy as np

from kcore.initializers import Constant
from kcore.optimizers.base import Optimizer


class Adagrad(Optimizer):
    r"""Per-parameter rates scaled by accumulated squared gradients (``keras.optimizers.Adagrad``).

    Update, for gradient ``g`` (``accumulator`` starts at ``initial_accumulator_value``)::

        acc = acc + g**2
        w = w - lr * g / sqrt(acc + epsilon)

    Args:
        learning_rate: float or schedule (default 0.001).
        initial_accumulator_value: starting accumulator value (0.1), non-negative.
        epsilon: stability constant (1e-7), inside the square root.
        **kwargs: the common optimizer arguments (see ``Optimizer``).

    Example:
        >>> opt = kcore.optimizers.Adagrad(learning_rate=0.01)
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None,
                 **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name,
                         **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulators = self.add_optimizer_variables(
            var_list, "accumulator", initializer=Constant(self.initial_accumulator_value))

    def update_step(self, gradient, variable, learning_rate):
        w, g = variable.value, gradient
        acc = self._accumulators[self._get_variable_index(variable)].value
        tmp = self._scratch(w)
        np.multiply(g, g, out=tmp)
        acc += tmp
        np.add(acc, float(self.epsilon), out=tmp)
        np.sqrt(tmp, out=tmp)
        np.divide(g, tmp, out=tmp)
        tmp *= learning_rate
        w -= tmp

    def get_config(self):
        return {**super().get_config(),
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}

