"""RMSprop (Hinton, 2012), with optional momentum and centering."""

import numpy as np

from kcore.optimizers.base import Optimizer


class RMSprop(Optimizer):
    r"""Divides the gradient by a running RMS of gradients (``keras.optimizers.RMSprop``).

    Update, for gradient ``g`` (slots start at 0)::

        v = rho * v + (1 - rho) * g**2
        centered:  a = rho * a + (1 - rho) * g
                   inc = lr * g / sqrt(v - a**2 + epsilon)
        otherwise: inc = lr * g / sqrt(v + epsilon)
        momentum > 0: m = momentum * m + inc;  w = w - m
        otherwise:    w = w - inc

    Note that ``epsilon`` is inside the square root (Keras's form).

    Args:
        learning_rate: float or schedule (default 0.001).
        rho: discount of the squared-gradient average (0.9).
        momentum: momentum (0.0); a ``momentum`` slot exists only if > 0.
        epsilon: stability constant (1e-7).
        centered: also track the mean gradient (``average_gradient`` slot).
        **kwargs: the common optimizer arguments (see ``Optimizer``).

    Example:
        >>> model.compile(optimizer=kcore.optimizers.RMSprop(1e-3), loss="mse")
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
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
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        # Keras creates the three kinds of slot one kind at a time.
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        self._momentums = self.add_optimizer_variables(var_list, "momentum") if self.momentum > 0 else []
        self._average_gradients = (self.add_optimizer_variables(var_list, "average_gradient")
                                   if self.centered else [])

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        w, g, v = variable.value, gradient, self._velocities[i].value
        rho, eps = float(self.rho), float(self.epsilon)
        tmp = self._scratch(w)
        v *= rho
        np.multiply(g, g, out=tmp)
        tmp *= 1 - rho
        v += tmp
        if self.centered:
            a = self._average_gradients[i].value
            a *= rho
            np.multiply(g, 1 - rho, out=tmp)
            a += tmp
            np.multiply(a, a, out=tmp)
            np.subtract(v, tmp, out=tmp)
            tmp += eps
        else:
            np.add(v, eps, out=tmp)
        np.sqrt(tmp, out=tmp)
        np.divide(g, tmp, out=tmp)
        tmp *= learning_rate
        if self.momentum > 0:
            m = self._momentums[i].value
            m *= float(self.momentum)
            m += tmp
            w -= m
        else:
            w -= tmp

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}
