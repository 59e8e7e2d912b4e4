"""``torch.utils``: ``data`` (loaders and datasets)."""
from . import data  # noqa: F401
