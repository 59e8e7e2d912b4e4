"""``torch.mps``: not available (backchain runs on the CPU)."""


def is_available():
    """False.

    >>> import backchain.torch as torch
    >>> torch.mps.is_available()
    False
    """
    return False
