"""Surrogate gradients: the forward of one function, the derivative of another.

A step, a sign, rounding or quantisation has derivative 0 almost everywhere,
so nothing upstream of it learns. :func:`straight_through` keeps the forward
exactly (the value of ``fn``) and takes the backward from a smooth
``surrogate`` (the identity by default: the straight-through estimator).
:func:`step`, :func:`sign_ste` and :func:`round_ste` are the usual activations
built on it.

The result is an ordinary recorded operation: ``grad``, ``jvp``, ``Tensor.backward``
and derivatives of any order see the surrogate's derivative (of any order).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._core.primitive import primitive
from ._core.tensor import Tensor

__all__ = ["straight_through", "step", "sign_ste", "round_ste"]


def _pass(g, ans, s, f):
    return g


# The value is ``f`` (computed by ``fn``, a constant to the graph); the derivative is that of
# ``s`` (the surrogate, recorded before): d out / d s = 1. Not entered in the rule table: it
# is not the derivative of its forward, on purpose.
_straight_through = primitive("straight_through", lambda s, f: f, vjp=(_pass, None), jvp=(_pass, None),
                              register=False)


def _sigmoid(x):
    import backchain.numpy as bnp

    return 1.0 / (1.0 + bnp.exp(-x))


def _surrogate(surrogate, slope):
    """The surrogate as a function of a Tensor, or None for the identity with slope 1."""
    if surrogate is None or (isinstance(surrogate, str) and surrogate == "identity"):
        base = None
    elif isinstance(surrogate, str):
        import backchain.numpy as bnp
        from ._rules.activations import hardtanh

        named = {"sigmoid": _sigmoid, "tanh": bnp.tanh, "hardtanh": hardtanh}
        if surrogate not in named:
            raise ValueError(f"straight_through: surrogate must be None, 'identity', 'sigmoid', 'tanh', "
                             f"'hardtanh' or a callable, got {surrogate!r}")
        base = named[surrogate]
    elif callable(surrogate):
        base = surrogate
    else:
        raise TypeError(f"straight_through: surrogate must be a callable or a name, got {type(surrogate).__name__}")
    if isinstance(slope, bool) or not isinstance(slope, (int, float, np.floating, np.integer)):
        raise TypeError(f"straight_through: slope must be a number, got {slope!r}")
    slope = float(slope)
    if slope == 1.0:
        return base
    if base is None:
        return lambda x: slope * x
    return lambda x: base(slope * x)


def straight_through(fn: Callable[[Any], Any], surrogate: str | Callable[[Any], Any] | None = None, *,
                     slope: float = 1.0) -> Callable[[Any], Any]:
    """``fn`` in the forward pass, the derivative of ``surrogate`` in the backward pass.

    Parameters
    ----------
    fn : callable
        The forward function of one array (step, sign, round, one-hot argmax,
        quantisation, ...), applied to plain arrays; its result is cast to the
        input's dtype and must have the input's shape.
    surrogate : None, str or callable
        Whose derivative is used: None or ``"identity"`` (the straight-through
        estimator, derivative 1), ``"sigmoid"``, ``"tanh"``, ``"hardtanh"``
        (1 on (-1, 1), 0 outside; at -1 and 1 hardtanh's kink value, 0 by
        default: the kink policy ``clip_at_bound``), or a function of one array written with
        ``backchain.numpy`` (e.g. ``bnp.tanh``, or ``lambda x: bnp.softmax(x)``).
    slope : float
        The surrogate is ``surrogate(slope * x)`` (the identity: ``slope * x``).

    Returns
    -------
    callable
        A function of one array. On plain arrays it is ``fn`` itself.

    >>> import numpy as np, backchain as bc, backchain.numpy as bnp
    >>> step = bc.straight_through(lambda x: (x > 0).astype(x.dtype), surrogate=bnp.tanh)
    >>> step(np.array([-1.0, 2.0]))
    array([0., 1.])
    >>> float(bc.grad(lambda x: bnp.sum(step(x)))(0.0))
    1.0
    """
    if not callable(fn):
        raise TypeError(f"straight_through: fn must be callable, got {type(fn).__name__}")
    sur = _surrogate(surrogate, slope)
    name = getattr(fn, "__name__", "fn")

    def apply(x):
        if not isinstance(x, Tensor):
            return fn(x)
        xd = np.asarray(x._data)
        f = np.asarray(fn(xd))
        if f.shape != xd.shape:
            raise ValueError(f"straight_through({name}): fn returned shape {f.shape} for an input of shape "
                             f"{xd.shape}; the forward must keep the shape")
        if f.dtype != xd.dtype:
            f = f.astype(xd.dtype)
        s = x if sur is None else sur(x)
        sshape = np.shape(s._data if isinstance(s, Tensor) else s)
        if sshape != xd.shape:
            raise ValueError(f"straight_through({name}): the surrogate returned shape {sshape} for an input of "
                             f"shape {xd.shape}")
        if not isinstance(s, Tensor):
            return f
        return _straight_through(s, f)

    apply.__name__ = f"straight_through({name})"
    apply.__qualname__ = apply.__name__
    apply.__doc__ = f"{name} forward, surrogate backward (backchain.straight_through)."
    return apply


def _heaviside(x):
    x = np.asarray(x)
    return (x > 0).astype(np.result_type(x.dtype, np.float16) if x.dtype.kind in "biu" else x.dtype)


_STEP = straight_through(_heaviside)
_SIGN = straight_through(np.sign, "hardtanh")
_ROUND = straight_through(np.round)


def step(x: Any, surrogate: str | Callable[[Any], Any] | None = None, slope: float = 1.0) -> Any:
    """The step ``1 where x > 0, else 0``, with a surrogate derivative (identity by default).

    Without a surrogate (``bnp.heaviside``, ``x > 0``) the derivative is 0
    everywhere and nothing before the step learns.

    >>> import backchain as bc
    >>> from backchain.surrogate import step
    >>> float(step(0.5)), float(bc.grad(step)(0.5))
    (1.0, 1.0)
    >>> round(float(bc.grad(lambda x: step(x, surrogate="sigmoid", slope=4.0))(0.0)), 6)
    1.0
    """
    if surrogate is None and slope == 1.0:
        return _STEP(x)
    return straight_through(_heaviside, surrogate, slope=slope)(x)


def sign_ste(x: Any, surrogate: str | Callable[[Any], Any] | None = "hardtanh", slope: float = 1.0) -> Any:
    """``sign(x)`` with the derivative of ``hardtanh`` by default: 1 on (-1, 1), 0 outside.

    The estimator of binarized networks (Hubara et al., 2016). At x = -1 and x = 1
    the derivative is hardtanh's at its bounds: the kink table's convention for
    clip, hardtanh and relu6 there, 0 by default (the minimum-norm element of
    [0, 1]); ``bc.kinks.policy(clip_at_bound=1.0)`` gives Hubara et al.'s
    ``1 where |x| <= 1``.

    >>> import backchain as bc
    >>> from backchain.surrogate import sign_ste
    >>> float(sign_ste(-0.3)), float(bc.grad(sign_ste)(-0.3)), float(bc.grad(sign_ste)(2.0))
    (-1.0, 1.0, 0.0)
    >>> float(bc.grad(sign_ste)(1.0))
    0.0
    >>> with bc.kinks.policy(clip_at_bound=1.0):
    ...     float(bc.grad(sign_ste)(1.0))
    1.0
    """
    if surrogate == "hardtanh" and slope == 1.0:
        return _SIGN(x)
    return straight_through(np.sign, surrogate, slope=slope)(x)


def round_ste(x: Any, surrogate: str | Callable[[Any], Any] | None = None, slope: float = 1.0) -> Any:
    """``round(x)`` (half to even, as NumPy) with the derivative of the identity by default.

    >>> import backchain as bc
    >>> from backchain.surrogate import round_ste
    >>> float(round_ste(1.7)), float(bc.grad(round_ste)(1.7))
    (2.0, 1.0)
    """
    if surrogate is None and slope == 1.0:
        return _ROUND(x)
    return straight_through(np.round, surrogate, slope=slope)(x)
