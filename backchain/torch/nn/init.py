"""``torch.nn.init``: backchain's initialisers (PyTorch's names and formulas), in place on Parameters."""
from backchain.nn.init import *  # noqa: F401,F403
from backchain.nn.init import (calculate_gain, constant_, eye_, kaiming_normal_, kaiming_uniform_, normal_,  # noqa: F401
                               ones_, orthogonal_, trunc_normal_, uniform_, xavier_normal_, xavier_uniform_, zeros_)
