"""``torch.nn.init``: backchain's initialisers (PyTorch's names and formulas), in place on Parameters."""
from backchain.nn.init import (calculate_gain, constant_, eye_, kaiming_normal_, kaiming_uniform_,  # noqa: F401
                               normal_, ones_, orthogonal_, trunc_normal_, uniform_, xavier_normal_,
                               xavier_uniform_, zeros_)

__all__ = ["calculate_gain", "constant_", "eye_", "kaiming_normal_", "kaiming_uniform_", "normal_", "ones_",
           "orthogonal_", "trunc_normal_", "uniform_", "xavier_normal_", "xavier_uniform_", "zeros_"]
