"""A griffe extension for the API pages: docstrings written for both Sphinx-style readers and
``help()`` become Markdown that mkdocstrings renders as intended.

* Sphinx roles (``:class:`~backchain.nn.Linear```, ``:func:`grad```) become code: ``Linear``, ``grad``.
* Doctest examples outside a NumPy-style "Examples" section (in the summary, in "Notes") become
  ``pycon`` code blocks instead of Markdown blockquotes (``>>>`` starts one); an example that
  directly follows a list section ("Parameters", "Returns", ...) opens an "Examples" section, as
  NumPy's docstring standard writes it, so that its lines are not read as parameters.
* A paragraph of prose after a list section's entries ("A query whose keys are all masked
  gets ...") opens a "Notes" section instead of being read as one more parameter.
"""
import re

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|mod|data|exc|obj|const|term):`~?([^`]+)`")
_ENTRY = re.compile(r"\*{0,2}\w+(, \*{0,2}\w+)*( : .*)?")  # "name", "a, b : int", "**kwargs : dict"
_LISTS = {"parameters", "other parameters", "returns", "yields", "receives", "raises", "warns",
          "attributes", "methods", "functions", "classes", "modules", "see also"}


def _role(match):
    target = match.group(1)
    if "<" in target and target.endswith(">"):  # :class:`text <target>`
        target = target[:target.index("<")].strip()
    return f"`{target.rsplit('.', 1)[-1] if match.group(0).count('~') else target}`"


def _is_header(lines, i):
    return (i + 1 < len(lines) and lines[i].strip() and not lines[i].startswith(" ")
            and re.fullmatch(r"-{3,}", lines[i + 1].strip() or "x") is not None)


def markdown(text):
    """The docstring ``text`` with roles as code and doctest blocks outside "Examples" fenced."""
    text = _ROLE.sub(_role, text)
    lines = text.split("\n")
    out, section, i = [], None, 0
    while i < len(lines):
        if _is_header(lines, i):
            section = lines[i].strip().lower()
            out += lines[i:i + 2]
            i += 2
            continue
        line = lines[i]
        if (section in _LISTS and section != "see also" and line.strip() and not line.startswith(" ")
                and i > 0 and not lines[i - 1].strip() and not line.startswith(">>>")
                and not _ENTRY.fullmatch(line.strip())):
            out += ["Notes", "-----"]
            section = "notes"
        if line.lstrip().startswith(">>>") and section != "examples":
            indent = line[:len(line) - len(line.lstrip())]
            block = []
            while i < len(lines) and lines[i].strip():
                block.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].strip())
                i += 1
            if section in _LISTS:  # an example after the parameters: it opens the Examples section
                if out and out[-1].strip():
                    out.append("")
                out += ["Examples", "--------"] + block
                section = "examples"
            else:
                out += [f"{indent}```pycon"] + [indent + b for b in block] + [f"{indent}```"]
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


class Docstrings(griffe.Extension):
    def on_instance(self, *, obj, **kwargs):
        if obj.docstring is not None:
            obj.docstring.value = markdown(obj.docstring.value)
