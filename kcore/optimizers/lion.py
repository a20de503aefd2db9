"""Lion (Chen et al., 2023)."""

import numpy as np

from kcore.optimizers.base import Optimizer


class Lion(Optimizer):
    r"""EvoLved Sign Momentum (``keras.optimizers.Lion``).

    Update, for gradient ``g`` (``m`` starts at 0)::

        w = w - lr * sign(beta_1 * m + (1 - beta_1) * g)
        m = beta_2 * m + (1 - beta_2) * g

    Args:
        learning_rate: float or schedule (default 0.001; use 3-10x less than for AdamW).
        beta_1: interpolation for the update direction, in ``(0, 1]`` (0.9).
        beta_2: decay of the momentum (0.99).
        **kwargs: the common optimizer arguments (see ``Optimizer``).

    Example:
        >>> opt = kcore.optimizers.Lion(learning_rate=1e-4, weight_decay=0.01)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name,
                         **kwargs)
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(
                "Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer "
                f"degenerates to SignSGD. Received: beta_1={beta_1}."
            )
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums = self.add_optimizer_variables(var_list, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        w, g = variable.value, gradient
        m = self._momentums[self._get_variable_index(variable)].value
        b1, b2 = float(self.beta_1), float(self.beta_2)
        direction, tmp = self._scratch(w, 0), self._scratch(w, 1)
        np.multiply(m, b1, out=direction)
        np.multiply(g, 1.0 - b1, out=tmp)
        direction += tmp
        np.sign(direction, out=direction)
        direction *= learning_rate
        w -= direction
        m *= b2
        np.multiply(g, 1.0 - b2, out=tmp)
        m += tmp

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
