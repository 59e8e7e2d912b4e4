"""``backchain.numpy.random``: NumPy's random module (random numbers are constants to
differentiation). Its functions are NumPy's own, with NumPy's documentation; inside ``bc.vmap``
its draws follow the vmap's ``randomness=`` (one draw per example with ``"different"``, one shared
by the batch with ``"same"``, an error with ``"error"``), which NumPy's own ``np.random`` cannot.

>>> import numpy as np, backchain as bc, backchain.numpy as bnp
>>> isinstance(bnp.random.default_rng(0), np.random.Generator)
True
>>> noise = bnp.random.default_rng(0).normal(size=3)
>>> bc.grad(lambda x: bnp.sum(x * noise))(np.zeros(3)).tolist() == noise.tolist()
True
"""
import functools as _functools

import numpy as _np
from numpy.random import *  # noqa: F401,F403
from numpy.random import SeedSequence  # noqa: F401
from numpy.random import bit_generator, get_bit_generator, mtrand, set_bit_generator, test  # noqa: F401

from .._core import primitive as _primitive
from .._vmap.random import LOOPED as _LOOPED, SIZE_AT as _SIZE_AT, draw as _draw


_VMAP_NOTE = """
Inside ``bc.vmap`` (``backchain.numpy.random``): one draw per example with ``randomness="different"``,
one shared by the batch with ``"same"``, an error with ``"error"``.

>>> import numpy as np, backchain as bc, backchain.numpy as bnp
>>> rows = bc.vmap(lambda x: x + bnp.random.{call})(np.zeros((3,) + np.shape(bnp.random.{call})))
>>> rows.shape[0], bool((rows[0] != rows[1]).any())
(3, True)
"""
_CALLS = {"beta": "beta(2.0, 3.0, size=4)", "random": "random(4)", "ranf": "ranf(4)", "sample": "sample(4)"}


def _module_draw(name):
    fn = getattr(_np.random, name)

    @_functools.wraps(fn)
    def drawn(*args, **kwargs):
        return _draw(fn, name, args, kwargs)

    if name in _CALLS:  # NumPy's docstring has no example: one of vmap's
        drawn.__doc__ = (fn.__doc__ or "") + _VMAP_NOTE.format(call=_CALLS[name])
    return drawn


def _method_draw(cls, name):
    fn = getattr(cls, name)

    @_functools.wraps(fn)
    def drawn(self, *args, **kwargs):
        if _primitive._batch_hook is None:  # no vmap running: NumPy's draw
            return fn(self, *args, **kwargs)
        return _draw(_functools.partial(fn, self), name, args, kwargs)

    return drawn


class Generator(_np.random.Generator):
    """NumPy's ``Generator`` (what :func:`default_rng` returns), whose draws inside ``bc.vmap`` follow
    its ``randomness=``; outside vmap, NumPy's draws, number for number.

    >>> import numpy as np, backchain as bc, backchain.numpy as bnp
    >>> g = bnp.random.default_rng(0)
    >>> bool((g.normal(size=3) == np.random.default_rng(0).normal(size=3)).all())
    True
    >>> bc.vmap(lambda x: x + g.normal(size=2))(np.zeros((4, 2))).shape  # a draw per example
    (4, 2)
    """


class RandomState(_np.random.RandomState):
    """NumPy's legacy ``RandomState``, whose draws inside ``bc.vmap`` follow its ``randomness=``.

    >>> import numpy as np, backchain as bc, backchain.numpy as bnp
    >>> rs = bnp.random.RandomState(0)
    >>> same = bc.vmap(lambda x: x + rs.uniform(size=2), randomness="same")(np.zeros((3, 2)))
    >>> bool((same[0] == same[2]).all())
    True
    """


for _name in list(_SIZE_AT) + sorted(_LOOPED):
    for _cls in (Generator, RandomState):
        if hasattr(_cls.__mro__[1], _name):
            setattr(_cls, _name, _method_draw(_cls.__mro__[1], _name))
    if hasattr(_np.random, _name):
        globals()[_name] = _module_draw(_name)


def default_rng(seed=None):
    """NumPy's ``default_rng``, giving a :class:`Generator` whose draws follow ``bc.vmap``'s ``randomness=``."""
    if isinstance(seed, Generator):
        return seed
    if isinstance(seed, _np.random.Generator):  # NumPy's: the same stream, through its bit generator
        return Generator(seed.bit_generator)
    return Generator(seed if isinstance(seed, _np.random.BitGenerator) else _np.random.PCG64(seed))


default_rng.__doc__ = (_np.random.default_rng.__doc__ or "").rstrip() + """

    In ``backchain.numpy.random`` the result is a :class:`Generator`, whose draws inside ``bc.vmap``
    follow its ``randomness=``.
"""
del _name, _cls
