"""``backchain.numpy.fft``: NumPy's discrete Fourier transforms, differentiable."""
from .._rules.fft import FFT_EXPORTS as _EX

globals().update(_EX)
__all__ = sorted(_EX)
