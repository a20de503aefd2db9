"""Writes ``kcore/models/keras_ops.json``: how Keras 3 records each ``keras.ops`` function.

In a Functional model, Keras stores an op call as one graph node of an ``Operation`` class
(``keras.src.ops.numpy.Sum``...): the class's constructor arguments go into the node's
``config`` (``axis``, ``keepdims``), its ``call`` arguments into ``inbound_nodes``. kcore
reads this table to write its op nodes the way Keras does and to read Keras's. Run it with
real Keras (not kcore's environment), from the repository root::

    KERAS_BACKEND=numpy /path/to/keras-venv/bin/python tools/make_keras_ops_table.py \
        > kcore/models/keras_ops.json

It only inspects Keras: each public function of the ``keras.src.ops`` modules below that
constructs exactly one ``Operation`` class, with that class's constructor and ``call``
parameter names.
"""
import inspect, json, os, re, sys
os.environ.setdefault("KERAS_BACKEND", "numpy")
import keras
from keras.src.ops.operation import Operation
import keras.src.ops as kops

MODULES = ["numpy", "nn", "math", "core", "linalg", "image"]
table = {}
for modname in MODULES:
    mod = getattr(kops, modname)
    classes = {n: c for n, c in vars(mod).items() if inspect.isclass(c) and issubclass(c, Operation)
               and c.__module__ == mod.__name__}
    for fname, fn in vars(mod).items():
        if fname.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != mod.__name__:
            continue
        if getattr(keras.ops, fname, None) is None:
            continue
        try:
            src = inspect.getsource(fn)
        except OSError:
            continue
        used = [c for c in classes if re.search(rf"\b{c}\(", src)]
        if len(used) != 1:
            continue
        cls = classes[used[0]]
        init = [p.name for p in inspect.signature(cls.__init__).parameters.values()
                if p.name not in ("self", "name") and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        call = [p.name for p in inspect.signature(cls.call).parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_KEYWORD,)]
        var = [p.name for p in inspect.signature(cls.call).parameters.values() if p.kind == p.VAR_POSITIONAL]
        table[fname] = {"module": mod.__name__, "class_name": cls.__name__, "init": init, "call": call,
                        "var_call": bool(var)}
# One op per line, so that a Keras upgrade shows as a readable diff.
lines = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in sorted(table.items())]
sys.stdout.write('{"keras_version": %s,\n "ops": {\n%s\n}}\n'
                 % (json.dumps(keras.__version__), ",\n".join(lines)))
