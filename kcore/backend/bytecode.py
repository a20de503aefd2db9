"""Python functions as marshalled bytecode: how Keras stores a ``lambda`` in a config.

``func_load`` executes code taken from a file. Only the deserializers call it, and only
after checking that safe mode is off (``load_model(..., safe_mode=False)`` or
``kcore.config.enable_unsafe_deserialization()``).
"""

import base64
import marshal
import sys
import types

import numpy as np


def func_dump(fn):
    """``(base64 marshalled code, defaults, closure values)`` of a Python function."""
    code = base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii")
    closure = tuple(c.cell_contents for c in fn.__closure__) if fn.__closure__ else None
    return code, fn.__defaults__, closure


def func_load(code, defaults=None, closure=None):
    """Rebuilds a function from ``func_dump`` output (executes stored bytecode: unsafe)."""
    if isinstance(code, (list, tuple)):
        code, defaults, closure = code
    if isinstance(defaults, list):
        defaults = tuple(defaults)
    raw = base64.decodebytes(code.encode("ascii"))
    code_obj = marshal.loads(raw)  # noqa: S302 -- only reached outside safe mode
    cells = None
    if closure is not None:
        cells = tuple(types.CellType(v) for v in closure)
    kcore = sys.modules.get("kcore")
    # Ported Keras lambdas often refer to `keras.ops`/`ops`/`np`: resolve them to kcore's.
    globs = {"__builtins__": __builtins__, "ops": sys.modules.get("kcore.ops"), "kcore": kcore,
             "keras": kcore, "np": np}
    return types.FunctionType(code_obj, globs, name=code_obj.co_name, argdefs=defaults,
                              closure=cells)
