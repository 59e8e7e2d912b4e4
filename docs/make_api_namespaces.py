"""The API pages of the NumPy, SciPy and PyTorch namespaces, made from the docstrings when the site
is built (docs/hooks.py); `python docs/make_api_namespaces.py OUTDIR` writes them as files.

Pages api/numpy.md, numpy-linalg.md, numpy-fft.md and scipy.md: per family a
table name -> summary, then each function's docstring with its example. The
functions are too many, and most are declared in one row each, for mkdocstrings'
static reading of the source; their docstrings are attached at import time
(backchain/numpy/_examples.py), so this script imports the library and reads them.
"""
import inspect
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from markdown.extensions.toc import slugify  # noqa: E402

import backchain.numpy as bnp  # noqa: E402
from backchain.numpy import _constructors, _extra, _nondiff, _examples  # noqa: E402
from backchain._rules import elementwise, reductions, shape, indexing, linalg  # noqa: E402
from backchain.scipy import special, stats, linalg as scipy_linalg, signal, integrate  # noqa: E402

GENERATED = "<!-- Generated at build time by docs/make_api_namespaces.py from the docstrings. -->"
EXAMPLES_NOTE = (
    "Every function has an example; the examples start with\n"
    "`import numpy as np, backchain as bc, backchain.numpy as bnp`, and tests/test_doctests.py runs them all."
)


def _md(text):
    """RST-flavoured docstring text to Markdown: inline code, section titles, example blocks."""
    lines = text.split("\n")
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(">>>"):
            block = []
            while i < len(lines) and lines[i].strip():
                block.append(lines[i])
                i += 1
            out += ["```pycon"] + block + ["```"]
            continue
        if i + 1 < len(lines) and line.strip() and re.fullmatch(r"-{3,}", lines[i + 1].strip()):
            out.append(f"**{line.strip()}**")
            out.append("")
            i += 2
            continue
        line = re.sub(r":\w+:`([^`]+)`", r"`\1`", line.strip()).replace("``", "`")
        out.append(line)
        i += 1
    return "\n".join(out).strip()


def _summary(doc):
    first = doc.strip().split("\n\n")[0]
    return " ".join(_md(first).split()).replace("|", "\\|")


def _signature(label, obj):
    if not inspect.isfunction(obj):
        return None
    try:
        sig = str(inspect.signature(obj))
    except (TypeError, ValueError):
        return None
    if sig in ("(*args, **kwargs)", "(*args, **params)") or "0x" in sig:
        return None
    return f"`{label}{sig}`"


def _entry(namespace, name, obj, own_entries, own_module):
    """(summary, body) for one function."""
    if own_module is not None and getattr(own_module, name, None) is obj:
        summary, example = own_entries[name]
        doc = _examples.docstring(obj, summary, example, _examples.PREAMBLE)
    else:
        doc = inspect.cleandoc(obj.__doc__ or "")
    return _summary(doc), _md(doc)


def _section(title, rows, qualify):
    """``rows``: (name, obj, summary, body, alias_of); a table, then one heading per function."""
    parts = [f"## {title}", "", "| function | summary |", "|---|---|"]
    for name, obj, summary, body, alias_of in rows:
        target = slugify(qualify(alias_of or name), "-")
        text = f"alias of `{qualify(alias_of)}`" if alias_of else summary
        parts.append(f"| [`{qualify(name)}`](#{target}) | {text} |")
    parts.append("")
    for name, obj, summary, body, alias_of in rows:
        if alias_of:
            continue
        parts += [f"### {qualify(name)}", ""]
        sig = _signature(qualify(name), obj)
        if sig:
            parts += [sig, ""]
        parts += [body, ""]
    return parts


def _rows(namespace, module, names, own_entries=None, own_module=None):
    rows, first = [], {}
    for name in names:
        obj = module[name] if isinstance(module, dict) else getattr(module, name)
        alias_of = first.setdefault(id(obj), name)
        alias_of = None if alias_of == name else alias_of
        summary, body = ("", "") if alias_of else _entry(namespace, name, obj, own_entries, own_module)
        rows.append((name, obj, summary, body, alias_of))
    return rows


def _numpy_page():
    families = [
        ("Constructors", _constructors.__all__),
        ("Elementwise functions", elementwise.__all__),
        ("Reductions", reductions.__all__),
        ("Shapes, joining and splitting", shape.__all__),
        ("Indexing, selection and sorting", indexing.__all__),
        ("Products and linear algebra", linalg.__all__),
        ("Other differentiable functions (composites)", _extra.__all__),
        ("Functions with no derivative", [n for n in _nondiff.NAMES if hasattr(bnp, n)]),
        ("NumPy's own functions, re-exported", [n for n in _nondiff.NUMPY_OWN if callable(getattr(bnp, n))
                                                and not isinstance(getattr(bnp, n), type)
                                                and type(getattr(bnp, n)).__name__ != "module"]),
    ]
    listed = {n for _, names in families for n in names}
    other = sorted(n for n, obj in vars(bnp).items() if not n.startswith("_") and n not in listed and callable(obj)
                   and not isinstance(obj, type) and not getattr(getattr(obj, "prim", None), "user", False))
    if other:
        families.append(("Other functions", other))
    parts = [GENERATED, "", "# backchain.numpy", "",
             "NumPy's names and signatures, differentiable: on plain arrays each function is a plain NumPy "
             "call; on Tensors that require grad it records the operation for `backward` and the transforms. "
             "Wherever NumPy takes an array_like, a (nested) list or tuple holding Tensors is one differentiable "
             "array (`bnp.mean([t1, t2])`, `bnp.concatenate([t, [1.0, t[0]]])`, `bnp.r_[t, 0.0, t[:2]]`). "
             "Every public name of NumPy is here: functions with no derivative (comparisons, indices, shapes, "
             "strings) accept Tensors and return plain arrays; NumPy's own objects (types, configuration, files, "
             "set operations, in-place writes) are re-exported unchanged and raise a TypeError naming "
             "themselves when given a Tensor that requires grad, never a silently cut gradient. "
             "Decompositions give NumPy 2's named results (`eigh(a).eigenvalues`).", "",
             EXAMPLES_NOTE, "", "Submodules: [backchain.numpy.linalg](numpy-linalg.md), "
             "[backchain.numpy.fft](numpy-fft.md), `backchain.numpy.emath` (NumPy's emath: complex results outside "
             "the real domain, differentiable) and `backchain.numpy.random` (NumPy's random module, "
             "passed through: random numbers are constants).", ""]
    for title, names in families:
        parts += _section(title, _rows("backchain.numpy", bnp, names, _examples.NUMPY, np), lambda n: n)
    return "\n".join(parts).rstrip() + "\n"


def _sub_page(title, module, own_entries, own_module, intro):
    names = sorted(n for n in module.__all__ if callable(getattr(module, n)) and not isinstance(getattr(module, n), type))
    parts = [GENERATED, "", f"# {title}", "", intro, "", EXAMPLES_NOTE, ""]
    parts += _section("Functions", _rows(title, module, names, own_entries, own_module), lambda n: n)
    return "\n".join(parts).rstrip() + "\n"


def _scipy_page():
    parts = [GENERATED, "", "# backchain.scipy", "",
             "Differentiable versions of SciPy functions, with SciPy's names and signatures. Each submodule "
             "imports SciPy when it is first imported (`import backchain` does not load SciPy). A distribution's "
             "methods not listed here (`rvs`, `stats`, `mean`, a discrete `ppf`, ...) are SciPy's: `rvs` "
             "draws constants from Tensors' data (as in HIPS autograd), the others serve plain values and raise a "
             "NotImplementedError naming themselves on a Tensor that requires grad. An argument with no derivative "
             "rule (the order of `jv`, `iv`, `yn`) raises when differentiated, naming it; the shapes of the "
             "incomplete gamma and beta functions are differentiable to second order.", "",
             EXAMPLES_NOTE + " The examples import the submodule they use, e.g. "
             "`from backchain.scipy import special`.", ""]
    for sub, module in (("special", special), ("stats", stats), ("linalg", scipy_linalg), ("signal", signal),
                        ("integrate", integrate)):
        names = []
        namespace = {}
        for n in module.__all__:
            obj = getattr(module, n)
            if type(obj).__name__ == "_Dist":
                for k, v in vars(obj).items():
                    if callable(v):
                        names.append(f"{n}.{k}")
                        namespace[f"{n}.{k}"] = v
            elif callable(obj):
                names.append(n)
                namespace[n] = obj
        parts += _section(f"backchain.scipy.{sub}", _rows(f"backchain.scipy.{sub}", namespace, names),
                          lambda n, sub=sub: f"{sub}.{n}")
    return "\n".join(parts).rstrip() + "\n"


TORCH_MODULES = ["", "nn", "nn.functional", "nn.init", "optim", "optim.lr_scheduler", "utils.data", "autograd", "func",
                 "linalg", "fft", "special", "distributions", "testing", "serialization", "cuda", "backends",
                 "accelerator"]


def _public(module):
    names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    return [n for n in names if callable(getattr(module, n, None)) and type(getattr(module, n)).__name__ != "module"]


def _torch_page():
    """backchain.torch's names are made at import time (tables of functions, layers wrapped with torch
    Parameters), so their page is read from the imported modules, as backchain.numpy's is."""
    import importlib

    parts = [GENERATED, "", "# backchain.torch", "",
             "PyTorch's names and semantics over backchain Tensors: `import backchain.torch as torch` is the port. "
             "Tensors made here are `backchain.torch.Tensor`s, whose methods mean what they mean in PyTorch "
             "(`size()`, `view`, `max(dim)` returning values and indices, unbiased `std`); every operation with "
             "one of them returns one. [Coming from PyTorch](../coming-from/pytorch.md) says how the NumPy and "
             "PyTorch meanings of a name were kept apart, and what is missing.", ""]
    for sub in TORCH_MODULES:
        name = "backchain.torch" + ("." + sub if sub else "")
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        qual = "torch" + ("." + sub if sub else "")
        parts += _section(qual, _rows(name, module, sorted(_public(module))), lambda n, q=qual: f"{q}.{n}")
    return "\n".join(parts).rstrip() + "\n"


def pages():
    """``{path relative to docs/: text}`` of the generated pages."""
    return {
        "api/torch.md": _torch_page(),
        "api/numpy.md": _numpy_page(),
        "api/numpy-linalg.md": _sub_page(
            "backchain.numpy.linalg", bnp.linalg, _examples.LINALG, np.linalg,
            "NumPy's linear algebra, differentiable (real matrices unless stated). Factorisations whose "
            "output is defined up to signs or phases (eigenvectors, singular vectors) are differentiable "
            "through functions invariant to those choices."),
        "api/numpy-fft.md": _sub_page(
            "backchain.numpy.fft", bnp.fft, _examples.FFT, np.fft,
            "NumPy's discrete Fourier transforms, differentiable; the VJP is the plain (bilinear) "
            "transpose, as in HIPS autograd and JAX. `fftfreq` and `rfftfreq` are NumPy's own."),
        "api/scipy.md": _scipy_page(),
    }


if __name__ == "__main__":  # python docs/make_api_namespaces.py OUTDIR: the pages as files, to read
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "api-pages")
    for path, text in pages().items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_text(text)
        print("wrote", out / path)
