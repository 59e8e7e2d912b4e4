"""``torch.amp``: mixed precision. backchain computes in the dtypes it is given, so ``autocast`` is accepted
disabled (or on the CPU in float32/float64, a no-op) and refused with a clear error for float16/bfloat16;
``GradScaler(enabled=False)`` passes everything through, as PyTorch's does."""
from ._types import as_np_dtype

__all__ = ["autocast", "GradScaler"]


class autocast:
    """A context that changes nothing: ``enabled=False``, or a float32/float64 ``dtype``.

    >>> import backchain.torch as torch
    >>> with torch.amp.autocast(device_type="cpu", enabled=False):
    ...     y = torch.ones(2) * 2
    >>> y.dtype
    torch.float32
    """

    def __init__(self, device_type="cpu", dtype=None, enabled=True, cache_enabled=None):
        if enabled and dtype is not None and as_np_dtype(dtype).itemsize < 4:
            raise RuntimeError(f"torch.amp.autocast(dtype={dtype}): backchain computes in the dtypes it is given "
                               "and has no mixed-precision autocasting; cast the model and inputs yourself "
                               "(model.half()), or pass enabled=False")
        self.enabled = enabled

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        return fn


class GradScaler:
    """Loss scaling for float16 training; ``enabled=False`` (the usual choice on a CPU) passes through.

    >>> import backchain.torch as torch
    >>> w = torch.ones(2, requires_grad=True)
    >>> opt = torch.optim.SGD([w], lr=0.5)
    >>> scaler = torch.amp.GradScaler(enabled=False)
    >>> scaler.scale((w * w).sum()).backward()
    >>> scaler.unscale_(opt); scaler.step(opt); scaler.update()
    >>> w
    tensor([0., 0.], requires_grad=True)
    """

    def __init__(self, device="cpu", init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        if enabled:
            raise RuntimeError("torch.amp.GradScaler(enabled=True): backchain has no float16 loss scaling; "
                               "train in float32 and pass enabled=False")
        self._enabled = False

    def scale(self, outputs):
        return outputs

    def unscale_(self, optimizer):
        pass

    def step(self, optimizer, *args, **kwargs):
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None):
        pass

    def is_enabled(self):
        return False

    def get_scale(self):
        return 1.0

    def state_dict(self):
        return {}

    def load_state_dict(self, state_dict):
        pass
