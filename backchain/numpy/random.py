"""``backchain.numpy.random``: NumPy's random module, passed through (random
numbers are constants to differentiation)."""
from numpy.random import *  # noqa: F401,F403
from numpy.random import Generator, default_rng, SeedSequence  # noqa: F401
