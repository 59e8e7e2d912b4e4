"""Random number generation for layers: explicit NumPy generators, seeded in one place.

Layers that draw random numbers (initialisation, ``Dropout``) accept a
``generator=`` argument (a ``numpy.random.Generator``); without one they draw
from backchain's default generator, which :func:`manual_seed` reseeds. Nothing
else in backchain keeps random state. Like PyTorch's, the default generator
starts from a fixed seed, so a fresh process is reproducible.

>>> import backchain as bc
>>> g = bc.manual_seed(0)
>>> a = bc.random.default_generator().standard_normal()
>>> _ = bc.manual_seed(0)
>>> a == bc.random.default_generator().standard_normal()
True
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["manual_seed", "default_generator", "get_rng_state", "set_rng_state", "Generator", "initial_seed"]

Generator = np.random.Generator

_DEFAULT_SEED = 67280421310721  # PyTorch's default seed, so a fresh process is reproducible
_state = {"seed": _DEFAULT_SEED, "gen": None}


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed backchain's default generator and return it.

    Parameters
    ----------
    seed : int
        A non-negative integer.

    Returns
    -------
    numpy.random.Generator
        The new default generator.

    >>> import backchain as bc
    >>> isinstance(bc.manual_seed(42), bc.random.Generator)
    True
    """
    seed = int(seed)
    if seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative integer, got {seed}")
    _state["seed"] = seed
    _state["gen"] = np.random.default_rng(seed)
    return _state["gen"]


def initial_seed() -> int:
    """The seed the default generator was last seeded with (by :func:`manual_seed`, or the fixed default).

    Returns
    -------
    int

    Examples
    --------
    >>> import backchain as bc
    >>> _ = bc.manual_seed(7)
    >>> bc.random.initial_seed()
    7
    """
    return _state["seed"]


def default_generator() -> np.random.Generator:
    """backchain's default ``numpy.random.Generator`` (created on first use).

    Layers and ``nn.init`` draw from it when no ``generator=`` is given;
    :func:`manual_seed` replaces it with a freshly seeded one.

    Returns
    -------
    numpy.random.Generator

    Examples
    --------
    >>> import backchain as bc
    >>> g = bc.manual_seed(0)
    >>> bc.random.default_generator() is g
    True
    >>> bc.random.default_generator().integers(10, size=3).tolist()
    [8, 6, 5]
    """
    gen = _state["gen"]
    if gen is None:
        gen = _state["gen"] = np.random.default_rng(_state["seed"])
    return gen


def get_rng_state() -> dict[str, Any]:
    """The default generator's state as a dict of plain Python values (JSON-serialisable).

    Save it with a checkpoint and give it to :func:`set_rng_state` to continue
    the same random stream.

    Returns
    -------
    dict
        The ``bit_generator.state`` of the default generator (a copy).

    Examples
    --------
    >>> import json, backchain as bc
    >>> state = bc.random.get_rng_state()
    >>> sorted(state), state["bit_generator"]
    (['bit_generator', 'has_uint32', 'state', 'uinteger'], 'PCG64')
    >>> bc.random.get_rng_state() == json.loads(json.dumps(state))
    True
    """
    return default_generator().bit_generator.state


def set_rng_state(state: Mapping[str, Any]) -> None:
    """Restore the default generator to a state returned by :func:`get_rng_state`.

    Parameters
    ----------
    state : dict
        What :func:`get_rng_state` returned (possibly after a JSON round trip).

    Examples
    --------
    >>> import backchain as bc
    >>> state = bc.random.get_rng_state()
    >>> first = bc.random.default_generator().standard_normal(3)
    >>> bc.random.set_rng_state(state)
    >>> bool((bc.random.default_generator().standard_normal(3) == first).all())
    True
    """
    default_generator().bit_generator.state = state


def _gen(generator):
    """The generator to draw from: the one given, else the default."""
    if generator is None:
        return default_generator()
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"generator: expected a numpy.random.Generator or None, got {type(generator).__name__}")
    return generator
