"""The reference entries made when the site is built: a page that holds the marker
``<!-- reference backchain.nn -->`` gets one mkdocstrings entry (``::: backchain.nn.Linear``) for
every public class and function of that namespace that no page documents yet, grouped by the
module that defines it. So a new layer, loss or function is in the reference the day it is
exported, and tests/test_docs_build.py fails if a public name still has no entry.
"""
import importlib
import inspect
import pathlib
import re

MARKER = re.compile(r"<!-- reference ([\w.]+)(?: as ([^>]+?))? -->")  # "as Title": one section
_DIRECTIVE = re.compile(r"^::: ([\w.]+)[ \t]*\n((?:[ \t]+.*\n)*)", re.M)

# Section titles for the modules that define the names (the rest use the module's last part).
TITLES = {
    "module": "Modules and containers", "linear": "Linear layers", "conv": "Convolution",
    "pooling": "Pooling", "pool": "Pooling", "normalization": "Normalization", "rnn": "Recurrent layers",
    "transformer": "Attention and transformers", "activation": "Activations", "activations": "Activations",
    "loss": "Losses", "sampling": "Resampling, padding and spatial transformers", "flatten": "Reshaping",
    "dropout": "Dropout", "embedding": "Embedding", "acdc": "ACDC (structured linear layer)",
    "spatial": "Spatial transformer", "functional": "Functions", "surrogate": "Surrogate gradients",
    "dct": "Discrete cosine transform", "tensor": "Tensors and gradient modes", "anomaly": "Anomaly mode",
    "engine": "Errors", "kinks": "Kinks",
}


def public(namespace):
    """The public classes and functions of ``namespace`` defined in backchain, in ``__all__`` order."""
    module = importlib.import_module(namespace)
    names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    out = []
    for name in names:
        obj = getattr(module, name, None)
        if obj is None or inspect.ismodule(obj) or not callable(obj):
            continue
        if (getattr(obj, "__module__", None) or "").startswith("backchain"):
            out.append((name, obj))
    return out


def documented(docs_dir):
    """The identifiers that some hand-written page documents with ``::: name`` (with its
    ``members:`` list, if one is given)."""
    found = set()
    for page in pathlib.Path(docs_dir).rglob("*.md"):
        for m in _DIRECTIVE.finditer(page.read_text()):
            found.add(m.group(1))
            members = re.search(r"members:\s*\[([^\]]*)\]", m.group(2))
            if members:
                found.update(f"{m.group(1)}.{n.strip()}" for n in members.group(1).split(",") if n.strip())
            elif inspect.ismodule(resolve(m.group(1))):  # a module's entry shows all its public names
                found.update(f"{m.group(1)}.{name}" for name, _ in public(m.group(1)))
    return found


def resolve(identifier):
    """The object that ``identifier`` (``backchain.nn.Linear``) names, or None."""
    parts = identifier.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr, None)
        return obj
    return None


def entries(namespace, skip, title=None):
    """The Markdown for the marker of ``namespace``: a section per defining module (or one section,
    ``title``), without the objects that ``skip`` (identifiers) already documents under any name."""
    skip = {id(resolve(s)) for s in skip}
    groups = {}
    for name, obj in public(namespace):
        if id(obj) in skip:
            continue
        key = obj.__module__.rsplit(".", 1)[-1]
        groups.setdefault(title or TITLES.get(key, key.replace("_", " ").capitalize()), []).append(name)
    parts = []
    for title, names in groups.items():
        parts += [f"## {title}", ""]
        parts += [f"::: {namespace}.{name}\n    options:\n      heading_level: 3\n" for name in names]
    return "\n".join(parts)


def expand(markdown, skip):
    return MARKER.sub(lambda m: entries(m.group(1), skip, m.group(2)), markdown)
