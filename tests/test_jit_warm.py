"""``python -m backchain.jit`` (``_warm.warm``): the small steps it runs reach every kind of kernel the
replay takes, so that a later program's first call loads them from Numba's cache."""
import numpy as np
import pytest

numba = pytest.importorskip("numba")

from backchain.jit import _kernels, _pool, _rnn_kernels, _warm  # noqa: E402
from backchain.jit import __main__ as cli  # noqa: E402


def test_warm_compiles_the_pattern_product_and_lstm_kernels(monkeypatch):
    from backchain.jit import _gemm

    if not _gemm.AVX512:
        pytest.skip("the product and LSTM tile kernels run only where the CPU has AVX-512")
    took = _warm.warm(dtypes=(np.float32,))
    assert took > 0
    # (the kernels called from Python: one that only compiled kernels call, such as the tiles of
    # _simd.py, is compiled into its callers and, when they load from Numba's cache, has no entry of its own)
    for kernel in (_kernels.bias_relu, _kernels.relu_vjp, _kernels.relu_pool2, _kernels.pool2_relu_vjp,
                   _kernels.col2im2d, _rnn_kernels.forward_simd, _rnn_kernels.backward_simd, _pool._serve,
                   _pool._nn, _pool._nt, _pool._stack, _pool._nn_sgd):
        assert kernel.signatures, kernel.py_func.__name__   # compiled (or loaded) for some types


def test_the_command_line(capsys):
    assert cli.main([]) == 0
    assert "bc.jit: kernels compiled" in capsys.readouterr().out
