"""Random draws inside ``vmap``: what ``randomness=`` decides for ``backchain.numpy.random``.

A draw such as ``bnp.random.normal(size=x.shape)`` names the shape of one example. Inside a
``vmap`` with ``randomness="different"`` (backchain's default, JAX's behaviour with a batched key)
it is drawn once per example, all at once, with the batch sizes put in front of ``size``, and
returned batched; with ``"same"`` it is one draw shared by the batch; with ``"error"`` (the default
of ``torch.func.vmap``) it raises. Draws whose examples cannot come from one call (a permutation,
``choice`` without replacement) are drawn once per example.

Only ``backchain.numpy.random`` (its functions, ``default_rng``'s generators, ``RandomState``) knows
about vmap: NumPy's own ``np.random`` draws one array, the same for every example.
"""
import operator
import threading

import numpy as np

from .._core import primitive as _primitive

__all__ = ["draw", "draw_shape", "SIZE_AT", "LOOPED"]

# Where ``size`` is among the positional arguments of each draw.
SIZE_AT = {
    "random": 0, "random_sample": 0, "sample": 0, "ranf": 0, "standard_normal": 0, "standard_cauchy": 0,
    "standard_exponential": 0, "tomaxint": 0,
    "chisquare": 1, "dirichlet": 1, "exponential": 1, "geometric": 1, "logseries": 1, "pareto": 1, "poisson": 1,
    "power": 1, "rayleigh": 1, "standard_gamma": 1, "standard_t": 1, "weibull": 1, "zipf": 1, "choice": 1,
    "integers": 2, "randint": 2, "random_integers": 2, "beta": 2, "binomial": 2, "f": 2, "gamma": 2,
    "gumbel": 2, "laplace": 2, "logistic": 2, "lognormal": 2, "multinomial": 2, "multivariate_hypergeometric": 2,
    "multivariate_normal": 2, "negative_binomial": 2, "noncentral_chisquare": 2, "normal": 2, "uniform": 2,
    "vonmises": 2, "wald": 2,
    "hypergeometric": 3, "noncentral_f": 3, "triangular": 3,
    "rand": "dims", "randn": "dims",
}
# Draws of one example per call: one call per example, stacked. ``shuffle`` works in place on a
# plain array, which has no examples, so it raises where examples were asked to differ.
LOOPED = {"permutation", "permuted", "shuffle", "bytes"}


def _running():
    """This thread's vmap levels that see the user's function (not ``jacobian``'s), outermost first."""
    from .batched import levels

    return [level for level in levels() if not level.internal]


def draw(fn, name, args, kwargs):
    """``fn(*args, **kwargs)``, NumPy's draw ``name``, as seen from one example of the running vmaps."""
    if _primitive._batch_hook is None:  # no vmap running in any thread
        return fn(*args, **kwargs)
    levels = _running()
    if not levels or _INSIDE.on:  # a draw that NumPy makes inside another (permutation shuffles)
        return fn(*args, **kwargs)
    _INSIDE.on = True
    try:
        return _draw(fn, name, args, kwargs, levels)
    finally:
        _INSIDE.on = False


class _Inside(threading.local):
    on = False


_INSIDE = _Inside()


def _different(levels, what):
    """The running levels that draw per example; an error if one refuses draws."""
    for level in levels:
        if level.randomness == "error":
            raise RuntimeError(
                f"vmap: {what} was called inside a function vmapped with randomness='error'; pass "
                "randomness='different' (one draw per example) or 'same' (one draw shared by the batch)")
    return [level for level in levels if level.randomness == "different"]


def _draw(fn, name, args, kwargs, levels):
    different = _different(levels, f"bnp.random.{name}")
    if not different:
        return fn(*args, **kwargs)
    from .batched import from_physical

    lead = tuple(level.size for level in different)
    pos = SIZE_AT.get(name)
    if name in LOOPED or (name == "choice" and not _replace(args, kwargs)):
        if name in ("shuffle", "bytes"):
            why = ("it shuffles one plain array in place; use permutation" if name == "shuffle"
                   else "it returns one bytes object")
            raise RuntimeError(
                f"vmap: bnp.random.{name} inside a function vmapped with randomness='different' cannot give each "
                f"example its own draw ({why}); pass randomness='same' to share one draw")
        n = int(np.prod(lead))
        outs = [np.asarray(fn(*args, **kwargs)) for _ in range(n)]
        out = np.stack(outs).reshape(lead + outs[0].shape)
    elif pos == "dims":  # rand(d0, d1, ...)
        out = fn(*(lead + tuple(operator.index(d) for d in args)))
    elif pos is None:  # not a draw (seed, get_state...)
        return fn(*args, **kwargs)
    else:
        args, kwargs = list(args), dict(kwargs)
        size = args[pos] if len(args) > pos else kwargs.get("size")
        if kwargs.get("out") is not None:
            raise RuntimeError(f"vmap: bnp.random.{name}(out=...) inside a function vmapped with "
                               "randomness='different': the examples' draws cannot be written to one plain array")
        size = lead + (() if size is None else (operator.index(size),) if np.ndim(size) == 0 else tuple(size))
        if len(args) > pos:
            args[pos] = size
        else:
            kwargs["size"] = size
        out = fn(*args, **kwargs)
    return from_physical(np.asarray(out), different)


def _replace(args, kwargs):
    if len(args) > 2:
        return bool(args[2])
    return bool(kwargs.get("replace", True))


def draw_shape(fn, shape, name, per_call=False):
    """``fn(shape)`` (a draw of one example's ``shape``) as seen from one example of the running
    vmaps: ``fn`` called with the batch sizes of the levels with ``randomness="different"`` in front
    of ``shape`` and the result batched (``per_call``: ``fn(shape)`` once per example, stacked, for
    draws such as a permutation); an error at a level with ``"error"``. For draw functions that
    take a shape (``backchain.torch``'s ``randn``, ``rand``, ``randint``, ``randperm``...)."""
    if _primitive._batch_hook is None:
        return fn(shape)
    levels = _running()
    if not levels:
        return fn(shape)
    different = _different(levels, name)
    if not different:
        return fn(shape)
    from .batched import from_physical

    lead = tuple(level.size for level in different)
    if per_call:
        outs = [np.asarray(fn(shape)) for _ in range(int(np.prod(lead)))]
        return from_physical(np.stack(outs).reshape(lead + outs[0].shape), different)
    return from_physical(np.asarray(fn(lead + tuple(shape))), different)
