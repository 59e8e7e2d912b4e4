"""A non-editable install must carry every module: each folder of the package is a regular package."""
import pathlib

import backchain

ROOT = pathlib.Path(backchain.__file__).resolve().parent


def test_every_source_folder_is_a_package():
    folders = {p.parent for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts}
    missing = sorted(str(f.relative_to(ROOT.parent)) for f in folders if not (f / "__init__.py").exists())
    assert not missing, f"folders without __init__.py (left out of wheels): {missing}"
