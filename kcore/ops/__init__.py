"""``kcore.ops``: the differentiable op set, with ``keras.ops`` names and signatures.

Every op accepts tensors, variables, numpy arrays and Python numbers, and returns a
``Tensor``. Ops are recorded on an active ``GradientTape`` and cost only the numpy call
otherwise. Modules: ``core`` (conversion, casting, gradient control), ``math``
(element-wise), ``logic`` (comparisons), ``reductions``, ``shape`` (array manipulation and indexing), ``linalg``,
``creation``, ``nn`` (activations, losses, normalisation) and ``conv``.
"""

from kcore.ops.core import *  # noqa: F401,F403
from kcore.ops.math import *  # noqa: F401,F403
from kcore.ops.logic import *  # noqa: F401,F403
from kcore.ops.reductions import *  # noqa: F401,F403
from kcore.ops.shape import *  # noqa: F401,F403
from kcore.ops.linalg import *  # noqa: F401,F403
from kcore.ops.creation import *  # noqa: F401,F403
from kcore.ops.nn import *  # noqa: F401,F403
from kcore.ops.conv import *  # noqa: F401,F403

# Importing the submodule ``kcore.ops.shape`` bound the package attribute ``shape`` to that
# module; ``kcore.ops.shape`` must be the op (as ``keras.ops.shape``). Use
# ``from kcore.ops.shape import ...`` to reach the module's contents.
from kcore.ops.core import shape  # noqa: E402,F401
from kcore.ops.normalization import *  # noqa: F401,F403
from kcore.ops.recurrent import *  # noqa: F401,F403


# Public ops called on symbolic tensors become graph nodes (see kcore.ops._symbolic).
from kcore.ops import _symbolic  # noqa: E402

_symbolic.install(globals())
