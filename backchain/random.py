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
import numpy as np

__all__ = ["manual_seed", "default_generator", "get_rng_state", "set_rng_state", "Generator", "initial_seed"]

Generator = np.random.Generator

_DEFAULT_SEED = 67280421310721  # PyTorch's default seed, so a fresh process is reproducible
_state = {"seed": _DEFAULT_SEED, "gen": None}


def manual_seed(seed):
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


def initial_seed():
    """The seed the default generator was last seeded with."""
    return _state["seed"]


def default_generator():
    """backchain's default ``numpy.random.Generator`` (created on first use)."""
    gen = _state["gen"]
    if gen is None:
        gen = _state["gen"] = np.random.default_rng(_state["seed"])
    return gen


def get_rng_state():
    """The default generator's state as a dict of plain Python values (JSON-serialisable)."""
    return default_generator().bit_generator.state


def set_rng_state(state):
    """Restore a state returned by :func:`get_rng_state`."""
    default_generator().bit_generator.state = state


def _gen(generator):
    """The generator to draw from: the one given, else the default."""
    if generator is None:
        return default_generator()
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"generator: expected a numpy.random.Generator or None, got {type(generator).__name__}")
    return generator
