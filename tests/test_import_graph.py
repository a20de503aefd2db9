"""The import graph of ``kcore/`` follows DESIGN §2: no cycles, no upward imports.

Built with ``ast`` from the source (nothing is imported). Module-level imports must form an
acyclic graph in which every edge goes to the same or a lower layer. An import inside a
function hides such an edge from that check, so every one of those is listed in
``LAZY_IMPORTS`` below with its reason; a new one fails the test until it is moved to the
top of its module or listed (and a listed one that disappeared must be removed). Heavy
optional third-party libraries (h5py, tensorboardX, wandb, matplotlib, tqdm, pooch, rich)
are imported lazily by design and are not part of this graph.
"""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1] / "kcore"

#: DESIGN §2, bottom to top. The most specific prefix applies.
LAYERS = {
    "kcore.backend": 0,
    "kcore.hooks.registry": 0,  # entry-point name lookup: importlib.metadata only
    "kcore.tracing": 0,  # step tracing spans: standard library only, used by the loop
    "kcore.ops": 1,
    "kcore.activations": 2, "kcore.initializers": 2, "kcore.regularizers": 2,
    "kcore.constraints": 2, "kcore.random": 2, "kcore.datasets": 2,
    "kcore.losses": 3, "kcore.metrics": 3, "kcore.optimizers": 3,
    "kcore.layers": 4,
    "kcore.hooks": 5,
    "kcore.distribution": 5,  # asks the plugin manager (hook kcore_distribution)
    "kcore.saving": 6, "kcore.callbacks": 6,
    "kcore.models": 7, "kcore.trainers": 7,
    "kcore.utils": 8, "kcore.config": 8,
    "kcore.applications": 8,  # builds Functional models from layers
    "kcore": 9, "kcore.__main__": 9,
}

#: Every import of a kcore module inside a function, (importer, imported) -> why.
LAZY_IMPORTS = {
    ("kcore.backend", "kcore.layers.input_layer"):
        "upward: kcore.backend is also Keras's public keras.backend namespace (is_keras_tensor)",
    ("kcore.backend", "kcore.layers.layer"):
        "upward: kcore.backend is also Keras's public keras.backend namespace (clear_session)",
    ("kcore.backend.tensor", "kcore.initializers"):
        "upward: Variable('zeros', shape=...) accepts an initializer name, as Keras",
    ("kcore.backend.tensor", "kcore.ops"):
        "upward and a cycle: Tensor operators (+, @, ...) dispatch to kcore.ops, which builds on Tensor",
    ("kcore.layers.input_layer", "kcore.backend.random"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.layers.input_layer", "kcore.layers.input_spec"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.layers.input_layer", "kcore.ops"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.layers.layer", "kcore.layers.input_layer"):
        "cycle: calling a layer on a KerasTensor records a Node; InputLayer is a Layer",
    ("kcore.layers.layer", "kcore.ops"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.layers.preprocessing.lookup", "kcore.backend.serialization"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.layers.reshaping", "kcore.layers.input_layer"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.layers.rnn_cells", "kcore.layers"):
        "cycle: a cell config names any layer class (layers/__init__ imports the RNN layers)",
    ("kcore.layers.rnn_cells", "kcore.layers.recurrent"):
        "cycle: recurrent -> rnn_base -> rnn_cells",
    ("kcore.losses.loss", "kcore.losses"):
        "cycle: Loss configs resolve through the package, which imports every loss module",
    ("kcore.metrics.reduction", "kcore.metrics"):
        "cycle: MeanMetricWrapper.from_config resolves a function through the package",
    ("kcore.models.cloning", "kcore.models.functional"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.models.cloning", "kcore.models.sequential"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.models.functional", "kcore.layers.input_layer"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.models.functional", "kcore.models.serialization"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.models.model", "kcore.layers.input_layer"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.models.model", "kcore.models.functional"):
        "cycle: Model(inputs, outputs) returns a Functional, a subclass of Model",
    ("kcore.models.model", "kcore.models.serialization"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.models.model", "kcore.models.summary"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.models.model", "kcore.saving.saving_api"):
        "Model.save/load_weights delegate to saving, whose loader builds models",
    ("kcore.models.sequential", "kcore.backend.serialization"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.models.sequential", "kcore.layers.layer"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.models.sequential", "kcore.models.functional"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.models.sequential", "kcore.models.serialization"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.models.serialization", "kcore.layers"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.models.serialization", "kcore.models.functional"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.models.serialization", "kcore.models.model"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.models.serialization", "kcore.models.sequential"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.models.summary", "kcore.models.functional"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.models.summary", "kcore.models.sequential"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.saving.h5io", "kcore.backend.serialization"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.saving.keras_zip", "kcore.models.functional"):
        "upward: config.json names Functional models as Keras does",
    ("kcore.saving.keras_zip", "kcore.saving.saving_api"):
        "cycle: saving_api dispatches .keras to keras_zip, which rebuilds and compiles "
        "models with saving_api's shared helpers",
    ("kcore.saving.saving_api", "kcore.layers.input_layer"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.saving.saving_api", "kcore.layers.layer"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.saving.saving_api", "kcore.models.functional"):
        "upward: load_model rebuilds Functional models from their config",
    ("kcore.saving.saving_api", "kcore.models.sequential"):
        "upward: load_model rebuilds Sequential models from their config",
    ("kcore.saving.saving_api", "kcore.models.serialization"):
        "upward: load_model deserializes model configs",
    ("kcore.saving.training_config", "kcore.losses"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.saving.training_config", "kcore.metrics"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.saving.training_config", "kcore.optimizers"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.saving.weights_h5", "kcore.layers.layer"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.saving.weights_h5", "kcore.models.functional"):
        "upward: the weights walk follows Keras's order for graph models",
    ("kcore.saving.weights_h5", "kcore.models.model"):
        "upward: the weights walk follows Keras's order for subclassed models",
    ("kcore.saving.weights_h5", "kcore.models.sequential"):
        "upward: the weights walk follows Keras's order for graph models",
    ("kcore.saving.weights_h5", "kcore.optimizers"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.utils", "kcore.utils.plotting"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.utils.file_datasets", "kcore.backend.config"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.utils.file_datasets", "kcore.layers.preprocessing.image"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.utils.plotting", "kcore.models.functional"):
        "no cycle: can move to the top of the module (not done yet)",
    ("kcore.utils.plotting", "kcore.models.sequential"):
        "no cycle: can move to the top of the module (not done yet)",
}


def _modules():
    mods = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return mods


def _targets(module, node, is_package, mods):
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            parts = module.split(".")[:None if is_package else -1]
            parts = parts[:len(parts) - node.level + 1]
            base = ".".join(parts + ([base] if base else []))
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
    found = set()
    for name in names:
        if name != "kcore" and not name.startswith("kcore."):
            continue
        while name not in mods and "." in name:
            name = name.rsplit(".", 1)[0]
        found.add(name)
    return found


def import_graph():
    """``(top, lazy)``: ``{module: {imported kcore modules}}`` at module level / in functions."""
    mods = _modules()
    top, lazy = {m: set() for m in mods}, {m: set() for m in mods}

    def visit(module, node, is_package, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                targets = _targets(module, child, is_package, mods) - {module}
                (lazy if in_function else top)[module].update(targets)
            visit(module, child, is_package, in_function or isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    for module, path in mods.items():
        visit(module, ast.parse(path.read_text()), path.name == "__init__.py", False)
    return top, lazy


def layer_of(module):
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in LAYERS:
            return LAYERS[prefix]
    raise AssertionError(f"{module} is in no layer; add it to LAYERS")


def _cycle(graph):
    state = {}

    def dfs(node, stack):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = dfs(nxt, stack)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = dfs(node, [])
            if found:
                return found
    return None


def test_module_level_imports_have_no_cycle():
    top, _ = import_graph()
    cycle = _cycle(top)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_module_level_imports_never_go_up_a_layer():
    top, _ = import_graph()
    upward = sorted((a, b) for a, targets in top.items() for b in targets
                    if layer_of(b) > layer_of(a))
    assert upward == [], "upward imports (DESIGN §2): " + ", ".join(f"{a} -> {b}" for a, b in upward)


def test_every_import_inside_a_function_is_listed_with_its_reason():
    _, lazy = import_graph()
    found = {(a, b) for a, targets in lazy.items() for b in targets}
    assert sorted(found - set(LAZY_IMPORTS)) == [], "move these imports to the top of their module"
    assert sorted(set(LAZY_IMPORTS) - found) == [], "stale entries in LAZY_IMPORTS"


def test_the_graph_is_real():
    top, lazy = import_graph()
    assert "kcore.backend.tensor" in top["kcore.backend.autodiff"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
