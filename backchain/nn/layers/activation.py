"""Activation modules; each calls its ``backchain.nn.functional`` function.

Non-smooth ones (ReLU, LeakyReLU, ReLU6, Hardtanh, Hardsigmoid, Hardswish) are
the activation primitives, whose derivative at the kink is the documented
convention (relu'(0) = 0, leaky_relu'(0) = negative_slope, 0 at the hardtanh
and relu6 boundaries).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from .. import functional as F
from ..module import Module, Parameter
from ..._core.tensor import Tensor


class ReLU(Module):
    """``max(x, 0)``; derivative 0 at 0.

    >>> import numpy as np, backchain as bc
    >>> bc.nn.ReLU()(np.array([-1.0, 2.0]))
    array([0., 2.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.relu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """``x`` if positive else ``negative_slope * x``.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> bc.nn.LeakyReLU(0.1)(bc.tensor([-2.0, 0.0, 3.0])).tolist()
    [-0.2, 0.0, 3.0]
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class PReLU(Module):
    """LeakyReLU with a trainable slope: ``num_parameters`` of 1 or the number of channels (axis 1).

    >>> import backchain as bc
    >>> [k for k, _ in bc.nn.PReLU(3).named_parameters()]
    ['weight']
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: object = None,
                 dtype: npt.DTypeLike | None = None) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(np.full((num_parameters,), init, dtype=np.float32 if dtype is None else dtype))

    def reset_parameters(self) -> None:
        self.weight._data[...] = self.init

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """``x`` if positive else ``alpha * (exp(x) - 1)``.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> np.round(bc.nn.ELU()(bc.tensor([-1.0, 0.0, 2.0])).numpy(), 4).tolist()
    [-0.6321, 0.0, 2.0]
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class CELU(ELU):
    """``x`` if positive else ``alpha * (exp(x / alpha) - 1)``.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> np.round(bc.nn.CELU(alpha=2.0)(bc.tensor([-1.0, 0.0, 1.0])).numpy(), 4).tolist()
    [-0.7869, 0.0, 1.0]
    """

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.celu(input, self.alpha)


class SELU(Module):
    """Scaled ELU with the self-normalising constants.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> np.round(bc.nn.SELU()(bc.tensor([-1.0, 0.0, 1.0])).numpy(), 4).tolist()
    [-1.1113, 0.0, 1.0507]
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.selu(input)


class GELU(Module):
    """``x * Phi(x)``; ``approximate="tanh"`` for the tanh formula.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> np.round(bc.nn.GELU()(bc.tensor([-1.0, 0.0, 1.0])).numpy(), 4).tolist()
    [-0.1587, 0.0, 0.8413]
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """``x * sigmoid(beta * x)`` (Swish). ``beta=1`` by default; ``trainable_beta=True`` learns it.

    Without ``trainable_beta`` there are no parameters, as in PyTorch.

    >>> import backchain as bc
    >>> [k for k, _ in bc.nn.SiLU(trainable_beta=True).named_parameters()]
    ['beta']
    """

    def __init__(self, inplace: bool = False, beta: float = 1.0, trainable_beta: bool = False) -> None:
        super().__init__()
        self.inplace = inplace
        if trainable_beta:
            self.beta = Parameter(np.asarray(beta, dtype=np.float32))
        else:
            self.beta_value = float(beta)

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        if "beta" in self._parameters:
            return F.silu(input, beta=self.beta)
        return F.silu(input, beta=None if self.beta_value == 1.0 else self.beta_value)

    def extra_repr(self) -> str:
        if "beta" in self._parameters:
            return "trainable_beta=True"
        return "" if self.beta_value == 1.0 else f"beta={self.beta_value}"


Swish = SiLU


class Mish(Module):
    """``x * tanh(softplus(x))``.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> np.round(bc.nn.Mish()(bc.tensor([-1.0, 0.0, 1.0])).numpy(), 4).tolist()
    [-0.3034, 0.0, 0.8651]
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.mish(input)


class Softplus(Module):
    """``log(1 + exp(beta x)) / beta``, linear above ``threshold``.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> np.round(bc.nn.Softplus()(bc.tensor([-1.0, 0.0, 1.0])).numpy(), 4).tolist()
    [0.3133, 0.6931, 1.3133]
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softsign(Module):
    """``x / (1 + |x|)``.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> bc.nn.Softsign()(bc.tensor([-3.0, 0.0, 1.0])).tolist()
    [-0.75, 0.0, 0.5]
    """

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.softsign(input)


class Tanh(Module):
    """``tanh(x)``.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> np.round(bc.nn.Tanh()(bc.tensor([-1.0, 0.0, 1.0])).numpy(), 4).tolist()
    [-0.7616, 0.0, 0.7616]
    """

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.tanh(input)


class Sigmoid(Module):
    """``1 / (1 + exp(-x))``.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> np.round(bc.nn.Sigmoid()(bc.tensor([-1.0, 0.0, 1.0])).numpy(), 4).tolist()
    [0.2689, 0.5, 0.7311]
    """

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.sigmoid(input)


class LogSigmoid(Module):
    """``log(sigmoid(x))``.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> np.round(bc.nn.LogSigmoid()(bc.tensor([-1.0, 0.0, 1.0])).numpy(), 4).tolist()
    [-1.3133, -0.6931, -0.3133]
    """

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.logsigmoid(input)


class Hardtanh(Module):
    """``clip(x, min_val, max_val)``; derivative 0 at the boundaries.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> bc.nn.Hardtanh()(bc.tensor([-2.0, 0.5, 3.0])).tolist()
    [-1.0, 0.5, 1.0]
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if max_val <= min_val:
            raise ValueError(f"Hardtanh: max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"


class ReLU6(Module):
    """``min(max(x, 0), 6)``.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> bc.nn.ReLU6()(bc.tensor([-1.0, 3.0, 8.0])).tolist()
    [0.0, 3.0, 6.0]
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.relu6(input)


class Hardsigmoid(Module):
    """``clip(x / 6 + 1/2, 0, 1)``.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> bc.nn.Hardsigmoid()(bc.tensor([-4.0, 0.0, 1.5, 4.0])).tolist()
    [0.0, 0.5, 0.75, 1.0]
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.hardsigmoid(input)


class Hardswish(Module):
    """``x * hardsigmoid(x)``.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> bc.nn.Hardswish()(bc.tensor([-1.5, 0.0, 1.5, 4.0])).tolist()
    [-0.375, 0.0, 1.125, 4.0]
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.hardswish(input)


class Softmax(Module):
    """Softmax along ``dim``.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> p = bc.nn.Softmax(dim=1)(bc.tensor([[1.0, 2.0, 3.0]]))
    >>> np.round(p.numpy(), 4).tolist()
    [[0.09, 0.2447, 0.6652]]
    >>> round(float(p.sum()), 6)
    1.0
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """Log-softmax along ``dim``.

    Examples
    --------
    >>> import backchain as bc
    >>> import numpy as np
    >>> lp = bc.nn.LogSoftmax(dim=1)(bc.tensor([[0.0, 0.0]]))
    >>> np.round(lp.numpy(), 4).tolist()
    [[-0.6931, -0.6931]]
    """

    def forward(self, input: npt.ArrayLike | Tensor) -> Any:
        return F.log_softmax(input, self.dim)


# Names accepted by ``Dense(activation=...)``.
ACTIVATIONS = {
    "relu": ReLU, "leaky_relu": LeakyReLU, "prelu": PReLU, "elu": ELU, "selu": SELU, "celu": CELU,
    "gelu": GELU, "gelu_tanh": lambda: GELU("tanh"), "silu": SiLU, "swish": SiLU, "mish": Mish,
    "softplus": Softplus, "softsign": Softsign, "tanh": Tanh, "sigmoid": Sigmoid, "hardtanh": Hardtanh,
    "relu6": ReLU6, "hardsigmoid": Hardsigmoid, "hardswish": Hardswish, "softmax": lambda: Softmax(dim=-1),
    "log_softmax": lambda: LogSoftmax(dim=-1), "logsigmoid": LogSigmoid,
}
