"""``torch.accelerator``: none (backchain runs on the CPU)."""


def is_available():
    """False.

    >>> import backchain.torch as torch
    >>> torch.accelerator.is_available()
    False
    """
    return False


def device_count():
    """0.

    >>> import backchain.torch as torch
    >>> torch.accelerator.device_count()
    0
    """
    return 0


def current_accelerator(check_available=False):
    """None: no accelerator.

    >>> import backchain.torch as torch
    >>> torch.accelerator.current_accelerator() is None
    True
    """
    return None
