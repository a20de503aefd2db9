"""Nadam (Dozat, 2015)."""

import numpy as np

from kcore.optimizers.base import Optimizer


class Nadam(Optimizer):
    r"""Adam with Nesterov momentum (``keras.optimizers.Nadam``).

    With ``u_t = beta_1 * (1 - 0.5 * 0.96**t)`` and ``P_t = u_1 * ... * u_t`` (kept in the
    ``<name>/variable`` variable, updated once per step before the variables), at step
    ``t = iterations + 1``, for gradient ``g``::

        m = m + (g - m) * (1 - beta_1)
        v = v + (g**2 - v) * (1 - beta_2)
        m_hat = u_{t+1} * m / (1 - P_t * u_{t+1}) + (1 - u_t) * g / (1 - P_t)
        v_hat = v / (1 - beta_2**t)
        w = w - lr * m_hat / (sqrt(v_hat) + epsilon)

    Args:
        learning_rate: float or schedule (default 0.001).
        beta_1: decay of the first moment (0.9).
        beta_2: decay of the second moment (0.999).
        epsilon: stability constant (1e-7).
        **kwargs: the common optimizer arguments (see ``Optimizer``).

    Example:
        >>> opt = kcore.optimizers.Nadam(learning_rate=1e-3)
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
        var_list = list(var_list)
        dtype = var_list[0].dtype if var_list else None
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])
        # Keras creates it last, as an unnamed variable: its path is "<name>/variable".
        self._u_product = self.add_variable((), initializer="ones", dtype=dtype, name="variable")

    def _u(self, t, dtype):
        cast = dtype.type
        return float(cast(self.beta_1)) * (1.0 - 0.5 * float(cast(0.96)) ** t)

    def _backend_update_step(self, grads, variables, learning_rate):
        p = self._u_product.value
        p[...] = float(p) * self._u(self._step_count() + 1, p.dtype)
        super()._backend_update_step(grads, variables, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        w, g = variable.value, gradient
        m, v = self._momentums[i].value, self._velocities[i].value
        b1, b2 = float(self.beta_1), float(self.beta_2)
        t = self._step_count() + 1
        u_t, u_next = self._u(t, w.dtype), self._u(t + 1, w.dtype)
        p_t = float(w.dtype.type(self._u_product.value))
        p_next = float(w.dtype.type(p_t * u_next))
        tmp, m_hat = self._scratch(w, 0), self._scratch(w, 1)
        np.subtract(g, m, out=tmp)
        tmp *= 1 - b1
        m += tmp
        np.multiply(g, g, out=tmp)
        tmp -= v
        tmp *= 1 - b2
        v += tmp
        np.multiply(m, u_next / (1 - p_next), out=m_hat)
        np.multiply(g, (1 - u_t) / (1 - p_t), out=tmp)
        m_hat += tmp
        np.divide(v, 1 - float(w.dtype.type(b2)) ** t, out=tmp)
        np.sqrt(tmp, out=tmp)
        tmp += float(self.epsilon)
        np.divide(m_hat, tmp, out=tmp)
        tmp *= learning_rate
        w -= tmp

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
