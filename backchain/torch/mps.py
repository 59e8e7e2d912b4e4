"""``torch.mps``: not available (backchain runs on the CPU)."""


def is_available():
    return False
