"""Linear layers: Identity, Linear, Bilinear, and the Keras-style Dense (Linear + a named activation)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import functional as F
from .. import init
from ..module import Module, Parameter
from ..._core.tensor import Tensor


def _empty(shape, dtype):
    dtype = np.float32 if dtype is None else np.dtype(dtype)
    return np.empty(shape, dtype=dtype)


class Identity(Module):
    """Returns its input unchanged (arguments are accepted and ignored, as in PyTorch).

    >>> import backchain as bc
    >>> bc.nn.Identity()(3.0)
    3.0
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:
        return input


class Linear(Module):
    """``y = x @ weight.T + bias``; input ``(*, in_features)``, output ``(*, out_features)``.

    Parameters ``weight`` ``(out_features, in_features)`` and ``bias``
    ``(out_features,)`` are float32 by default and initialised as in PyTorch:
    ``kaiming_uniform_(a=sqrt(5))`` for the weight, i.e. U(-1/sqrt(in), 1/sqrt(in)),
    and the same bound for the bias.

    >>> import numpy as np, backchain as bc
    >>> layer = bc.nn.Linear(3, 2)
    >>> layer(np.ones((4, 3), dtype=np.float32)).shape
    (4, 2)
    >>> layer
    Linear(in_features=3, out_features=2, bias=True)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: object = None,
                 dtype: npt.DTypeLike | None = None, generator: np.random.Generator | None = None) -> None:
        super().__init__()
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        if self.in_features < 0 or self.out_features < 0:
            raise ValueError(f"Linear: in_features and out_features must be non-negative, got "
                             f"in_features={in_features}, out_features={out_features}")
        self.weight = Parameter(_empty((self.out_features, self.in_features), dtype))
        if bias:
            self.bias = Parameter(_empty((self.out_features,), dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound, generator=generator)

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """``y_k = x1 @ weight[k] @ x2 + bias[k]``; weight ``(out, in1, in2)``, init U(-1/sqrt(in1), 1/sqrt(in1)).

    >>> import numpy as np, backchain as bc
    >>> bc.nn.Bilinear(2, 3, 4)(np.ones((5, 2), np.float32), np.ones((5, 3), np.float32)).shape
    (5, 4)
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True,
                 device: object = None, dtype: npt.DTypeLike | None = None, generator: np.random.Generator | None = None
                 ) -> None:
        super().__init__()
        self.in1_features, self.in2_features, self.out_features = int(in1_features), int(in2_features), int(out_features)
        self.weight = Parameter(_empty((self.out_features, self.in1_features, self.in2_features), dtype))
        if bias:
            self.bias = Parameter(_empty((self.out_features,), dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        bound = 1 / math.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound, generator=generator)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound, generator=generator)

    def forward(self, input1: npt.ArrayLike | Tensor, input2: npt.ArrayLike | Tensor) -> Any:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class Dense(Linear):
    """A :class:`Linear` layer followed by an activation given by name (Keras/BetaML style).

    ``activation`` is one of the names in ``Dense.ACTIVATIONS`` ("relu",
    "tanh", "sigmoid", "gelu", "silu"/"swish", "softmax", "linear"/None, ...)
    or a Module. The parameters are the Linear's (``weight``, ``bias``), so a
    ``Dense`` loads the weights of a PyTorch ``Linear``.

    >>> import numpy as np, backchain as bc
    >>> layer = bc.nn.Dense(3, 2, activation="tanh")
    >>> layer
    Dense(
      in_features=3, out_features=2, bias=True
      (activation): Tanh()
    )
    """

    def __init__(self, in_features: int, out_features: int, activation: str | Module | None = "relu",
                 bias: bool = True, dtype: npt.DTypeLike | None = None,
                 generator: np.random.Generator | None = None) -> None:
        from . import activation as A

        if activation is None or isinstance(activation, str) and activation in ("linear", "identity", "none"):
            act = Identity()
        elif isinstance(activation, Module):
            act = activation
        elif isinstance(activation, str):
            make = A.ACTIVATIONS.get(activation.lower())
            if make is None:
                raise ValueError(f"Dense: unknown activation {activation!r}; choose one of "
                                 f"{sorted(A.ACTIVATIONS) + ['linear']} or pass a Module")
            act = make()
        else:
            raise TypeError(f"Dense: activation must be a name, a Module or None, got {type(activation).__name__}")
        super().__init__(in_features, out_features, bias=bias, dtype=dtype, generator=generator)
        self.activation = act

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return self.activation(F.linear(input, self.weight, self.bias))

