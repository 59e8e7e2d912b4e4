"""Optimizers and learning-rate schedulers with PyTorch's names, defaults and semantics.

>>> import backchain as bc
>>> w = bc.tensor([3.0], requires_grad=True)
>>> opt = bc.optim.Adam([w], lr=0.5)
>>> for _ in range(100):
...     opt.zero_grad(); ((w - 1.0) ** 2).sum().backward(); opt.step()
>>> abs(float(w.data[0]) - 1.0) < 0.05
True
"""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam, AdamW
from .rmsprop import RMSprop, Adagrad
from .adadelta import Adadelta
from .adam_variants import Adamax, NAdam, RAdam
from .sgd_variants import ASGD, Rprop
from .lbfgs import LBFGS
from .sparse_adam import SparseAdam
from . import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD",
           "Rprop", "LBFGS", "SparseAdam", "lr_scheduler"]
