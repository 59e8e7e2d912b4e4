"""``torch.optim.lr_scheduler``: backchain's schedulers."""
from backchain.optim.lr_scheduler import *  # noqa: F401,F403
