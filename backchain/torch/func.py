"""``torch.func``: ``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``jacrev``/``jacfwd``, ``hessian`` and
``functional_call`` over backchain's transforms. ``vmap`` is not available yet (it raises)."""
import backchain as bc
from backchain.nn import functional_call  # noqa: F401

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "functional_call", "vmap"]


def grad(func, argnums=0, has_aux=False):
    """The function returning the gradient of ``func`` (a scalar) with respect to argument ``argnums``."""
    return bc.grad(func, argnums=argnums, has_aux=has_aux)


def grad_and_value(func, argnums=0, has_aux=False):
    vg = bc.value_and_grad(func, argnums=argnums, has_aux=has_aux)

    def run(*args, **kwargs):
        v, g = vg(*args, **kwargs)
        return g, v
    return run


def vjp(func, *primals):
    return bc.vjp(func, *primals)


def jvp(func, primals, tangents):
    return bc.jvp(func, primals, tangents)


def jacrev(func, argnums=0):
    return bc.jacobian(func, argnums)


def jacfwd(func, argnums=0):
    return bc.jacobian(func, argnums, mode="fwd")



def hessian(func, argnums=0):
    return bc.hessian(func, argnums)


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    raise NotImplementedError("torch.func.vmap: backchain has no batching transform yet; loop over the batch "
                              "or write the function for a batch")
