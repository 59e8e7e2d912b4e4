"""``backchain.nn.init``: in-place initialisation of parameters (PyTorch names, formulas and defaults).

Every function fills ``tensor`` (a Parameter, Tensor or ndarray) in place,
without recording, and returns it. Random draws come from ``generator`` (a
``numpy.random.Generator``) or backchain's default generator (``bc.manual_seed``).

>>> import numpy as np, backchain as bc
>>> w = bc.nn.Parameter(np.empty((4, 3), dtype=np.float32))
>>> _ = bc.nn.init.xavier_uniform_(w, generator=np.random.default_rng(0))
>>> float(np.abs(w.data).max()) <= (6 / 7) ** 0.5
True
"""
from __future__ import annotations

import math
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from .._core.tensor import Tensor, bump_version, writable
from ..random import _gen

# a Parameter, Tensor or ndarray, filled in place and returned
_T = TypeVar("_T", bound="Tensor | NDArray[Any]")

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_"]


def _array(tensor):
    return tensor._data if isinstance(tensor, Tensor) else tensor


def _fill(tensor, values):
    a = _array(tensor)
    if not isinstance(a, np.ndarray) or a.ndim == 0 and not a.flags.writeable:
        raise TypeError(f"init: expected a Parameter, Tensor or ndarray to fill in place, got {type(tensor).__name__}")
    if isinstance(tensor, Tensor):
        a = writable(tensor)
    a[...] = np.asarray(values, dtype=a.dtype).reshape(a.shape)
    if isinstance(tensor, Tensor):
        bump_version(tensor, "nn.init")  # a graph that read the old values must not use them
    return tensor


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for an activation (PyTorch's table).

    >>> import backchain as bc
    >>> bc.nn.init.calculate_gain("relu")
    1.4142135623730951
    """
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")
    if nonlinearity in linear or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor):
    """``(fan_in, fan_out)`` of a weight of shape ``(out, in, *kernel)``: ``in * prod(kernel)``, ``out * prod(kernel)``.

    Private, as in PyTorch (``torch.nn.init._calculate_fan_in_and_fan_out``), and
    kept under that name for code ported from it; not in ``__all__``.

    >>> import numpy as np
    >>> from backchain.nn import init
    >>> init._calculate_fan_in_and_fan_out(np.empty((8, 3, 5, 5)))
    (75, 200)
    """
    shape = np.shape(_array(tensor))
    if len(shape) < 2:
        raise ValueError(f"init: fan in and fan out need a tensor with at least 2 dimensions, got shape {shape}")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def uniform_(tensor: _T, a: float = 0.0, b: float = 1.0, generator: np.random.Generator | None = None) -> _T:
    """Fill ``tensor`` with draws from the uniform distribution U(a, b).

    Parameters
    ----------
    tensor : Parameter, Tensor or ndarray
        Filled in place, without recording.
    a, b : float
        The bounds of the interval (default 0 and 1).
    generator : numpy.random.Generator, optional
        Where the draws come from; default: backchain's default generator (``bc.manual_seed``).

    Returns
    -------
    Parameter, Tensor or ndarray
        ``tensor`` itself, filled.

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> w = bc.nn.Parameter(np.empty((2, 3)))
    >>> bc.nn.init.uniform_(w, -1.0, 1.0, generator=np.random.default_rng(0)).data.round(3)
    array([[ 0.274, -0.46 , -0.918],
           [-0.967,  0.627,  0.826]])
    """
    return _fill(tensor, _gen(generator).uniform(a, b, np.shape(_array(tensor))))


def normal_(tensor: _T, mean: float = 0.0, std: float = 1.0, generator: np.random.Generator | None = None) -> _T:
    """Fill ``tensor`` with draws from the normal distribution N(mean, std**2).

    Parameters
    ----------
    tensor : Parameter, Tensor or ndarray
        Filled in place, without recording.
    mean, std : float
        Mean and standard deviation (default 0 and 1).
    generator : numpy.random.Generator, optional
        Where the draws come from; default: backchain's default generator (``bc.manual_seed``).

    Returns
    -------
    Parameter, Tensor or ndarray
        ``tensor`` itself, filled.

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> w = bc.nn.Parameter(np.empty((2, 3)))
    >>> bc.nn.init.normal_(w, 0.0, 0.1, generator=np.random.default_rng(0)).data.round(3)
    array([[ 0.013, -0.013,  0.064],
           [ 0.01 , -0.054,  0.036]])
    """
    return _fill(tensor, _gen(generator).normal(mean, std, np.shape(_array(tensor))))


def trunc_normal_(tensor: _T, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator: np.random.Generator | None = None) -> _T:
    """Fill ``tensor`` with N(mean, std**2) draws restricted to [a, b] (draws outside are drawn again).

    Parameters
    ----------
    tensor : Parameter, Tensor or ndarray
        Filled in place, without recording.
    mean, std : float
        Mean and standard deviation of the normal distribution before truncation.
    a, b : float
        The interval the values must lie in (default -2 and 2, absolute values as in PyTorch).
    generator : numpy.random.Generator, optional
        Where the draws come from; default: backchain's default generator (``bc.manual_seed``).

    Returns
    -------
    Parameter, Tensor or ndarray
        ``tensor`` itself, filled.

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> w = bc.nn.init.trunc_normal_(np.empty(1000), a=-0.5, b=0.5, generator=np.random.default_rng(0))
    >>> bool(w.min() >= -0.5 and w.max() <= 0.5)
    True
    """
    g = _gen(generator)
    shape = np.shape(_array(tensor))
    out = g.normal(mean, std, shape)
    bad = (out < a) | (out > b)
    while np.any(bad):
        out[bad] = g.normal(mean, std, int(bad.sum()))
        bad = (out < a) | (out > b)
    return _fill(tensor, out)


def constant_(tensor: _T, val: float) -> _T:
    """Fill ``tensor`` with the value ``val``.

    Parameters
    ----------
    tensor : Parameter, Tensor or ndarray
        Filled in place, without recording.
    val : float

    Returns
    -------
    Parameter, Tensor or ndarray
        ``tensor`` itself, filled.

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> b = bc.nn.Parameter(np.empty(3, dtype=np.float32))
    >>> bc.nn.init.constant_(b, 0.5).data
    array([0.5, 0.5, 0.5], dtype=float32)
    """
    return _fill(tensor, np.full(np.shape(_array(tensor)), val))


def ones_(tensor: _T) -> _T:
    """Fill ``tensor`` with ones (``constant_(tensor, 1.0)``).

    Parameters
    ----------
    tensor : Parameter, Tensor or ndarray
        Filled in place, without recording.

    Returns
    -------
    Parameter, Tensor or ndarray
        ``tensor`` itself, filled.

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> bc.nn.init.ones_(np.empty((2, 2)))
    array([[1., 1.],
           [1., 1.]])
    """
    return constant_(tensor, 1.0)


def zeros_(tensor: _T) -> _T:
    """Fill ``tensor`` with zeros (``constant_(tensor, 0.0)``), as for biases.

    Parameters
    ----------
    tensor : Parameter, Tensor or ndarray
        Filled in place, without recording.

    Returns
    -------
    Parameter, Tensor or ndarray
        ``tensor`` itself, filled.

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> layer = bc.nn.Linear(3, 2)
    >>> bc.nn.init.zeros_(layer.bias).data.tolist()
    [0.0, 0.0]
    """
    return constant_(tensor, 0.0)


def eye_(tensor: _T) -> _T:
    """Fill a 2-d ``tensor`` with the identity matrix (ones on the diagonal of a rectangular one).

    Parameters
    ----------
    tensor : Parameter, Tensor or ndarray
        2-d; filled in place, without recording.

    Returns
    -------
    Parameter, Tensor or ndarray
        ``tensor`` itself, filled.

    Raises
    ------
    ValueError
        If ``tensor`` is not 2-d.

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> bc.nn.init.eye_(np.empty((2, 3)))
    array([[1., 0., 0.],
           [0., 1., 0.]])
    """
    shape = np.shape(_array(tensor))
    if len(shape) != 2:
        raise ValueError(f"eye_: only 2-d tensors are supported, got shape {shape}")
    return _fill(tensor, np.eye(*shape))


def xavier_uniform_(tensor: _T, gain: float = 1.0, generator: np.random.Generator | None = None) -> _T:
    """Fill ``tensor`` with U(-a, a) draws, ``a = gain * sqrt(6 / (fan_in + fan_out))`` (Glorot and Bengio, 2010).

    Parameters
    ----------
    tensor : Parameter, Tensor or ndarray
        At least 2-d, of shape ``(out, in, *kernel)``: ``fan_in = in * prod(kernel)``,
        ``fan_out = out * prod(kernel)``. Filled in place, without recording.
    gain : float
        Scale factor, e.g. ``calculate_gain("tanh")`` (default 1).
    generator : numpy.random.Generator, optional
        Where the draws come from; default: backchain's default generator (``bc.manual_seed``).

    Returns
    -------
    Parameter, Tensor or ndarray
        ``tensor`` itself, filled.

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> w = bc.nn.init.xavier_uniform_(np.empty((64, 32)), generator=np.random.default_rng(0))
    >>> bool(np.abs(w).max() <= (6 / (32 + 64)) ** 0.5)
    True
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: _T, gain: float = 1.0, generator: np.random.Generator | None = None) -> _T:
    """Fill ``tensor`` with N(0, std**2) draws, ``std = gain * sqrt(2 / (fan_in + fan_out))`` (Glorot and Bengio).

    Parameters
    ----------
    tensor : Parameter, Tensor or ndarray
        At least 2-d, of shape ``(out, in, *kernel)``: ``fan_in = in * prod(kernel)``,
        ``fan_out = out * prod(kernel)``. Filled in place, without recording.
    gain : float
        Scale factor (default 1).
    generator : numpy.random.Generator, optional
        Where the draws come from; default: backchain's default generator (``bc.manual_seed``).

    Returns
    -------
    Parameter, Tensor or ndarray
        ``tensor`` itself, filled.

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> w = bc.nn.init.xavier_normal_(np.empty((64, 32)), generator=np.random.default_rng(0))
    >>> round(float(w.std()), 2), round((2 / (32 + 64)) ** 0.5, 2)
    (0.14, 0.14)
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def _fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def kaiming_uniform_(tensor: _T, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: np.random.Generator | None = None) -> _T:
    """Fill ``tensor`` with U(-bound, bound) draws, ``bound = gain * sqrt(3 / fan)`` (He et al., 2015).

    Parameters
    ----------
    tensor : Parameter, Tensor or ndarray
        At least 2-d, of shape ``(out, in, *kernel)``: ``fan_in = in * prod(kernel)``,
        ``fan_out = out * prod(kernel)``. Filled in place, without recording.
    a : float
        The negative slope of the rectifier after this layer (for ``"leaky_relu"``; default 0).
    mode : {"fan_in", "fan_out"}
        ``"fan_in"`` keeps the variance of the activations in the forward pass,
        ``"fan_out"`` that of the gradients in the backward pass.
    nonlinearity : str
        The activation after this layer, for :func:`calculate_gain` (default ``"leaky_relu"``).
    generator : numpy.random.Generator, optional
        Where the draws come from; default: backchain's default generator (``bc.manual_seed``).

    Returns
    -------
    Parameter, Tensor or ndarray
        ``tensor`` itself, filled.

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> w = bc.nn.Parameter(np.empty((64, 32), dtype=np.float32))
    >>> _ = bc.nn.init.kaiming_uniform_(w, nonlinearity="relu", generator=np.random.default_rng(0))
    >>> bool(np.abs(w.data).max() <= np.sqrt(2.0) * np.sqrt(3 / 32))
    True
    """
    fan = _fan(tensor, mode)
    if fan == 0:
        return tensor
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: _T, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: np.random.Generator | None = None) -> _T:
    """Fill ``tensor`` with N(0, std**2) draws, ``std = gain / sqrt(fan)`` (He et al., 2015).

    Parameters
    ----------
    tensor : Parameter, Tensor or ndarray
        At least 2-d, of shape ``(out, in, *kernel)``: ``fan_in = in * prod(kernel)``,
        ``fan_out = out * prod(kernel)``. Filled in place, without recording.
    a : float
        The negative slope of the rectifier after this layer (for ``"leaky_relu"``; default 0).
    mode : {"fan_in", "fan_out"}
        ``"fan_in"`` keeps the variance of the activations in the forward pass,
        ``"fan_out"`` that of the gradients in the backward pass.
    nonlinearity : str
        The activation after this layer, for :func:`calculate_gain` (default ``"leaky_relu"``).
    generator : numpy.random.Generator, optional
        Where the draws come from; default: backchain's default generator (``bc.manual_seed``).

    Returns
    -------
    Parameter, Tensor or ndarray
        ``tensor`` itself, filled.

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> w = np.empty((64, 32))
    >>> _ = bc.nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu", generator=np.random.default_rng(0))
    >>> round(float(w.std()), 2), round((2 / 64) ** 0.5, 2)
    (0.18, 0.18)
    """
    fan = _fan(tensor, mode)
    if fan == 0:
        return tensor
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)


def orthogonal_(tensor: _T, gain: float = 1.0, generator: np.random.Generator | None = None) -> _T:
    """Fill ``tensor`` with a (semi-)orthogonal matrix, from the QR decomposition of a Gaussian one, times ``gain``.

    Dimensions after the first are flattened: the rows of the ``(shape[0], prod(shape[1:]))``
    matrix are orthonormal when there are fewer rows than columns, else its columns (Saxe et al., 2013).

    Parameters
    ----------
    tensor : Parameter, Tensor or ndarray
        At least 2-d; filled in place, without recording.
    gain : float
        Scale factor (default 1).
    generator : numpy.random.Generator, optional
        Where the draws come from; default: backchain's default generator (``bc.manual_seed``).

    Returns
    -------
    Parameter, Tensor or ndarray
        ``tensor`` itself, filled.

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> q = bc.nn.init.orthogonal_(np.empty((3, 5)), generator=np.random.default_rng(0))
    >>> np.allclose(q @ q.T, np.eye(3))
    True
    """
    shape = np.shape(_array(tensor))
    if len(shape) < 2:
        raise ValueError(f"orthogonal_: only tensors with 2 or more dimensions are supported, got shape {shape}")
    rows, cols = shape[0], int(np.prod(shape[1:]))
    flat = _gen(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q)
