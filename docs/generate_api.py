"""Generates the API reference in ``docs/api/`` from kcore's docstrings.

One Markdown page per public module: every public class (constructor signature, docstring,
public methods and properties it defines) and function (signature, docstring), in source
order. No site generator is needed: the pages are plain Markdown.

    python docs/generate_api.py                  # rewrite docs/api/
    python docs/generate_api.py --output DIR     # write somewhere else
    python docs/generate_api.py --check          # exit 1 if docs/api/ is out of date

Callbacks, metrics and loggers that plugins provide are documented in each plugin's
README (``plugins/<name>/README.md``), not here: they are not part of kcore.
"""

import argparse
import importlib
import inspect
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

#: The public modules, in the order of the index.
MODULES = [
    "kcore", "kcore.layers", "kcore.models", "kcore.ops", "kcore.activations",
    "kcore.initializers", "kcore.regularizers", "kcore.constraints", "kcore.losses",
    "kcore.metrics", "kcore.optimizers", "kcore.optimizers.schedules", "kcore.callbacks",
    "kcore.datasets", "kcore.datasets.digits", "kcore.datasets.mnist",
    "kcore.datasets.fashion_mnist", "kcore.datasets.cifar10", "kcore.datasets.cifar100",
    "kcore.datasets.imdb", "kcore.datasets.reuters", "kcore.datasets.boston_housing",
    "kcore.applications", "kcore.applications.imagenet_utils",
    "kcore.utils", "kcore.config", "kcore.random", "kcore.saving", "kcore.hooks",
    "kcore.distribution", "kcore.tracing",
]
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_SECTIONS = {"Args:", "Arguments:", "Returns:", "Yields:", "Raises:", "Example:", "Examples:",
             "Attributes:", "Input shape:", "Output shape:", "Note:", "Notes:"}


def public_names(module):
    """``__all__``, or the public non-module names that kcore defines (not helpers it imports)."""
    names = getattr(module, "__all__", None)
    if names is not None:
        return [n for n in names if hasattr(module, n) and not inspect.ismodule(getattr(module, n))]
    is_package = hasattr(module, "__path__")
    out = []
    for name, obj in vars(module).items():
        if name.startswith("_") or inspect.ismodule(obj):
            continue
        origin = getattr(obj, "__module__", None) or ""
        if not (inspect.isclass(obj) or callable(obj)) or not origin.startswith("kcore"):
            continue
        if origin == module.__name__ or origin.startswith(module.__name__ + ".") or is_package:
            out.append(name)
    return out


def signature(obj, name):
    try:
        sig = str(inspect.signature(obj))
    except (TypeError, ValueError):
        sig = "(...)"
    return f"{name}{_ADDRESS.sub('', sig)}"


def docstring(obj):
    doc = inspect.getdoc(obj)
    return to_markdown(_ADDRESS.sub("", doc)) if doc else "*(no docstring)*"


def to_markdown(doc):
    """Google-style docstring -> Markdown: sections in bold, their entries as a list,
    ``>>>`` examples and indented code in fences."""
    out, section, in_code = [], None, False
    for line in doc.splitlines():
        stripped = line.strip()
        is_code = stripped.startswith((">>>", "...")) and (in_code or stripped.startswith(">>>"))
        if in_code and (not stripped or not (is_code or line.startswith(" " * 4) or section)):
            out.append("```")
            in_code = False
        if stripped in _SECTIONS:
            section = stripped
            out += ["", f"**{stripped[:-1]}**", ""]
            continue
        if is_code or (in_code and stripped):
            if not in_code:
                out.append("```pycon")
                in_code = True
            out.append(stripped if is_code else line.strip())
            continue
        if section and line.startswith("    ") and not line.startswith("        ") \
                and section not in ("Returns:", "Yields:", "Example:", "Examples:"):
            out.append("- " + stripped)
        elif section and line.startswith("    "):
            out.append("  " + stripped)
        else:
            if not stripped:
                section = None if not line.startswith(" ") else section
            out.append(line)
    if in_code:
        out.append("```")
    return "\n".join(out).strip()


def document_function(name, obj, level="###"):
    return [f"{level} `{name}`", "", "```python", signature(obj, name), "```", "",
            docstring(obj), ""]


def document_class(name, cls):
    bases = [b.__name__ for b in cls.__bases__ if b is not object]
    lines = [f"### class `{name}`" + (f" ({', '.join(bases)})" if bases else ""), "",
             "```python", signature(cls, name), "```", "", docstring(cls), ""]
    for attr, value in vars(cls).items():
        if attr.startswith("_") or not (inspect.isfunction(value) or isinstance(
                value, (property, classmethod, staticmethod))):
            continue
        if isinstance(value, property):
            doc = inspect.getdoc(value)
            lines += [f"#### property `{name}.{attr}`", "", doc or "*(no docstring)*", ""]
        else:
            func = value.__func__ if isinstance(value, (classmethod, staticmethod)) else value
            if func.__doc__ is None:
                continue  # an override documented by its base class
            lines += document_function(f"{name}.{attr}", func, level="####")
    return lines


def module_page(module_name):
    module = importlib.import_module(module_name)
    lines = [f"# `{module_name}`", "", "*Generated by `docs/generate_api.py` from the "
             "docstrings; do not edit.*", "", inspect.getdoc(module) or "", ""]
    names = public_names(module)
    if module_name == "kcore":
        return "\n".join(lines + _top_level_list(module, names)) + "\n"
    classes = [n for n in names if inspect.isclass(getattr(module, n))]
    functions = [n for n in names if n not in classes]
    if classes:
        lines += ["## Classes", ""]
        for name in classes:
            lines += document_class(name, getattr(module, name))
    if functions:
        lines += ["## Functions", ""]
        for name in functions:
            lines += document_function(name, getattr(module, name))
    return "\n".join(lines).rstrip() + "\n"


def _top_level_list(module, names):
    """The top-level names are re-exports: list them, documented on their modules' pages."""
    lines = ["## Names", ""]
    for name in names:
        obj = getattr(module, name)
        summary = (inspect.getdoc(obj) or "").split("\n")[0]
        lines.append(f"- `kcore.{name}` — {summary}")
    lines += ["", "## Modules", ""]
    lines += [f"- [`{m}`]({m}.md)" for m in MODULES if m != "kcore"]
    return lines


def index_page():
    lines = ["# kcore API reference", "",
             "*Generated by `docs/generate_api.py` from the docstrings; do not edit.* "
             "Regenerate with `.venv/bin/python docs/generate_api.py`.", "",
             "Callbacks and metrics provided by plugins (`EarlyStopping`, `ModelCheckpoint`, "
             "`TensorBoard`, `AUC`, ...) are documented in the plugins' READMEs under "
             "[`plugins/`](../../plugins); how plugins work: [plugins.md](../plugins.md).", ""]
    for name in MODULES:
        summary = (inspect.getdoc(importlib.import_module(name)) or "").split("\n")[0]
        lines.append(f"- [`{name}`]({name}.md) — {summary}")
    return "\n".join(lines) + "\n"


def generate():
    """``{file name: text}`` of every page."""
    pages = {f"{name}.md": module_page(name) for name in MODULES}
    pages["index.md"] = index_page()
    return pages


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=HERE / "api")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if the pages differ from --output")
    args = parser.parse_args(argv)
    pages = generate()
    if args.check:
        existing = {p.name: p.read_text() for p in args.output.glob("*.md")}
        stale = sorted(n for n in set(pages) | set(existing) if pages.get(n) != existing.get(n))
        if stale:
            print(f"{args.output} is out of date ({', '.join(stale)}); "
                  f"run: python docs/generate_api.py", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date ({len(pages)} pages)")
        return 0
    args.output.mkdir(parents=True, exist_ok=True)
    for old in args.output.glob("*.md"):
        if old.name not in pages:
            old.unlink()
    for name, text in pages.items():
        (args.output / name).write_text(text)
    print(f"wrote {len(pages)} pages to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
