"""``backchain.autograd.core``: autograd's core names (``make_vjp(fun, x)`` is the unary form, as there)."""
from ._operators import _jvp_unary as make_jvp, _vjp_unary as make_vjp  # noqa: F401
from ._vspace import VSpace, vspace  # noqa: F401
from .extend import (def_linear, defjvp, defjvp_argnum, defjvp_argnums, defvjp, defvjp_argnum,  # noqa: F401
                     defvjp_argnums, primitive)

__all__ = ["make_vjp", "make_jvp", "VSpace", "vspace", "def_linear", "defjvp", "defjvp_argnum", "defjvp_argnums",
           "defvjp", "defvjp_argnum", "defvjp_argnums", "primitive"]
