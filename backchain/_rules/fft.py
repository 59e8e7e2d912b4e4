"""Discrete Fourier transforms: linear primitives whose VJPs are transforms too."""
import numpy as np

import backchain.numpy as bnp
from .._core.primitive import primitive

__all__ = []

# Names of backchain.numpy.fft (NumPy's numpy.fft names) -> functions.
FFT_EXPORTS = {}
