"""``torch.cuda``: backchain runs on the CPU; ``is_available()`` is False and the rest answers as PyTorch
does on a machine without a GPU (the queries that need a GPU raise one clear error)."""
import types

from ._types import _no_accelerator
from .amp import GradScaler as _GradScaler, autocast as _autocast

# torch.cuda.amp.GradScaler / autocast, the older spelling of torch.amp's (nanoGPT's train.py uses it)
amp = types.SimpleNamespace(GradScaler=_GradScaler, autocast=_autocast)


def is_available():
    """False: backchain has no CUDA device.

    >>> import backchain.torch as torch
    >>> torch.cuda.is_available()
    False
    """
    return False


def device_count():
    """0 CUDA devices.

    >>> import backchain.torch as torch
    >>> torch.cuda.device_count()
    0
    """
    return 0


def manual_seed(seed):
    """Accepted and ignored: there is no CUDA generator (``torch.manual_seed`` seeds backchain's).

    >>> import backchain.torch as torch
    >>> torch.cuda.manual_seed(0)
    """


def manual_seed_all(seed):
    """Accepted and ignored, as :func:`manual_seed`.

    >>> import backchain.torch as torch
    >>> torch.cuda.manual_seed_all(0)
    """


def synchronize(device=None):
    """Nothing to wait for on the CPU.

    >>> import backchain.torch as torch
    >>> torch.cuda.synchronize()
    """


def empty_cache():
    """Nothing to free: there is no CUDA memory.

    >>> import backchain.torch as torch
    >>> torch.cuda.empty_cache()
    """


def is_bf16_supported():
    """False.

    >>> import backchain.torch as torch
    >>> torch.cuda.is_bf16_supported()
    False
    """
    return False


def current_device():
    """Raises: there is no CUDA device.

    >>> import backchain.torch as torch
    >>> torch.cuda.current_device()
    Traceback (most recent call last):
    RuntimeError: torch.cuda.current_device(): backchain runs on the CPU with NumPy; ...
    """
    raise _no_accelerator("torch.cuda.current_device()")


def get_device_name(device=None):
    """Raises: there is no CUDA device.

    >>> import backchain.torch as torch
    >>> torch.cuda.get_device_name()
    Traceback (most recent call last):
    RuntimeError: torch.cuda.get_device_name(): backchain runs on the CPU with NumPy; ...
    """
    raise _no_accelerator("torch.cuda.get_device_name()")


def set_device(device):
    """Raises: there is no CUDA device.

    >>> import backchain.torch as torch
    >>> torch.cuda.set_device(0)
    Traceback (most recent call last):
    RuntimeError: torch.cuda.set_device(): backchain runs on the CPU with NumPy; ...
    """
    raise _no_accelerator("torch.cuda.set_device()")
