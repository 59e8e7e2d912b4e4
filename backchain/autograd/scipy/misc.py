"""``backchain.autograd.scipy.misc``: ``logsumexp``, where autograd's older releases had it."""
from backchain.scipy.special import logsumexp  # noqa: F401

__all__ = ["logsumexp"]
