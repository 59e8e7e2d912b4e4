"""Kept for imports of ``writable`` from here; it lives in ``tensor.py``."""
from .tensor import writable

__all__ = ["writable"]
