"""Adamax (Kingma & Ba, 2014, section 7.1)."""

import numpy as np

from kcore.optimizers.base import Optimizer


class Adamax(Optimizer):
    r"""Adam with the infinity norm (``keras.optimizers.Adamax``).

    Update at step ``t = iterations + 1``, for gradient ``g`` (slots start at 0)::

        m = m + (g - m) * (1 - beta_1)
        u = max(beta_2 * u, |g|)
        w = w - lr * m / ((1 - beta_1**t) * (u + epsilon))

    Args:
        learning_rate: float or schedule (default 0.001).
        beta_1: decay of the first moment (0.9).
        beta_2: decay of the infinity norm (0.999).
        epsilon: stability constant (1e-7).
        **kwargs: the common optimizer arguments (see ``Optimizer``).

    Example:
        >>> opt = kcore.optimizers.Adamax(learning_rate=2e-3)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
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
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._m, self._u = self.add_optimizer_variables(var_list, ["momentum", "norm"])

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        w, g, m, u = variable.value, gradient, self._m[i].value, self._u[i].value
        b1 = float(self.beta_1)
        correction = 1 - float(w.dtype.type(b1)) ** (self._step_count() + 1)
        tmp = self._scratch(w)
        np.subtract(g, m, out=tmp)
        tmp *= 1 - b1
        m += tmp
        u *= float(self.beta_2)
        np.abs(g, out=tmp)
        np.maximum(u, tmp, out=u)
        np.add(u, float(self.epsilon), out=tmp)
        tmp *= correction
        np.divide(m, tmp, out=tmp)
        tmp *= learning_rate
        w -= tmp

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}

