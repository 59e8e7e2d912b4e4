"""``backchain.autograd.numpy.numpy_boxes``: ``ArrayBox``, which in backchain means "a traced array"."""
from ..extend import Box as ArrayBox  # noqa: F401

__all__ = ["ArrayBox"]
