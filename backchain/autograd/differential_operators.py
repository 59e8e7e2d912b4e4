"""``backchain.autograd.differential_operators``: the operators under autograd's module name."""
from ._operators import (checkpoint, deriv, elementwise_grad, grad, grad_and_aux, grad_named, hessian,  # noqa: F401
                         hessian_tensor_product, hessian_vector_product, holomorphic_grad, jacobian, make_ggnvp,
                         make_hvp, make_jvp, make_jvp_reversemode, make_vjp, multigrad_dict,
                         tensor_jacobian_product, value_and_grad, vector_jacobian_product)
from ._operators import __all__ as _all

__all__ = [n for n in _all if n != "unary_to_nary"]
