"""MkDocs hook: the API pages of backchain.numpy and backchain.scipy are generated at build time
from the docstrings (docs/make_api_namespaces.py), never committed."""
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
