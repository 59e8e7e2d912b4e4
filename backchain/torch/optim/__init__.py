"""``torch.optim``: backchain's optimizers and schedulers (PyTorch's names, defaults and update rules)."""
from backchain.optim import *  # noqa: F401,F403
from backchain.optim import (Optimizer, SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, NAdam,  # noqa: F401
                             RAdam, ASGD, Rprop, LBFGS, SparseAdam, lr_scheduler)

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD",
           "Rprop", "LBFGS", "SparseAdam", "lr_scheduler"]
