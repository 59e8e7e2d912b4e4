"""``backchain.autograd.numpy.random``: NumPy's random module (random numbers are constants)."""
from numpy.random import *  # noqa: F401,F403
from numpy.random import Generator, SeedSequence, default_rng  # noqa: F401
