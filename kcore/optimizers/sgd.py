"""Stochastic gradient descent, with optional (Nesterov) momentum."""

import numpy as np

from kcore.optimizers.base import Optimizer


class SGD(Optimizer):
    r"""Gradient descent with momentum (``keras.optimizers.SGD``).

    Update, for gradient ``g``, learning rate ``lr`` and ``momentum`` = ``mu``::

        mu == 0:   w = w - lr * g
        otherwise: m = mu * m - lr * g                  (m starts at 0)
                   w = w + m                           (nesterov=False)
                   w = w + mu * m - lr * g             (nesterov=True)

    Args:
        learning_rate: float or schedule (default 0.01).
        momentum: in ``[0, 1]`` (default 0.0); a ``momentum`` slot exists only if non-zero.
        nesterov: use Nesterov momentum.
        **kwargs: the common optimizer arguments (see ``Optimizer``).

    Example:
        >>> opt = kcore.optimizers.SGD(learning_rate=0.1, momentum=0.9)
        >>> opt.apply([grad], [variable])
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
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
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(f"`momentum` must be a float between [0, 1]. Received: momentum={momentum!r}")
        self.momentum = momentum
        self.nesterov = nesterov

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self.momentums = self.add_optimizer_variables(var_list, "momentum") if self.momentum != 0 else []

    def update_step(self, gradient, variable, learning_rate):
        w = variable.value
        tmp = self._scratch(w)
        np.multiply(gradient, learning_rate, out=tmp)
        if self.momentum == 0:
            w -= tmp
            return
        mu = float(self.momentum)
        m = self.momentums[self._get_variable_index(variable)].value
        m *= mu
        m -= tmp
        if self.nesterov:
            w -= tmp
            np.multiply(m, mu, out=tmp)
            w += tmp
        else:
            w += m

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
