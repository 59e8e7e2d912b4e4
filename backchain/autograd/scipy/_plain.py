"""SciPy functions that backchain cannot differentiate yet: served on plain values, refused on traced ones."""
from ..._core.tensor import Tensor
from ...transforms import tree_flatten


def plain_only(what, need, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` if no argument is traced, else a NotImplementedError naming ``what`` and ``need``."""
    leaves = tree_flatten([list(args), kwargs])[0]
    if any(isinstance(v, Tensor) and v.requires_grad for v in leaves):
        raise NotImplementedError(f"{what}: backchain cannot differentiate it yet ({need}); "
                                  "it evaluates on plain arrays only")
    return fn(*[v.data if isinstance(v, Tensor) else v for v in args], **kwargs)
