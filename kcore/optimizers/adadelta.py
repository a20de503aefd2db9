"""Adadelta (Zeiler, 2012)."""

import numpy as np

from kcore.optimizers.base import Optimizer


class Adadelta(Optimizer):
    r"""Adagrad with a decaying window and unit correction (``keras.optimizers.Adadelta``).

    Update, for gradient ``g`` (slots start at 0)::

        Eg = rho * Eg + (1 - rho) * g**2
        delta = -sqrt(Edx + epsilon) * g / sqrt(Eg + epsilon)
        Edx = rho * Edx + (1 - rho) * delta**2
        w = w + lr * delta

    Args:
        learning_rate: float or schedule (default 0.001; 1.0 matches the paper).
        rho: decay rate (0.95).
        epsilon: stability constant (1e-7).
        **kwargs: the common optimizer arguments (see ``Optimizer``).

    Example:
        >>> opt = kcore.optimizers.Adadelta(learning_rate=1.0)
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None,
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
        self.rho = rho
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            var_list, ["accumulated_grad", "accumulated_delta_var"])

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        w, g = variable.value, gradient
        eg, edx = self._accumulated_grads[i].value, self._accumulated_delta_vars[i].value
        rho, eps = float(self.rho), float(self.epsilon)
        neg_delta, tmp = self._scratch(w, 0), self._scratch(w, 1)
        eg *= rho
        np.multiply(g, g, out=tmp)
        tmp *= 1 - rho
        eg += tmp
        np.add(edx, eps, out=neg_delta)
        np.sqrt(neg_delta, out=neg_delta)
        neg_delta *= g
        np.add(eg, eps, out=tmp)
        np.sqrt(tmp, out=tmp)
        neg_delta /= tmp
        edx *= rho
        np.multiply(neg_delta, neg_delta, out=tmp)
        tmp *= 1 - rho
        edx += tmp
        neg_delta *= learning_rate
        w -= neg_delta

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
