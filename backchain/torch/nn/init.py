"""``torch.nn.init``: backchain's initialisers (PyTorch's names and formulas), in place on Parameters."""
from backchain.nn.init import (calculate_gain, constant_, eye_, kaiming_normal_, kaiming_uniform_,  # noqa: F401
                               normal_, ones_, orthogonal_, trunc_normal_, uniform_, xavier_normal_,
                               xavier_uniform_, zeros_)

__all__ = ["calculate_gain", "constant_", "eye_", "kaiming_normal_", "kaiming_uniform_", "normal_", "ones_",
           "orthogonal_", "trunc_normal_", "uniform_", "xavier_normal_", "xavier_uniform_", "zeros_"]


def dirac_(tensor, groups=1):
    """Fill a (out, in, *kernel) convolution weight with the identity: the centre of channel ``i``'s kernel
    for input ``i`` is 1 (in each of ``groups`` groups), the rest 0.

    >>> import backchain.torch as torch
    >>> torch.nn.init.dirac_(torch.empty(2, 2, 3))
    tensor([[[0., 1., 0.],
             [0., 0., 0.]],
    <BLANKLINE>
            [[0., 0., 0.],
             [0., 1., 0.]]])
    """
    import numpy as np
    from backchain._core.tensor import no_grad

    shape = tuple(tensor.shape)
    if len(shape) not in (3, 4, 5):
        raise ValueError(f"dirac_: only tensors with 3, 4, or 5 dimensions are supported, got shape {list(shape)}")
    if shape[0] % groups:
        raise ValueError(f"dirac_: dim 0 ({shape[0]}) must be divisible by groups ({groups})")
    out_per = shape[0] // groups
    value = np.zeros(shape, dtype=np.asarray(tensor._data).dtype)
    centre = tuple(k // 2 for k in shape[2:])
    for g in range(groups):
        for d in range(min(out_per, shape[1])):
            value[(g * out_per + d, d) + centre] = 1
    with no_grad():
        tensor.copy_(value)
    return tensor


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """Fill a 2-D tensor with N(0, std) values and zero a fraction ``sparsity`` of each column (as PyTorch's,
    with backchain's generator).

    >>> import backchain.torch as torch
    >>> w = torch.nn.init.sparse_(torch.empty(10, 3), sparsity=0.3)
    >>> (w == 0).sum(0)
    tensor([3, 3, 3])
    """
    import math
    import numpy as np
    from backchain import random as _random
    from backchain._core.tensor import no_grad

    if tensor.ndim != 2:
        raise ValueError(f"sparse_: only tensors with 2 dimensions are supported, got shape {list(tensor.shape)}")
    rows, cols = tuple(tensor.shape)
    g = generator if generator is not None else _random.default_generator()
    g = getattr(g, "_gen", g)
    value = (g.standard_normal((rows, cols)) * std).astype(np.asarray(tensor._data).dtype)
    zeros = int(math.ceil(sparsity * rows))
    for c in range(cols):
        value[g.permutation(rows)[:zeros], c] = 0
    with no_grad():
        tensor.copy_(value)
    return tensor


__all__ += ["dirac_", "sparse_"]
