"""``torch.cuda``: backchain runs on the CPU; ``is_available()`` is False and the rest answers as PyTorch
does on a machine without a GPU."""
from ._types import _no_accelerator


def is_available():
    return False


def device_count():
    return 0


def manual_seed(seed):
    """Accepted: there is no CUDA generator (``torch.manual_seed`` seeds backchain's)."""


manual_seed_all = manual_seed


def synchronize(device=None):
    """Nothing to wait for on the CPU."""


def empty_cache():
    """Nothing to free: there is no CUDA memory."""


def is_bf16_supported():
    return False


def current_device():
    raise _no_accelerator("torch.cuda.current_device()")


def get_device_name(device=None):
    raise _no_accelerator("torch.cuda.get_device_name()")


def set_device(device):
    raise _no_accelerator("torch.cuda.set_device()")
