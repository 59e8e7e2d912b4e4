"""Activation modules; each calls its ``backchain.nn.functional`` function.

Non-smooth ones (ReLU, LeakyReLU, ReLU6, Hardtanh, Hardsigmoid, Hardswish) are
the activation primitives, whose derivative at the kink is the documented
convention (relu'(0) = 0, leaky_relu'(0) = negative_slope, 0 at the hardtanh
and relu6 boundaries).
"""
import numpy as np

from .. import functional as F
from ..module import Module, Parameter


class ReLU(Module):
    """``max(x, 0)``; derivative 0 at 0.

    >>> import numpy as np, backchain as bc
    >>> bc.nn.ReLU()(np.array([-1.0, 2.0]))
    array([0., 2.])
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """``x`` if positive else ``negative_slope * x``."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class PReLU(Module):
    """LeakyReLU with a trainable slope: ``num_parameters`` of 1 or the number of channels (axis 1).

    >>> import backchain as bc
    >>> [k for k, _ in bc.nn.PReLU(3).named_parameters()]
    ['weight']
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(np.full((num_parameters,), init, dtype=np.float32 if dtype is None else dtype))

    def reset_parameters(self):
        self.weight.data[...] = self.init

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """``x`` if positive else ``alpha * (exp(x) - 1)``."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return F.elu(input, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class CELU(ELU):
    """``x`` if positive else ``alpha * (exp(x / alpha) - 1)``."""

    def forward(self, input):
        return F.celu(input, self.alpha)


class SELU(Module):
    """Scaled ELU with the self-normalising constants."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.selu(input)


class GELU(Module):
    """``x * Phi(x)``; ``approximate="tanh"`` for the tanh formula."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """``x * sigmoid(beta * x)`` (Swish). ``beta=1`` by default; ``trainable_beta=True`` learns it.

    Without ``trainable_beta`` there are no parameters, as in PyTorch.

    >>> import backchain as bc
    >>> [k for k, _ in bc.nn.SiLU(trainable_beta=True).named_parameters()]
    ['beta']
    """

    def __init__(self, inplace=False, beta=1.0, trainable_beta=False):
        super().__init__()
        self.inplace = inplace
        if trainable_beta:
            self.beta = Parameter(np.asarray(beta, dtype=np.float32))
        else:
            self.beta_value = float(beta)

    def forward(self, input):
        if "beta" in self._parameters:
            return F.silu(input, beta=self.beta)
        return F.silu(input, beta=None if self.beta_value == 1.0 else self.beta_value)

    def extra_repr(self):
        if "beta" in self._parameters:
            return "trainable_beta=True"
        return "" if self.beta_value == 1.0 else f"beta={self.beta_value}"


Swish = SiLU


class Mish(Module):
    """``x * tanh(softplus(x))``."""

    def __init__(self, inplace=False):
        super().__init__()

    def forward(self, input):
        return F.mish(input)


class Softplus(Module):
    """``log(1 + exp(beta x)) / beta``, linear above ``threshold``."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Softsign(Module):
    """``x / (1 + |x|)``."""

    def forward(self, input):
        return F.softsign(input)


class Tanh(Module):
    """``tanh(x)``."""

    def forward(self, input):
        return F.tanh(input)


class Sigmoid(Module):
    """``1 / (1 + exp(-x))``."""

    def forward(self, input):
        return F.sigmoid(input)


class LogSigmoid(Module):
    """``log(sigmoid(x))``."""

    def forward(self, input):
        return F.logsigmoid(input)


class Hardtanh(Module):
    """``clip(x, min_val, max_val)``; derivative 0 at the boundaries."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if max_val <= min_val:
            raise ValueError(f"Hardtanh: max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}"


class ReLU6(Module):
    """``min(max(x, 0), 6)``."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu6(input)


class Hardsigmoid(Module):
    """``clip(x / 6 + 1/2, 0, 1)``."""

    def __init__(self, inplace=False):
        super().__init__()

    def forward(self, input):
        return F.hardsigmoid(input)


class Hardswish(Module):
    """``x * hardsigmoid(x)``."""

    def __init__(self, inplace=False):
        super().__init__()

    def forward(self, input):
        return F.hardswish(input)


class Softmax(Module):
    """Softmax along ``dim``."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """Log-softmax along ``dim``."""

    def forward(self, input):
        return F.log_softmax(input, self.dim)


# Names accepted by ``Dense(activation=...)``.
ACTIVATIONS = {
    "relu": ReLU, "leaky_relu": LeakyReLU, "prelu": PReLU, "elu": ELU, "selu": SELU, "celu": CELU,
    "gelu": GELU, "gelu_tanh": lambda: GELU("tanh"), "silu": SiLU, "swish": SiLU, "mish": Mish,
    "softplus": Softplus, "softsign": Softsign, "tanh": Tanh, "sigmoid": Sigmoid, "hardtanh": Hardtanh,
    "relu6": ReLU6, "hardsigmoid": Hardsigmoid, "hardswish": Hardswish, "softmax": lambda: Softmax(dim=-1),
    "log_softmax": lambda: LogSoftmax(dim=-1), "logsigmoid": LogSigmoid,
}
