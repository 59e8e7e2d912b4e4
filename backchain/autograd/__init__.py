"""``backchain.autograd``: HIPS autograd 1.9's public modules, backed by backchain.

Replace ``autograd`` by ``backchain.autograd`` in the import lines::

    import backchain.autograd.numpy as np
    from backchain.autograd import grad, jacobian, hessian

The differential operators keep autograd's signatures (``argnum`` as an int
or a tuple, currying, ``make_vjp`` returning ``(vjp, ans)``); every derivative
comes from ``backchain``'s transforms and rules. :func:`install` makes
``import autograd`` resolve to this package, for libraries that import
autograd themselves.

>>> import backchain.autograd as ag, backchain.autograd.numpy as np
>>> float(ag.grad(lambda x: np.tanh(x) ** 2)(0.5))
0.72686198...
"""
from ._operators import (checkpoint, deriv, elementwise_grad, grad, grad_and_aux, grad_named, hessian,
                         hessian_tensor_product, hessian_vector_product, holomorphic_grad, jacobian,
                         make_ggnvp, make_hvp, make_jvp, make_jvp_reversemode, make_vjp, multigrad_dict,
                         tensor_jacobian_product, value_and_grad, vector_jacobian_product)
from ._install import install
from .builtins import dict, isinstance, list, tuple, type
from . import extend  # noqa: F401

__all__ = ["grad", "value_and_grad", "elementwise_grad", "jacobian", "hessian", "holomorphic_grad", "deriv",
           "grad_and_aux", "grad_named", "make_vjp", "make_jvp", "make_hvp", "make_ggnvp",
           "hessian_tensor_product", "hessian_vector_product", "tensor_jacobian_product",
           "vector_jacobian_product", "multigrad_dict", "checkpoint", "tuple", "list", "dict", "isinstance",
           "type", "install"]
