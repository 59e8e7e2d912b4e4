"""``torch.nn.utils``: gradient clipping, parameter vectors and ``rnn`` packing (backchain's)."""
from backchain.nn.utils import (clip_grad_norm_, clip_grad_value_, parameters_to_vector,  # noqa: F401
                                vector_to_parameters, rnn)

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters", "rnn"]
