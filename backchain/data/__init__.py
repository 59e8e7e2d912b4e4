"""Datasets, loaders and small real datasets (PyTorch's ``torch.utils.data`` names).

>>> import numpy as np, backchain as bc
>>> x, y = np.random.default_rng(0).normal(size=(100, 3)), np.arange(100) % 2
>>> loader = bc.data.DataLoader(bc.data.TensorDataset(x, y), batch_size=32, shuffle=True, seed=0)
>>> [xb.shape for xb, yb in loader]
[(32, 3), (32, 3), (32, 3), (4, 3)]
"""
from .loader import Dataset, TensorDataset, Subset, DataLoader, random_split, default_collate
from .datasets import digits, fashion_mnist, read_idx, FASHION_MNIST_CLASSES

__all__ = ["Dataset", "TensorDataset", "Subset", "DataLoader", "random_split", "default_collate", "digits",
           "fashion_mnist", "read_idx", "FASHION_MNIST_CLASSES"]
