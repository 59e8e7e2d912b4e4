"""``backchain.autograd.misc``: ``flatten``, ``optimizers``, ``fixed_points`` and ``const_graph``, as in autograd."""
from .flatten import flatten  # noqa: F401
from .tracers import const_graph  # noqa: F401

__all__ = ["flatten", "const_graph"]
