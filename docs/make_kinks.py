"""Regenerate the kink table in docs/kinks.md from the code: python docs/make_kinks.py"""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import backchain as bc  # noqa: E402

if __name__ == "__main__":
    bc.kinks._write(ROOT / "docs" / "kinks.md")
