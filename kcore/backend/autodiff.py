"""Reverse-mode autodiff on a dynamic tape.

A *primitive* is one function that computes its forward result from numpy arrays and
returns it together with its vector-Jacobian product (VJP)::

    @primitive
    def exp(x):
        out = np.exp(x)
        return out, lambda g: (g * out,)

The VJP returns one gradient per positional input (``None`` where there is none). A VJP
declared with a second parameter, ``vjp(g, needs)``, receives a tuple of booleans saying
which inputs need a gradient, so it can skip work (e.g. ``matmul`` on a data batch). The
gradient may have the *broadcast* shape; it is reduced to the input's shape in exactly one
place, ``_unbroadcast``. Keyword arguments of a primitive are static (axes, flags).

Nothing is recorded unless a ``GradientTape`` is recording, so inference pays only for the
numpy call plus one ``Tensor`` allocation per op.
"""

import contextvars
import functools

import numpy as np

from kcore.backend.tensor import Tensor, Variable

# Tapes recording in this thread / async task, innermost last. An immutable tuple in a
# context variable: each thread and each asyncio task sees only its own tapes, and
# `no_recording` in one never touches another's (one ContextVar.get per op).
_recording = contextvars.ContextVar("kcore_recording_tapes", default=())
# Every primitive by name: the gradient-check table must cover each one.
PRIMITIVES = {}
NONDIFFERENTIABLE = {}
# Set by kcore.layers: builds a graph node when an op receives a symbolic KerasTensor.
_symbolic = {"handler": None, "type": None}


def set_symbolic_handler(tensor_type, handler):
    """Registers how ops treat symbolic tensors (``handler(op, args, kwargs)``)."""
    _symbolic["type"] = tensor_type
    _symbolic["handler"] = handler


def has_symbolic(args, kwargs=None):
    """Whether a symbolic tensor (of the registered type) is among ``args``/``kwargs``,
    also inside lists, tuples and dicts."""
    kind = _symbolic["type"]
    return kind is not None and (_contains(args, kind)
                                 or bool(kwargs) and _contains(kwargs.values(), kind))


def _contains(values, kind):
    for v in values:
        if isinstance(v, kind):
            return True
        if isinstance(v, (list, tuple)) and _contains(v, kind):
            return True
        if isinstance(v, dict) and _contains(v.values(), kind):
            return True
    return False


def _symbolic_fallback(op, args, kwargs):
    """The graph node of ``op(*args, **kwargs)`` when a symbolic tensor is among the
    arguments, else ``None``."""
    if has_symbolic(args, kwargs):
        return _symbolic["handler"](op, args, kwargs)
    return None


def _unwrap(a):
    return a.value if isinstance(a, Tensor) else a


def _wrap(out):
    if type(out) is tuple:
        return tuple(Tensor(o) for o in out)
    return Tensor(out)


def primitive(fn):
    """Turns ``fn(*arrays, **static) -> (out, vjp)`` into a differentiable op."""
    name = fn.__name__

    @functools.wraps(fn)
    def op(*args, **kwargs):
        try:
            out, vjp = fn(*[a.value if isinstance(a, Tensor) else a for a in args], **kwargs)
            # Inside the try: a numpy function that only indexes its input (np.flip) returns
            # a symbolic tensor unchanged instead of raising, and wrapping it raises.
            res = _wrap(out)
        except Exception:
            res = _symbolic_fallback(op, args, kwargs)
            if res is None:
                raise
            return res
        tapes = _recording.get()
        if tapes:
            outs = res if type(res) is tuple else (res,)
            for tape in tapes:
                tape._record(args, outs, vjp, type(res) is tuple)
        return res

    op.raw = fn
    PRIMITIVES[name] = op
    return op


def nondifferentiable(fn):
    """Turns ``fn(*arrays, **static) -> out`` into an op with no gradient (e.g. ``argmax``)."""

    @functools.wraps(fn)
    def op(*args, **kwargs):
        try:
            return _wrap(fn(*[a.value if isinstance(a, Tensor) else a for a in args], **kwargs))
        except Exception:
            res = _symbolic_fallback(op, args, kwargs)
            if res is None:
                raise
            return res

    op.raw = fn
    NONDIFFERENTIABLE[fn.__name__] = op
    return op


def _unbroadcast(g, shape):
    """Sums ``g`` over the axes that broadcasting added, so that it has ``shape``."""
    g = np.asarray(g)
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    if g.shape != shape:
        g = np.array(np.broadcast_to(g, shape))
    return g


def _flatten(structure):
    if isinstance(structure, dict):
        return [x for k in structure for x in _flatten(structure[k])]
    if isinstance(structure, (list, tuple)):
        return [x for s in structure for x in _flatten(s)]
    return [structure]


def _pack(structure, flat):
    it = iter(flat)

    def rebuild(s):
        if isinstance(s, dict):
            return {k: rebuild(v) for k, v in s.items()}
        if isinstance(s, (list, tuple)):
            return type(s)(rebuild(x) for x in s)
        return next(it)

    return rebuild(structure)


class GradientTape:
    """Records operations so that gradients can be computed, as ``tf.GradientTape``.

    Args:
        persistent: allow several ``gradient`` calls on one tape.
        watch_accessed_variables: trainable ``Variable``s used inside the block are
            watched automatically; otherwise only what is passed to ``watch`` is.

    Example:
        >>> w = kcore.Variable(np.array([2.0]))
        >>> with kcore.GradientTape() as tape:
        ...     y = w * w
        >>> tape.gradient(y, w).numpy()
        array([4.], dtype=float32)
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._tracked = {}
        self._records = []
        self._used = False
        self._active = False

    def __enter__(self):
        _recording.set(_recording.get() + (self,))
        self._active = True
        return self

    def __exit__(self, *exc):
        if self._active:
            _stop(self)
            self._active = False
        return False

    def watch(self, tensor):
        """Marks a tensor (or a nested list of tensors) so that gradients can flow to it."""
        for t in _flatten(tensor):
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"GradientTape.watch expects kcore tensors or variables, got {type(t).__name__}. "
                    "Convert numpy data first with kcore.ops.convert_to_tensor(x)."
                )
            if t.value.dtype.kind in "fc":
                self._tracked[id(t)] = t

    def watched_variables(self):
        """Variables watched by this tape, in the order they were first used."""
        return [t for t in self._tracked.values() if isinstance(t, Variable)]

    def stop_recording(self):
        """Context manager that pauses recording on this tape."""
        return _Paused(self)

    def reset(self):
        """Clears everything recorded so far."""
        self._tracked.clear()
        self._records.clear()

    def _record(self, args, outs, vjp, multi):
        tracked = self._tracked
        parents = []
        for i, a in enumerate(args):
            if isinstance(a, Tensor):
                key = id(a)
                if key in tracked:
                    parents.append(i)
                elif (self.watch_accessed_variables and isinstance(a, Variable)
                      and a._trainable and a.value.dtype.kind == "f"):
                    tracked[key] = a
                    parents.append(i)
        if not parents:
            return
        for o in outs:
            if o.value.dtype.kind in "fc":
                tracked[id(o)] = o
        self._records.append((args, parents, outs, vjp, multi))

    def gradient(self, target, sources, output_gradients=None, unconnected_gradients="none"):
        """Gradient of ``target`` (summed, if not a scalar) with respect to ``sources``.

        Args:
            target: a tensor, or a list of tensors whose gradients are added.
            sources: a tensor/variable, or a nested list/dict of them.
            output_gradients: optional upstream gradients, one per target.
            unconnected_gradients: ``"none"`` (default, as in TF) or ``"zero"``.

        Returns:
            Gradients with the structure of ``sources``; ``None`` for an unconnected source.
        """
        flat_sources = _flatten(sources)
        grads = self._gradient_arrays(target, flat_sources, output_gradients)
        out = []
        for s, g in zip(flat_sources, grads):
            if g is None and unconnected_gradients == "zero":
                g = np.zeros(s.shape, dtype=s.value.dtype)
            out.append(None if g is None else Tensor(g))
        if isinstance(sources, (list, tuple, dict)):
            return _pack(sources, out)
        return out[0]

    def _gradient_arrays(self, target, flat_sources, output_gradients=None):
        """Same as ``gradient`` but on a flat source list, returning numpy arrays."""
        if self._used and not self.persistent:
            raise RuntimeError(
                "A non-persistent GradientTape can only compute gradients once; "
                "use GradientTape(persistent=True) for several gradient() calls."
            )
        self._used = True
        if self._active and not self.persistent:
            # Keras/TF allow gradient() inside the block; stop recording from here on.
            _stop(self)
            self._active = False
        targets = _flatten(target)
        ogs = _flatten(output_gradients) if output_gradients is not None else [None] * len(targets)
        grads = {}
        for t, og in zip(targets, ogs):
            if not isinstance(t, Tensor):
                raise TypeError(f"GradientTape.gradient target must be a tensor, got {type(t).__name__}.")
            seed = np.ones(t.shape, t.value.dtype) if og is None else np.asarray(_unwrap(og), t.value.dtype)
            grads[id(t)] = grads[id(t)] + seed if id(t) in grads else seed
        for args, parents, outs, vjp, multi in reversed(self._records):
            if multi:
                gs = [grads.get(id(o)) for o in outs]
                if all(g is None for g in gs):
                    continue
                gin = vjp([np.zeros(o.shape, o.value.dtype) if g is None else g for g, o in zip(gs, outs)])
            else:
                g = grads.get(id(outs[0]))
                if g is None:
                    continue
                if vjp.__code__.co_argcount == 2:
                    gin = vjp(g, tuple(i in parents for i in range(len(args))))
                else:
                    gin = vjp(g)
            for i in parents:
                gi = gin[i]
                if gi is None:
                    continue
                a = args[i]
                gi = _unbroadcast(gi, a.value.shape)
                if gi.dtype != a.value.dtype:
                    gi = gi.astype(a.value.dtype)
                key = id(a)
                prev = grads.get(key)
                grads[key] = gi if prev is None else prev + gi
        if not self.persistent:
            self._records = []
            self._tracked = {}
        result = []
        for s in flat_sources:
            if not isinstance(s, Tensor):
                raise TypeError(
                    f"GradientTape.gradient sources must be tensors or variables, got "
                    f"{type(s).__name__}."
                )
            result.append(grads.get(id(s)))
        return result


def _stop(tape):
    """Removes ``tape`` from this context's recording tapes (if it is there)."""
    tapes = _recording.get()
    if tape in tapes:
        _recording.set(tuple(t for t in tapes if t is not tape))


class _Paused:
    def __init__(self, tape):
        self.tape = tape

    def __enter__(self):
        self.paused = self.tape in _recording.get()
        if self.paused:
            _stop(self.tape)
        return self.tape

    def __exit__(self, *exc):
        if self.paused and self.tape._active:
            _recording.set(_recording.get() + (self.tape,))
        return False


def is_recording():
    """True when some GradientTape is recording in this thread / async task."""
    return bool(_recording.get())


class no_recording:
    """Pauses every tape of this thread / async task (inference paths and optimizers).

    Tapes of other threads and tasks keep recording: the paused set lives in this context.
    """

    def __enter__(self):
        self._saved = _recording.get()
        _recording.set(())

    def __exit__(self, *exc):
        # A tape whose block ended (or that computed its gradient) meanwhile stays off.
        _recording.set(tuple(t for t in self._saved if t._active))
        return False
