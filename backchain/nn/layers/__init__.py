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
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .pooling import (MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool1d, AdaptiveAvgPool2d,
                      AdaptiveMaxPool1d, AdaptiveMaxPool2d, MaxUnpool1d, MaxUnpool2d)
from .sampling import (Upsample, PixelShuffle, PixelUnshuffle, ChannelShuffle, ZeroPad1d, ZeroPad2d, ConstantPad2d,
                       ReflectionPad1d, ReflectionPad2d, ReplicationPad1d, ReplicationPad2d, CircularPad2d)
from .rnn import RNNBase, RNN, LSTM, GRU, RNNCellBase, RNNCell, LSTMCell, GRUCell
from .transformer import (MultiheadAttention, TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer,
                          TransformerDecoder, Transformer, SinusoidalPositionalEncoding, LearnedPositionalEmbedding)
from .acdc import ACDC, ACDCStack
from .spatial import SpatialTransformer

__all__ = [
    "Identity", "Linear", "Bilinear", "Dense", "Flatten", "Unflatten", "Dropout", "Embedding",
    "BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "RMSNorm",
    "ReLU", "LeakyReLU", "PReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Swish", "Mish", "Softplus", "Softsign",
    "Tanh", "Sigmoid", "LogSigmoid", "Hardtanh", "ReLU6", "Hardsigmoid", "Hardswish", "Softmax", "LogSoftmax",
    "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "NLLLoss", "CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss",
    "KLDivLoss", "CosineSimilarity",
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
    "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "MaxUnpool1d", "MaxUnpool2d",
    "Upsample", "PixelShuffle", "PixelUnshuffle", "ChannelShuffle", "ZeroPad1d", "ZeroPad2d", "ConstantPad2d",
    "ReflectionPad1d", "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d", "CircularPad2d",
    "RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell",
    "MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder", "TransformerDecoderLayer",
    "TransformerDecoder", "Transformer", "SinusoidalPositionalEncoding",
    "LearnedPositionalEmbedding", "ACDC", "ACDCStack", "SpatialTransformer",
]
