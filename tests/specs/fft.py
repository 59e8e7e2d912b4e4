"""Spec rows for backchain/_rules/fft.py (backchain.numpy.fft)."""
import backchain.numpy as bnp
from tests.specs import Spec

F = bnp.fft
V = [((5,),), ((2, 4),)]        # vectors and batches of vectors
M = [((3, 4),), ((2, 3, 4),)]   # matrices and batches of matrices

SPECS = [
    Spec(lambda x: F.fft(x), V, prims=("fftn",), id="fft", complex=True),
    Spec(lambda x: F.fft(x, n=7, norm="ortho"), V, prims=("fftn", "pad_or_crop"), id="fft-pad-ortho", complex=True),
    Spec(lambda x: F.fft(x, n=3, axis=0, norm="forward"), [((5,),), ((4, 2),)], prims=("fftn", "pad_or_crop"),
         id="fft-crop-axis0-forward", complex=True),
    Spec(lambda x: F.ifft(x), V, prims=("ifftn",), id="ifft", complex=True),
    Spec(lambda x: F.ifft(x, n=6, norm="ortho"), V, prims=("ifftn",), id="ifft-pad-ortho", complex=True),
    Spec(lambda x: F.rfft(x), [((5,),), ((2, 6),)], prims=("rfftn",), id="rfft"),
    Spec(lambda x: F.rfft(x, n=8, norm="ortho"), V, prims=("rfftn",), id="rfft-pad-ortho"),
    Spec(lambda x: F.rfft(x, n=3, axis=0, norm="forward"), [((5, 2),)], prims=("rfftn",), id="rfft-crop-axis0"),
    Spec(lambda x: F.irfft(x), [((4,),), ((2, 5),)], prims=("irfftn",), id="irfft", complex=True),
    Spec(lambda x: F.irfft(x, n=7), [((4,),), ((2, 3),)], prims=("irfftn",), id="irfft-odd-n", complex=True),
    Spec(lambda x: F.irfft(x, n=4, norm="ortho"), [((5,),)], prims=("irfftn",), id="irfft-crop-ortho", complex=True),
    Spec(lambda x: F.irfft(x, axis=0, norm="forward"), [((3, 2),)], prims=("irfftn",), id="irfft-axis0", complex=True),
    Spec(lambda x: F.fft2(x), M, prims=("fftn",), id="fft2", complex=True),
    Spec(lambda x: F.ifft2(x, s=(2, 5)), M, prims=("ifftn",), id="ifft2-s", complex=True),
    Spec(lambda x: F.rfft2(x, norm="ortho"), M, prims=("rfftn",), id="rfft2"),
    Spec(lambda x: F.irfft2(x), M, prims=("irfftn",), id="irfft2", complex=True),
    Spec(lambda x: F.fftn(x, axes=(0, 2)), [((2, 3, 4),)], prims=("fftn",), id="fftn-axes", complex=True),
    Spec(lambda x: F.ifftn(x, s=(4, 2), axes=(0, 1)), [((3, 3),)], prims=("ifftn",), id="ifftn-s", complex=True),
    Spec(lambda x: F.rfftn(x, s=(3, 6), axes=(0, 1)), [((2, 5),)], prims=("rfftn",), id="rfftn-s"),
    Spec(lambda x: F.irfftn(x, s=(3, 5), axes=(0, 1), norm="ortho"), [((4, 4),)], prims=("irfftn",), id="irfftn-s", complex=True),
    Spec(lambda x: F.irfftn(x), [((2, 3, 3),)], prims=("irfftn",), id="irfftn-3d", complex=True),
    Spec(lambda x: F.fftshift(x), [((5,),), ((3, 4),)], prims=("fftshift",), id="fftshift", complex=True),
    Spec(lambda x: F.fftshift(x, axes=1), [((3, 5),)], prims=("fftshift",), id="fftshift-axis"),
    Spec(lambda x: F.ifftshift(x), [((5,),), ((3, 4),)], prims=("ifftshift",), id="ifftshift", complex=True),
    Spec(lambda x: F.ifftshift(x, axes=(0,)), [((3, 5),)], prims=("ifftshift",), id="ifftshift-axis"),
    # A real loss through a round trip: |fft(x)|^2 sums to n |x|^2 (Parseval).
    Spec(lambda x: bnp.real(F.ifft(F.fft(x) * bnp.conj(F.fft(x)))), V, prims=("fftn", "ifftn"),
         id="fft-power-spectrum", complex=True),
]

COVERED_ELSEWHERE = {}
