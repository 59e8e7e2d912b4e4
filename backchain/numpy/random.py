"""``backchain.numpy.random``: NumPy's random module, passed through (random
numbers are constants to differentiation). Its functions are NumPy's own, with
NumPy's documentation.

>>> import numpy as np, backchain as bc, backchain.numpy as bnp
>>> bnp.random.default_rng is np.random.default_rng
True
>>> noise = bnp.random.default_rng(0).normal(size=3)
>>> bc.grad(lambda x: bnp.sum(x * noise))(np.zeros(3)).tolist() == noise.tolist()
True
"""
from numpy.random import *  # noqa: F401,F403
from numpy.random import Generator, default_rng, SeedSequence  # noqa: F401
from numpy.random import bit_generator, get_bit_generator, mtrand, set_bit_generator, test  # noqa: F401
