"""``torch.nn.utils``: gradient clipping, parameter vectors, ``rnn`` packing, ``parametrize`` and weight and
spectral normalisation (backchain's)."""
from backchain.nn.utils import (clip_grad_norm_, clip_grad_value_, parameters_to_vector,  # noqa: F401
                                vector_to_parameters, rnn, parametrize, parametrizations, weight_norm,
                                remove_weight_norm, spectral_norm, remove_spectral_norm)

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters", "rnn",
           "parametrize", "parametrizations", "weight_norm", "remove_weight_norm", "spectral_norm",
           "remove_spectral_norm"]
