"""The layer modules of ``backchain.nn`` (re-exported there)."""
from .linear import Identity, Linear, Bilinear, Dense
from .flatten import Flatten, Unflatten
from .dropout import Dropout
from .embedding import Embedding
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm, GroupNorm, RMSNorm
from .activation import (ReLU, LeakyReLU, PReLU, ELU, SELU, CELU, GELU, SiLU, Swish, Mish, Softplus, Softsign,
                         Tanh, Sigmoid, LogSigmoid, Hardtanh, ReLU6, Hardsigmoid, Hardswish, Softmax, LogSoftmax)
from .loss import (MSELoss, L1Loss, SmoothL1Loss, HuberLoss, NLLLoss, CrossEntropyLoss, BCELoss, BCEWithLogitsLoss,
                   KLDivLoss, CosineSimilarity)

__all__ = [
    "Identity", "Linear", "Bilinear", "Dense", "Flatten", "Unflatten", "Dropout", "Embedding",
    "BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "RMSNorm",
    "ReLU", "LeakyReLU", "PReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Swish", "Mish", "Softplus", "Softsign",
    "Tanh", "Sigmoid", "LogSigmoid", "Hardtanh", "ReLU6", "Hardsigmoid", "Hardswish", "Softmax", "LogSoftmax",
    "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "NLLLoss", "CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss",
    "KLDivLoss", "CosineSimilarity",
]
