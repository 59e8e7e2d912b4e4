"""MkDocs hooks: the pages made from the code when the site is built, never committed: the API
pages of backchain.numpy and backchain.scipy (docs/make_api_namespaces.py, from the docstrings) and
the kink table of kinks.md (backchain.kinks.markdown()), and the reference entries of the
namespaces whose pages hold a ``<!-- reference ... -->`` marker (docs/reference.py), and the output
and pictures of the tutorials' ``python run`` blocks (docs/run_blocks.py)."""
import importlib.util
import pathlib

from mkdocs.structure.files import File

_HERE = pathlib.Path(__file__).resolve().parent


def on_files(files, config):
    spec = importlib.util.spec_from_file_location("make_api_namespaces", _HERE / "make_api_namespaces.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    for path, text in make.pages().items():
        files.append(File.generated(config, path, content=text))
    return files


def _load(name):
    spec = importlib.util.spec_from_file_location(name, _HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def on_page_markdown(markdown, page, config, files):
    if "```python run\n" in markdown:
        return _load("run_blocks").run(markdown)
    if "<!-- reference " in markdown:
        reference = _load("reference")
        return reference.expand(markdown, reference.documented(config["docs_dir"]))
    if page.file.src_uri == "kinks.md":
        import backchain.kinks

        return backchain.kinks._fill(markdown)
    return markdown
