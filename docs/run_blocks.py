"""Run a page's ```` ```python run ```` blocks when the site is built, and put what they print and
draw under each block: the tutorials show real output and real pictures, made fresh by every
build (never committed) and checked by the build test.

The blocks of a page run in order in one namespace, in a temporary working directory. What a
block writes to stdout and stderr is shown as a terminal would end up showing it (a progress
bar's carriage returns overwrite the line). ``show(x)`` in a block puts a picture under it: a
matplotlib figure (PNG), a ``bc.viz.Graph`` (SVG; the DOT text when Graphviz is missing), or the
path of a PNG or SVG file that the block wrote. ``EXAMPLES`` is the path of the examples folder.
"""
import base64
import contextlib
import io
import os
import re
import tempfile

BLOCK = re.compile(r"^```python run\n(.*?)^```\n", re.S | re.M)


def _terminal(text):
    """What a terminal shows after ``text``: each line's last carriage-return segment that is not blank."""
    lines = []
    for line in text.split("\n"):
        parts = [p for p in line.split("\r") if p.strip()]
        if parts:
            lines.append(parts[-1].rstrip())
    return "\n".join(lines)


def _picture(obj):
    if isinstance(obj, (str, os.PathLike)):  # a picture a program wrote
        path = os.fspath(obj)
        if path.endswith(".svg"):
            svg = open(path).read()
            return '<div class="bc-graph">' + svg[svg.index("<svg"):] + "</div>"
        data = base64.b64encode(open(path, "rb").read()).decode()
        return f'<img alt="figure" src="data:image/png;base64,{data}">'
    if hasattr(obj, "savefig"):
        buf = io.BytesIO()
        obj.savefig(buf, format="png", dpi=80)
        data = base64.b64encode(buf.getvalue()).decode()
        return f'<img alt="figure" src="data:image/png;base64,{data}">'
    svg = obj._repr_svg_() if hasattr(obj, "_repr_svg_") else None
    if svg:
        return '<div class="bc-graph">' + svg[svg.index("<svg"):] + "</div>"
    if hasattr(obj, "source"):
        return "```dot\n" + obj.source + "```"
    raise TypeError(f"show: expected a figure or a bc.viz.Graph, got {type(obj).__name__}")


def run(markdown):
    """The page with each ``python run`` block followed by its output and pictures."""
    pictures = []
    examples = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
    namespace = {"show": lambda obj: pictures.append(_picture(obj)), "EXAMPLES": examples}
    out, last = [], 0
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            for m in BLOCK.finditer(markdown):
                code = m.group(1)
                captured = io.StringIO()
                with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
                    exec(compile(code, "<docs block>", "exec"), namespace)  # the page's own code
                out.append(markdown[last:m.start()])
                out.append("```python\n" + code + "```\n")
                text = _terminal(captured.getvalue())
                if text:
                    out.append("\n```text\n" + text + "\n```\n")
                for p in pictures:
                    out.append("\n" + p + "\n")
                pictures.clear()
                last = m.end()
        finally:
            os.chdir(cwd)
    out.append(markdown[last:])
    return "".join(out)
