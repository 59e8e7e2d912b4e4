"""``torch.optim``: backchain's optimizers and schedulers (PyTorch's names, defaults and update rules)."""
from backchain.optim import *  # noqa: F401,F403
from backchain.optim import Optimizer, SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, lr_scheduler  # noqa: F401

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "lr_scheduler"]
