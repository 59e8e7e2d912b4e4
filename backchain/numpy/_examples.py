"""Summaries and examples for the docstrings of ``backchain.numpy``, ``.linalg`` and ``.fft``.

One entry per public function: ``name: (summary, example)``. ``attach`` runs once, when
``backchain.numpy`` is imported, and gives each function a NumPy-style docstring:

* ``summary`` (one line: what the function computes, which NumPy function it matches)
  replaces the generated one-line docstring of a primitive or of a function without a
  derivative; ``None`` keeps the function's own hand-written docstring;
* a primitive declared with a ``kinks`` string gets a Notes section stating its convention;
* ``example`` becomes the Examples section, after the import line ``PREAMBLE``.

Each example shows a forward value and, for a differentiable function, a derivative
that can be checked by hand. The outputs were produced by running the code, and
tests/test_doctests.py runs every example. NumPy's own functions, re-exported unchanged
(``zeros``, ``arange``, ``fft.fftfreq``, ...), keep NumPy's docstring; their entries are
run by the tests and shown in the API reference (docs/api/numpy.md).

Entries follow the order of the rule files; a function whose own docstring already has
an example has no entry here.
"""

PREAMBLE = "import numpy as np, backchain as bc, backchain.numpy as bnp"

NUMPY = {
    # -- constructors (backchain/numpy/_constructors.py) --
    'zeros': ("A new array of zeros (``numpy.zeros``, NumPy's own function): a constant.", """
>>> bnp.zeros((2, 3))
array([[0., 0., 0.],
       [0., 0., 0.]])
>>> bnp.zeros(2, dtype=np.int64)
array([0, 0])
"""),
    'ones': ("A new array of ones (``numpy.ones``, NumPy's own function): a constant.", """
>>> bnp.ones((2, 2))
array([[1., 1.],
       [1., 1.]])
"""),
    'empty': ("A new uninitialised array (``numpy.empty``, NumPy's own function): a constant.", """
>>> bnp.empty((2, 3)).shape
(2, 3)
"""),
    'full': ("A new array filled with ``fill_value`` (``numpy.full``, NumPy's own function): a constant.", """
>>> bnp.full((2, 2), 7.0)
array([[7., 7.],
       [7., 7.]])
"""),
    'eye': ("A 2-D array with ones on diagonal ``k`` (``numpy.eye``, NumPy's own function): a constant.", """
>>> bnp.eye(3, k=1)
array([[0., 1., 0.],
       [0., 0., 1.],
       [0., 0., 0.]])
"""),
    'identity': ("The identity matrix (``numpy.identity``, NumPy's own function): a constant.", """
>>> bnp.identity(2)
array([[1., 0.],
       [0., 1.]])
"""),
    'arange': ("Evenly spaced values in ``[start, stop)`` with a step (``numpy.arange``, NumPy's own function): a constant.", """
>>> bnp.arange(5)
array([0, 1, 2, 3, 4])
>>> bnp.arange(0.0, 1.0, 0.25)
array([0.  , 0.25, 0.5 , 0.75])
"""),
    'linspace': ("``num`` evenly spaced values over ``[start, stop]`` (``numpy.linspace``, NumPy's own function): a constant.", """
>>> bnp.linspace(0.0, 1.0, 5)
array([0.  , 0.25, 0.5 , 0.75, 1.  ])
"""),
    'zeros_like': ('A constant array of zeros with the shape and dtype of ``a`` (``numpy.zeros_like``); accepts Tensors, records nothing.', """
>>> x = bc.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> bnp.zeros_like(x)
array([0., 0., 0.])
"""),
    'ones_like': ('A constant array of ones with the shape and dtype of ``a`` (``numpy.ones_like``); accepts Tensors, records nothing.', """
>>> x = bc.tensor([[1.0, 2.0]], requires_grad=True)
>>> bnp.ones_like(x)
array([[1., 1.]])
"""),
    'empty_like': ('An uninitialised constant array with the shape and dtype of ``a`` (``numpy.empty_like``); accepts Tensors, records nothing.', """
>>> x = bc.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
>>> bnp.empty_like(x).shape
(1, 3)
"""),
    'full_like': ('A constant array filled with ``fill_value``, shaped like ``a`` (``numpy.full_like``); accepts Tensors, records nothing.', """
>>> x = bc.tensor([1.0, 2.0], requires_grad=True)
>>> bnp.full_like(x, 0.5)
array([0.5, 0.5])
"""),
    'array': (None, """
>>> x = bc.tensor(2.0, requires_grad=True)
>>> bnp.array([[1.0, x], [x * x, 3.0]])
tensor([[1., 2.],
        [4., 3.]], grad_fn=<stack>)
>>> float(bc.grad(lambda x: bnp.array([x, 2 * x, x * x]).sum())(3.0))  # 1 + 2 + 2x
9.0
>>> bnp.array([1, 2, 3])
array([1, 2, 3])
"""),
    'asarray': (None, """
>>> bnp.asarray([1.0, 2.0])
array([1., 2.])
>>> x = bc.tensor([1.0, 2.0], requires_grad=True)
>>> bnp.asarray(x) is x
True
"""),
    'indices': ("The index grid of a shape (``numpy.indices``, NumPy's own function): a constant.", """
>>> bnp.indices((2, 3)).tolist()
[[[0, 0, 0], [1, 1, 1]], [[0, 1, 2], [0, 1, 2]]]
"""),
    'tri': ("Ones at and below diagonal ``k``, zeros above (``numpy.tri``, NumPy's own function): a constant.", """
>>> bnp.tri(3)
array([[1., 0., 0.],
       [1., 1., 0.],
       [1., 1., 1.]])
"""),
    # -- elementwise (backchain/_rules/elementwise.py) --
    'add': ("Elementwise sum ``x1 + x2`` with broadcasting (``numpy.add``); each input's derivative is 1.", """
>>> bnp.add(np.array([1.0, 2.0]), 10.0)
array([11., 12.])
>>> bc.grad(lambda x: bnp.add(x, np.ones((3, 2))).sum())(np.array([1.0, 2.0]))  # broadcast over 3 rows
array([3., 3.])
"""),
    'subtract': ('Elementwise difference ``x1 - x2`` with broadcasting (``numpy.subtract``); derivatives 1 and -1.', """
>>> bnp.subtract(np.array([5.0, 3.0]), np.array([1.0, 4.0]))
array([ 4., -1.])
>>> bc.grad(lambda x, y: bnp.subtract(x, y).sum(), argnums=(0, 1))(np.array([5.0, 3.0]), np.array([1.0, 4.0]))
(array([1., 1.]), array([-1., -1.]))
"""),
    'multiply': ('Elementwise product ``x1 * x2`` with broadcasting (``numpy.multiply``); d/dx1 = x2, d/dx2 = x1.', """
>>> x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
>>> bnp.multiply(x, y)
array([3., 8.])
>>> bc.grad(lambda x: bnp.multiply(x, y).sum())(x)  # y
array([3., 4.])
"""),
    'divide': ('Elementwise quotient ``x1 / x2`` (``numpy.divide``, also ``true_divide``); d/dx1 = 1/x2, d/dx2 = -x1/x2**2.', """
>>> x, y = np.array([1.0, 6.0]), np.array([2.0, 3.0])
>>> bnp.divide(x, y)
array([0.5, 2. ])
>>> bc.grad(lambda y: bnp.divide(x, y).sum())(y)  # -x / y**2
array([-0.25      , -0.66666667])
"""),
    'negative': ('Elementwise ``-x`` (``numpy.negative``); derivative -1.', """
>>> bnp.negative(np.array([1.0, -2.0]))
array([-1.,  2.])
>>> bc.grad(lambda x: bnp.negative(x).sum())(np.array([1.0, -2.0]))
array([-1., -1.])
"""),
    'positive': ('Elementwise ``+x``, a copy (``numpy.positive``); derivative 1.', """
>>> bnp.positive(np.array([1.0, -2.0]))
array([ 1., -2.])
>>> bc.grad(lambda x: bnp.positive(x).sum())(np.array([1.0, -2.0]))
array([1., 1.])
"""),
    'power': (None, """
>>> bnp.power(np.array([2.0, 3.0]), 2)
array([4., 9.])
>>> bc.grad(lambda x, y: bnp.power(x, y).sum(), argnums=(0, 1))(np.array([2.0]), np.array([3.0]))  # y x**(y-1), x**y log(x)
(array([12.]), array([5.54517744]))
"""),
    'float_power': ('Elementwise ``x1 ** x2`` computed in float64 or complex (``numpy.float_power``); derivatives as for ``power``.', """
>>> bnp.float_power(np.array([2, 3]), 2)
array([4., 9.])
>>> bc.grad(lambda x: bnp.float_power(x, 3.0).sum())(np.array([1.0, 2.0]))  # 3 x**2
array([ 3., 12.])
"""),
    'square': ('Elementwise ``x ** 2`` (``numpy.square``); derivative 2x.', """
>>> bnp.square(np.array([1.0, -3.0]))
array([1., 9.])
>>> bc.grad(lambda x: bnp.square(x).sum())(np.array([1.0, -3.0]))
array([ 2., -6.])
"""),
    'reciprocal': ('Elementwise ``1 / x`` (``numpy.reciprocal``); derivative -1/x**2.', """
>>> bnp.reciprocal(np.array([2.0, 4.0]))
array([0.5 , 0.25])
>>> bc.grad(lambda x: bnp.reciprocal(x).sum())(np.array([2.0, 4.0]))
array([-0.25  , -0.0625])
"""),
    'sqrt': ('Elementwise non-negative square root (``numpy.sqrt``); derivative 1 / (2 sqrt(x)).', """
>>> bnp.sqrt(np.array([4.0, 9.0]))
array([2., 3.])
>>> bc.grad(lambda x: bnp.sqrt(x).sum())(np.array([4.0, 9.0]))
array([0.25      , 0.16666667])
"""),
    'cbrt': ('Elementwise cube root, real for negative inputs (``numpy.cbrt``); derivative 1 / (3 cbrt(x)**2).', """
>>> bnp.cbrt(np.array([8.0, -27.0]))
array([ 2., -3.])
>>> bc.grad(lambda x: bnp.cbrt(x).sum())(np.array([8.0, -27.0]))  # 1/12, 1/27
array([0.08333333, 0.03703704])
"""),
    'exp': ('Elementwise exponential ``e**x`` (``numpy.exp``); its derivative is itself.', """
>>> x = np.array([0.0, 1.0])
>>> bnp.exp(x)
array([1.        , 2.71828183])
>>> bc.grad(lambda x: bnp.exp(x).sum())(x)  # exp(x)
array([1.        , 2.71828183])
"""),
    'exp2': ('Elementwise ``2**x`` (``numpy.exp2``); derivative log(2) 2**x.', """
>>> bnp.exp2(np.array([0.0, 3.0]))
array([1., 8.])
>>> bc.grad(lambda x: bnp.exp2(x).sum())(np.array([0.0, 3.0]))  # log(2) * [1, 8]
array([0.69314718, 5.54517744])
"""),
    'expm1': ('Elementwise ``exp(x) - 1``, accurate for small x (``numpy.expm1``); derivative exp(x).', """
>>> bnp.expm1(np.array([0.0, 1e-10]))
array([0.e+00, 1.e-10])
>>> bc.grad(lambda x: bnp.expm1(x).sum())(np.array([0.0, 1.0]))
array([1.        , 2.71828183])
"""),
    'log': ('Elementwise natural logarithm (``numpy.log``); derivative 1/x.', """
>>> bnp.log(np.array([1.0, np.e]))
array([0., 1.])
>>> bc.grad(lambda x: bnp.log(x).sum())(np.array([1.0, 4.0]))
array([1.  , 0.25])
"""),
    'log2': ('Elementwise base-2 logarithm (``numpy.log2``); derivative 1 / (x log 2).', """
>>> bnp.log2(np.array([1.0, 8.0]))
array([0., 3.])
>>> bc.grad(lambda x: bnp.log2(x).sum())(np.array([1.0, 2.0]))
array([1.44269504, 0.72134752])
"""),
    'log10': ('Elementwise base-10 logarithm (``numpy.log10``); derivative 1 / (x log 10).', """
>>> bnp.log10(np.array([1.0, 100.0]))
array([0., 2.])
>>> bc.grad(lambda x: bnp.log10(x).sum())(np.array([1.0, 10.0]))
array([0.43429448, 0.04342945])
"""),
    'log1p': ('Elementwise ``log(1 + x)``, accurate for small x (``numpy.log1p``); derivative 1 / (1 + x).', """
>>> bnp.log1p(np.array([0.0, 1e-10]))
array([0.e+00, 1.e-10])
>>> bc.grad(lambda x: bnp.log1p(x).sum())(np.array([0.0, 1.0]))
array([1. , 0.5])
"""),
    'sin': ('Elementwise sine (``numpy.sin``); derivative cos(x).', """
>>> x = np.array([0.0, 1.0])
>>> bnp.sin(x)
array([0.        , 0.84147098])
>>> bc.grad(lambda x: bnp.sin(x).sum())(x)  # cos(x)
array([1.        , 0.54030231])
"""),
    'cos': ('Elementwise cosine (``numpy.cos``); derivative -sin(x).', """
>>> x = np.array([0.0, 1.0])
>>> bnp.cos(x)
array([1.        , 0.54030231])
>>> bc.grad(lambda x: bnp.cos(x).sum())(x)  # -sin(x)
array([-0.        , -0.84147098])
"""),
    'tan': ('Elementwise tangent (``numpy.tan``); derivative 1 + tan(x)**2.', """
>>> x = np.array([0.0, np.pi / 4])
>>> bnp.tan(x)
array([0., 1.])
>>> bc.grad(lambda x: bnp.tan(x).sum())(x)  # 1 + tan(x)**2
array([1., 2.])
"""),
    'arcsin': ('Elementwise inverse sine (``numpy.arcsin``); derivative 1 / sqrt(1 - x**2).', """
>>> bnp.arcsin(np.array([0.0, 1.0]))
array([0.        , 1.57079633])
>>> bc.grad(lambda x: bnp.arcsin(x).sum())(np.array([0.0, 0.6]))  # 1/sqrt(1 - 0.36) = 1.25
array([1.  , 1.25])
"""),
    'arccos': ('Elementwise inverse cosine (``numpy.arccos``); derivative -1 / sqrt(1 - x**2).', """
>>> bnp.arccos(np.array([1.0, 0.0]))
array([0.        , 1.57079633])
>>> bc.grad(lambda x: bnp.arccos(x).sum())(np.array([0.0, 0.6]))
array([-1.  , -1.25])
"""),
    'arctan': ('Elementwise inverse tangent (``numpy.arctan``); derivative 1 / (1 + x**2).', """
>>> bnp.arctan(np.array([0.0, 1.0]))
array([0.        , 0.78539816])
>>> bc.grad(lambda x: bnp.arctan(x).sum())(np.array([0.0, 1.0]))
array([1. , 0.5])
"""),
    'arctan2': ('Elementwise angle of the point ``(x2, x1)``, quadrant-aware (``numpy.arctan2``); d/dx1 = x2/r**2, d/dx2 = -x1/r**2.', """
>>> bnp.arctan2(np.array([1.0, 1.0]), np.array([1.0, -1.0]))
array([0.78539816, 2.35619449])
>>> bc.grad(lambda y, x: bnp.arctan2(y, x).sum(), argnums=(0, 1))(np.array([1.0]), np.array([1.0]))
(array([0.5]), array([-0.5]))
"""),
    'hypot': ('Elementwise ``sqrt(x1**2 + x2**2)`` (``numpy.hypot``); d/dx1 = x1 / hypot, d/dx2 = x2 / hypot.', """
>>> bnp.hypot(np.array([3.0, 5.0]), np.array([4.0, 12.0]))
array([ 5., 13.])
>>> bc.grad(lambda a, b: bnp.hypot(a, b).sum(), argnums=(0, 1))(np.array([3.0]), np.array([4.0]))
(array([0.6]), array([0.8]))
"""),
    'sinh': ('Elementwise hyperbolic sine (``numpy.sinh``); derivative cosh(x).', """
>>> bnp.sinh(np.array([0.0, 1.0]))
array([0.        , 1.17520119])
>>> bc.grad(lambda x: bnp.sinh(x).sum())(np.array([0.0, 1.0]))  # cosh(x)
array([1.        , 1.54308063])
"""),
    'cosh': ('Elementwise hyperbolic cosine (``numpy.cosh``); derivative sinh(x).', """
>>> bnp.cosh(np.array([0.0, 1.0]))
array([1.        , 1.54308063])
>>> bc.grad(lambda x: bnp.cosh(x).sum())(np.array([0.0, 1.0]))  # sinh(x)
array([0.        , 1.17520119])
"""),
    'tanh': ('Elementwise hyperbolic tangent (``numpy.tanh``); derivative 1 - tanh(x)**2.', """
>>> bnp.tanh(np.array([0.0, 1.0]))
array([0.        , 0.76159416])
>>> bc.grad(lambda x: bnp.tanh(x).sum())(np.array([0.0, 1.0]))  # 1 - tanh(x)**2
array([1.        , 0.41997434])
"""),
    'arcsinh': ('Elementwise inverse hyperbolic sine (``numpy.arcsinh``); derivative 1 / sqrt(x**2 + 1).', """
>>> bnp.arcsinh(np.array([0.0, 1.0]))
array([0.        , 0.88137359])
>>> bc.grad(lambda x: bnp.arcsinh(x).sum())(np.array([0.0, 1.0]))
array([1.        , 0.70710678])
"""),
    'arccosh': ('Elementwise inverse hyperbolic cosine, for x >= 1 (``numpy.arccosh``); derivative 1 / sqrt(x**2 - 1).', """
>>> bnp.arccosh(np.array([1.0, 2.0]))
array([0.       , 1.3169579])
>>> bc.grad(lambda x: bnp.arccosh(x).sum())(np.array([2.0]))  # 1/sqrt(3)
array([0.57735027])
"""),
    'arctanh': ('Elementwise inverse hyperbolic tangent (``numpy.arctanh``); derivative 1 / (1 - x**2).', """
>>> bnp.arctanh(np.array([0.0, 0.5]))
array([0.        , 0.54930614])
>>> bc.grad(lambda x: bnp.arctanh(x).sum())(np.array([0.0, 0.5]))
array([1.        , 1.33333333])
"""),
    'sinc': ('Elementwise normalised sinc ``sin(pi x) / (pi x)``, 1 at 0 (``numpy.sinc``); smooth, derivative 0 at 0.', """
>>> bnp.sinc(np.array([0.0, 0.5]))
array([1.        , 0.63661977])
>>> bc.grad(lambda x: bnp.sinc(x).sum())(np.array([0.0, 1.0]))  # (cos(pi x) - sinc(x)) / x: -1 at 1
array([-0., -1.])
"""),
    'deg2rad': ('Degrees to radians, ``x * pi / 180`` (``numpy.deg2rad``, also ``radians``); derivative pi / 180.', """
>>> bnp.deg2rad(np.array([180.0, 90.0]))
array([3.14159265, 1.57079633])
>>> float(bc.grad(bnp.deg2rad)(45.0))
0.017453292519943295
"""),
    'rad2deg': ('Radians to degrees, ``x * 180 / pi`` (``numpy.rad2deg``, also ``degrees``); derivative 180 / pi.', """
>>> bnp.rad2deg(np.array([np.pi, np.pi / 2]))
array([180.,  90.])
>>> float(bc.grad(bnp.rad2deg)(1.0))
57.29577951308232
"""),
    'logaddexp': ('Elementwise ``log(exp(x1) + exp(x2))`` without overflow (``numpy.logaddexp``); the derivatives are the softmax weights.', """
>>> bnp.logaddexp(np.array([0.0, 1000.0]), np.array([0.0, 1000.0]))
array([6.93147181e-01, 1.00069315e+03])
>>> bc.grad(lambda a, b: bnp.logaddexp(a, b).sum(), argnums=(0, 1))(np.array([0.0]), np.array([np.log(3.0)]))  # 1/4, 3/4
(array([0.25]), array([0.75]))
"""),
    'logaddexp2': ('Elementwise ``log2(2**x1 + 2**x2)`` without overflow (``numpy.logaddexp2``); the derivatives are base-2 softmax weights.', """
>>> bnp.logaddexp2(np.array([1.0, 3.0]), np.array([1.0, 1.0]))
array([2.        , 3.32192809])
>>> bc.grad(lambda a, b: bnp.logaddexp2(a, b).sum(), argnums=(0, 1))(np.array([0.0]), np.array([1.0]))  # 1/3, 2/3
(array([0.33333333]), array([0.66666667]))
"""),
    'abs': ('Elementwise absolute value (``numpy.abs``, also ``absolute``); derivative sign(x), 0 at 0 (min-norm subgradient).', """
>>> x = np.array([-2.0, 0.0, 3.0])
>>> bnp.abs(x)
array([2., 0., 3.])
>>> bc.grad(lambda x: bnp.abs(x).sum())(x)
array([-1.,  0.,  1.])
"""),
    'sign': ('Elementwise sign, -1, 0 or 1 (``numpy.sign``); derivative 0 everywhere.', """
>>> bnp.sign(np.array([-2.0, 0.0, 3.0]))
array([-1.,  0.,  1.])
>>> bc.grad(lambda x: bnp.sign(x).sum())(np.array([-2.0, 0.0, 3.0]))
array([0., 0., 0.])
"""),
    'copysign': ('Elementwise magnitude of ``x1`` with the sign of ``x2`` (``numpy.copysign``); d/dx1 = +-1, d/dx2 = 0.', """
>>> bnp.copysign(np.array([1.0, 2.0]), np.array([-1.0, 1.0]))
array([-1.,  2.])
>>> bc.grad(lambda x: bnp.copysign(x, -1.0).sum())(np.array([1.0, -2.0]))
array([-1.,  1.])
"""),
    'heaviside': ('Elementwise step: 0 for x1 < 0, ``x2`` at 0, 1 for x1 > 0 (``numpy.heaviside``); d/dx1 = 0, d/dx2 = 1 where x1 == 0.', """
>>> bnp.heaviside(np.array([-1.0, 0.0, 2.0]), 0.5)
array([0. , 0.5, 1. ])
>>> bc.grad(lambda x: bnp.heaviside(x, 0.5).sum())(np.array([-1.0, 0.0, 2.0]))
array([0., 0., 0.])
"""),
    'maximum': ('Elementwise larger of ``x1`` and ``x2``, propagating NaN (``numpy.maximum``); ties split the gradient 1/2, 1/2 by default.', """
>>> bnp.maximum(np.array([1.0, 5.0, 2.0]), 2.0)
array([2., 5., 2.])
>>> x = bc.tensor([1.0, 5.0, 2.0], requires_grad=True)
>>> bnp.maximum(x, 2.0).sum().backward()
>>> x.grad  # 0.5 at the tie x == 2
array([0. , 1. , 0.5])
"""),
    'minimum': ('Elementwise smaller of ``x1`` and ``x2``, propagating NaN (``numpy.minimum``); ties split the gradient 1/2, 1/2 by default.', """
>>> bnp.minimum(np.array([1.0, 5.0, 2.0]), 2.0)
array([1., 2., 2.])
>>> bc.grad(lambda x: bnp.minimum(x, 2.0).sum())(np.array([1.0, 5.0, 2.0]))
array([1. , 0. , 0.5])
"""),
    'fmax': ('Elementwise larger of ``x1`` and ``x2``, ignoring NaN (``numpy.fmax``); ties follow the ties policy (1/2, 1/2 by default).', """
>>> bnp.fmax(np.array([1.0, np.nan]), np.array([2.0, 3.0]))
array([2., 3.])
>>> bc.grad(lambda x: bnp.fmax(x, np.array([2.0, 3.0, 0.0])).sum())(np.array([1.0, np.nan, 0.0]))
array([0. , 0. , 0.5])
"""),
    'fmin': ('Elementwise smaller of ``x1`` and ``x2``, ignoring NaN (``numpy.fmin``); ties follow the ties policy (1/2, 1/2 by default).', """
>>> bnp.fmin(np.array([1.0, np.nan]), np.array([2.0, 3.0]))
array([1., 3.])
>>> bc.grad(lambda x: bnp.fmin(x, np.array([2.0, 3.0, 0.0])).sum())(np.array([1.0, np.nan, 0.0]))
array([1. , 0. , 0.5])
"""),
    'fmod': ("Elementwise remainder of ``x1 / x2`` with the sign of ``x1`` (C's fmod, ``numpy.fmod``); d/dx1 = 1, d/dx2 = -trunc(x1 / x2).", """
>>> bnp.fmod(np.array([7.0, -7.0]), 3.0)
array([ 1., -1.])
>>> bc.grad(lambda y: bnp.fmod(np.array([7.0, -7.0]), y).sum())(np.array([3.0, 3.0]))  # -trunc(x1 / x2)
array([-2.,  2.])
"""),
    'remainder': ('Elementwise remainder of ``x1 / x2`` with the sign of ``x2`` (``numpy.remainder``, also ``mod``); d/dx1 = 1, d/dx2 = -floor(x1 / x2).', """
>>> bnp.remainder(np.array([7.0, -7.0]), 3.0)
array([1., 2.])
>>> bc.grad(lambda y: bnp.remainder(np.array([7.0, -7.0]), y).sum())(np.array([3.0, 3.0]))  # -floor(x1 / x2)
array([-2.,  3.])
"""),
    'floor': ('Elementwise floor, the largest integer <= x (``numpy.floor``); derivative 0, also at the jumps.', """
>>> bnp.floor(np.array([-1.5, 0.5, 2.0]))
array([-2.,  0.,  2.])
>>> bc.grad(lambda x: bnp.floor(x).sum())(np.array([-1.5, 0.5, 2.0]))
array([0., 0., 0.])
"""),
    'ceil': ('Elementwise ceiling, the smallest integer >= x (``numpy.ceil``); derivative 0, also at the jumps.', """
>>> bnp.ceil(np.array([-1.5, 0.5, 2.0]))
array([-1.,  1.,  2.])
>>> bc.grad(lambda x: bnp.ceil(x).sum())(np.array([-1.5, 0.5, 2.0]))
array([0., 0., 0.])
"""),
    'rint': ('Elementwise round to the nearest integer, halves to even (``numpy.rint``); derivative 0, also at the jumps.', """
>>> bnp.rint(np.array([0.5, 1.5, 2.7]))
array([0., 2., 3.])
>>> bc.grad(lambda x: bnp.rint(x).sum())(np.array([0.5, 1.5, 2.7]))
array([0., 0., 0.])
"""),
    'trunc': ('Elementwise truncation towards zero (``numpy.trunc``); derivative 0, also at the jumps.', """
>>> bnp.trunc(np.array([-1.7, 1.7]))
array([-1.,  1.])
>>> bc.grad(lambda x: bnp.trunc(x).sum())(np.array([-1.7, 1.7]))
array([0., 0.])
"""),
    'fix': ('Elementwise rounding towards zero (``numpy.fix``); derivative 0, also at the jumps.', """
>>> bnp.fix(np.array([-1.7, 1.7]))
array([-1.,  1.])
>>> bc.grad(lambda x: bnp.fix(x).sum())(np.array([-1.7, 1.7]))
array([0., 0.])
"""),
    'round': (None, """
>>> bnp.round(np.array([1.234, 5.678]), 1)
array([1.2, 5.7])
>>> bc.grad(lambda x: bnp.round(x).sum())(np.array([0.5, 1.2]))
array([0., 0.])
"""),
    'nan_to_num': (None, """
>>> bnp.nan_to_num(np.array([1.0, np.nan, np.inf]), posinf=9.0)
array([1., 0., 9.])
>>> bc.grad(lambda x: bnp.nan_to_num(x).sum())(np.array([1.0, np.nan, np.inf]))
array([1., 0., 0.])
"""),
    'real': ('Real part of a complex array, the array itself for real input (``numpy.real``); linear.', """
>>> bnp.real(np.array([1 + 2j, 3 - 1j]))
array([1., 3.])
>>> complex(bc.grad(lambda z: bnp.real(z * z))(1.0 + 1.0j))  # Re(z**2) = x**2 - y**2: d/dx - i d/dy = 2x + 2iy = 2z
(2+2j)
"""),
    'imag': ('Imaginary part of a complex array, zeros for real input (``numpy.imag``); linear.', """
>>> bnp.imag(np.array([1 + 2j, 3 - 1j]))
array([ 2., -1.])
>>> complex(bc.grad(lambda z: bnp.imag(z * z))(1.0 + 2.0j))  # Im(z**2) = 2xy: d/dx - i d/dy = 2y - 2ix
(4-2j)
"""),
    'conjugate': ('Elementwise complex conjugate (``numpy.conjugate``, also ``conj``); linear, the identity on real input.', """
>>> bnp.conjugate(np.array([1 + 2j, 3.0]))
array([1.-2.j, 3.-0.j])
>>> bc.grad(lambda x: bnp.conj(x).sum())(np.array([1.0, 2.0]))
array([1., 1.])
"""),
    'angle': (None, """
>>> bnp.angle(np.array([1j, -1.0]))
array([1.57079633, 3.14159265])
>>> complex(bc.grad(lambda z: bnp.angle(z))(1.0 + 1.0j))  # angle = atan2(y, x): d/dx - i d/dy = (-y - i x) / r**2
(-0.5-0.5j)
"""),
    # -- reductions (backchain/_rules/reductions.py) --
    'mean': (None, """
>>> x = np.array([[1.0, 2.0], [3.0, 4.0]])
>>> bnp.mean(x, axis=0)
array([2., 3.])
>>> bc.grad(bnp.mean)(x)  # 1/n for every element
array([[0.25, 0.25],
       [0.25, 0.25]])
"""),
    'amax': (None, """
>>> bnp.amax(np.array([[1.0, 4.0], [3.0, 2.0]]), axis=1)
array([4., 3.])
>>> bc.grad(bnp.amax)(np.array([1.0, 3.0, 3.0]))  # ties share
array([0. , 0.5, 0.5])
"""),
    'min': (None, """
>>> bnp.min(np.array([[1.0, 4.0], [3.0, 2.0]]), axis=0)
array([1., 2.])
>>> bc.grad(bnp.min)(np.array([2.0, 1.0, 1.0, 5.0]))  # ties share
array([0. , 0.5, 0.5, 0. ])
"""),
    'amin': (None, """
>>> float(bnp.amin(np.array([3.0, 1.0, 2.0])))
1.0
>>> bc.grad(bnp.amin)(np.array([3.0, 1.0, 2.0]))
array([0., 1., 0.])
"""),
    'ptp': (None, """
>>> float(bnp.ptp(np.array([3.0, 1.0, 7.0])))
6.0
>>> bc.grad(bnp.ptp)(np.array([3.0, 1.0, 7.0]))  # +1 at the max, -1 at the min
array([ 0., -1.,  1.])
"""),
    'var': (None, """
>>> x = np.array([1.0, 2.0, 3.0, 6.0])
>>> float(bnp.var(x))
3.5
>>> bc.grad(bnp.var)(x)  # 2 (x - mean) / n
array([-1. , -0.5,  0. ,  1.5])
"""),
    'average': (None, """
>>> x, w = np.array([1.0, 2.0, 4.0]), np.array([1.0, 1.0, 2.0])
>>> float(bnp.average(x, weights=w))
2.75
>>> bc.grad(lambda x: bnp.average(x, weights=w))(x)  # w / sum(w)
array([0.25, 0.25, 0.5 ])
"""),
    'cumsum': (None, """
>>> bnp.cumsum(np.array([1.0, 2.0, 3.0]))
array([1., 3., 6.])
>>> bc.grad(lambda x: bnp.cumsum(x).sum())(np.array([1.0, 2.0, 3.0]))  # element i appears in n - i sums
array([3., 2., 1.])
"""),
    'cumprod': (None, """
>>> bnp.cumprod(np.array([1.0, 2.0, 3.0]))
array([1., 2., 6.])
>>> bc.grad(lambda x: bnp.cumprod(x)[-1])(np.array([2.0, 0.0, 3.0]))  # d prod / dx_i, exact at the zero
array([0., 6., 0.])
"""),
    'nansum': (None, """
>>> x = np.array([1.0, np.nan, 3.0])
>>> float(bnp.nansum(x))
4.0
>>> bc.grad(bnp.nansum)(x)
array([1., 0., 1.])
"""),
    'nanmean': (None, """
>>> x = np.array([1.0, np.nan, 3.0])
>>> float(bnp.nanmean(x))
2.0
>>> bc.grad(bnp.nanmean)(x)
array([0.5, 0. , 0.5])
"""),
    'nanprod': (None, """
>>> x = np.array([2.0, np.nan, 3.0])
>>> float(bnp.nanprod(x))
6.0
>>> bc.grad(bnp.nanprod)(x)
array([3., 0., 2.])
"""),
    'nanmax': (None, """
>>> x = np.array([1.0, np.nan, 3.0, 3.0])
>>> float(bnp.nanmax(x))
3.0
>>> bc.grad(bnp.nanmax)(x)
array([0. , 0. , 0.5, 0.5])
"""),
    'nanmin': (None, """
>>> x = np.array([1.0, np.nan, 3.0])
>>> float(bnp.nanmin(x))
1.0
>>> bc.grad(bnp.nanmin)(x)
array([1., 0., 0.])
"""),
    'nanvar': (None, """
>>> x = np.array([1.0, np.nan, 3.0])
>>> float(bnp.nanvar(x))
1.0
>>> bc.grad(bnp.nanvar)(x)  # 2 (x - mean) / n over the kept elements
array([-1.,  0.,  1.])
"""),
    'nanstd': (None, """
>>> x = np.array([1.0, np.nan, 3.0])
>>> float(bnp.nanstd(x))
1.0
>>> bc.grad(bnp.nanstd)(x)
array([-0.5,  0. ,  0.5])
"""),
    'nancumsum': (None, """
>>> bnp.nancumsum(np.array([1.0, np.nan, 3.0]))
array([1., 1., 4.])
>>> bc.grad(lambda x: bnp.nancumsum(x).sum())(np.array([1.0, np.nan, 3.0]))
array([3., 0., 1.])
"""),
    'nancumprod': (None, """
>>> bnp.nancumprod(np.array([2.0, np.nan, 3.0]))
array([2., 2., 6.])
>>> bc.grad(lambda x: bnp.nancumprod(x)[-1])(np.array([2.0, np.nan, 3.0]))
array([3., 0., 2.])
"""),
    # -- shape (backchain/_rules/shape.py) --
    'reshape': (None, """
>>> bnp.reshape(np.arange(6.0), (2, 3))
array([[0., 1., 2.],
       [3., 4., 5.]])
>>> bc.grad(lambda x: (bnp.reshape(x, (2, 2)) * np.array([[1.0, 2.0], [3.0, 4.0]])).sum())(np.zeros(4))
array([1., 2., 3., 4.])
"""),
    'transpose': (None, """
>>> bnp.transpose(np.array([[1.0, 2.0, 3.0]]))
array([[1.],
       [2.],
       [3.]])
>>> bc.grad(lambda x: (bnp.transpose(x) * np.array([[1.0], [2.0]])).sum())(np.zeros((1, 2)))
array([[1., 2.]])
"""),
    'broadcast_to': ('Broadcast an array to a shape (``numpy.broadcast_to``); the VJP sums the cotangent over the broadcast axes.', """
>>> bnp.broadcast_to(np.array([1.0, 2.0]), (2, 2))
array([[1., 2.],
       [1., 2.]])
>>> bc.grad(lambda x: bnp.broadcast_to(x, (3, 2)).sum())(np.array([1.0, 2.0]))  # each element used 3 times
array([3., 3.])
"""),
    'broadcast_arrays': (None, """
>>> a, b = bnp.broadcast_arrays(np.array([1.0, 2.0]), np.array([[10.0], [20.0]]))
>>> a
array([[1., 2.],
       [1., 2.]])
>>> bc.grad(lambda x: (bnp.broadcast_arrays(x, np.ones((3, 1)))[0]).sum())(np.array([1.0, 2.0]))
array([3., 3.])
"""),
    'astype': (None, """
>>> bnp.astype(np.array([1.5, 2.5]), np.float32)
array([1.5, 2.5], dtype=float32)
>>> x = bc.tensor([1.5, 2.5], requires_grad=True)
>>> bnp.astype(x, np.float32).sum().backward()
>>> x.grad, x.grad.dtype
(array([1., 1.]), dtype('float64'))
"""),
    'expand_dims': (None, """
>>> bnp.expand_dims(np.array([1.0, 2.0]), 0).shape
(1, 2)
>>> bc.grad(lambda x: bnp.expand_dims(x, 1).sum())(np.array([1.0, 2.0]))
array([1., 1.])
"""),
    'swapaxes': (None, """
>>> bnp.swapaxes(np.zeros((2, 3, 4)), 0, 2).shape
(4, 3, 2)
>>> bc.grad(lambda x: (bnp.swapaxes(x, 0, 1) * np.array([[1.0, 2.0]])).sum())(np.zeros((2, 1)))
array([[1.],
       [2.]])
"""),
    'ravel': (None, """
>>> bnp.ravel(np.array([[1.0, 2.0], [3.0, 4.0]]))
array([1., 2., 3., 4.])
>>> bc.grad(lambda x: (bnp.ravel(x) * np.arange(4.0)).sum())(np.zeros((2, 2)))
array([[0., 1.],
       [2., 3.]])
"""),
    'moveaxis': (None, """
>>> bnp.moveaxis(np.zeros((2, 3, 4)), 0, -1).shape
(3, 4, 2)
>>> bc.grad(lambda x: (bnp.moveaxis(x, 0, 1) * np.array([[1.0, 2.0]])).sum())(np.zeros((2, 1)))
array([[1.],
       [2.]])
"""),
    'squeeze': (None, """
>>> bnp.squeeze(np.zeros((1, 3, 1))).shape
(3,)
>>> bc.grad(lambda x: (bnp.squeeze(x) * np.array([1.0, 2.0])).sum())(np.zeros((1, 2)))
array([[1., 2.]])
"""),
    'atleast_1d': (None, """
>>> bnp.atleast_1d(5.0)
array([5.])
>>> float(bc.grad(lambda x: bnp.atleast_1d(x).sum())(5.0))
1.0
"""),
    'atleast_2d': (None, """
>>> bnp.atleast_2d(np.array([1.0, 2.0]))
array([[1., 2.]])
>>> bc.grad(lambda x: bnp.atleast_2d(x).sum())(np.array([1.0, 2.0]))
array([1., 1.])
"""),
    'atleast_3d': (None, """
>>> bnp.atleast_3d(np.array([1.0, 2.0])).shape
(1, 2, 1)
>>> bc.grad(lambda x: bnp.atleast_3d(x).sum())(np.array([1.0, 2.0]))
array([1., 1.])
"""),
    'copy': (None, """
>>> bnp.copy(np.array([1.0, 2.0]))
array([1., 2.])
>>> bc.grad(lambda x: (bnp.copy(x) * 3.0).sum())(np.array([1.0, 2.0]))
array([3., 3.])
"""),
    'concatenate': (None, """
>>> bnp.concatenate([np.array([1.0, 2.0]), np.array([3.0])])
array([1., 2., 3.])
>>> bc.grad(lambda x: (bnp.concatenate([x, x]) * np.arange(4.0)).sum())(np.zeros(2))  # [0 + 2, 1 + 3]
array([2., 4.])
"""),
    'stack': (None, """
>>> bnp.stack([np.array([1.0, 2.0]), np.array([3.0, 4.0])], axis=1)
array([[1., 3.],
       [2., 4.]])
>>> bc.grad(lambda x: (bnp.stack([x, 2 * x]) ** 2).sum())(np.array([1.0, 2.0]))  # 2x + 8x
array([10., 20.])
"""),
    'hstack': (None, """
>>> bnp.hstack([np.array([1.0, 2.0]), np.array([3.0])])
array([1., 2., 3.])
>>> bc.grad(lambda x: (bnp.hstack([x, x]) * np.arange(4.0)).sum())(np.zeros(2))
array([2., 4.])
"""),
    'vstack': (None, """
>>> bnp.vstack([np.array([1.0, 2.0]), np.array([3.0, 4.0])])
array([[1., 2.],
       [3., 4.]])
>>> bc.grad(lambda x: (bnp.vstack([x, x]) * np.array([[1.0], [2.0]])).sum())(np.zeros(2))
array([3., 3.])
"""),
    'dstack': (None, """
>>> bnp.dstack([np.array([1.0, 2.0]), np.array([3.0, 4.0])]).shape
(1, 2, 2)
>>> bc.grad(lambda x: bnp.dstack([x, x]).sum())(np.zeros(2))
array([2., 2.])
"""),
    'column_stack': (None, """
>>> bnp.column_stack([np.array([1.0, 2.0]), np.array([3.0, 4.0])])
array([[1., 3.],
       [2., 4.]])
>>> bc.grad(lambda x: (bnp.column_stack([x, x]) * np.array([1.0, 2.0])).sum())(np.zeros(2))
array([3., 3.])
"""),
    'append': (None, """
>>> bnp.append(np.array([1.0, 2.0]), np.array([3.0]))
array([1., 2., 3.])
>>> bc.grad(lambda v: (bnp.append(np.array([1.0, 2.0]), v) * np.arange(3.0)).sum())(np.array([3.0]))
array([2.])
"""),
    'split': (None, """
>>> bnp.split(np.arange(4.0), 2)
[array([0., 1.]), array([2., 3.])]
>>> bc.grad(lambda x: (bnp.split(x, 2)[1] ** 2).sum())(np.array([1.0, 2.0, 3.0, 4.0]))
array([0., 0., 6., 8.])
"""),
    'array_split': (None, """
>>> bnp.array_split(np.arange(5.0), 2)
[array([0., 1., 2.]), array([3., 4.])]
>>> bc.grad(lambda x: bnp.array_split(x, 2)[0].sum())(np.arange(5.0))
array([1., 1., 1., 0., 0.])
"""),
    'hsplit': (None, """
>>> bnp.hsplit(np.array([[1.0, 2.0], [3.0, 4.0]]), 2)[0]
array([[1.],
       [3.]])
>>> bc.grad(lambda x: bnp.hsplit(x, 2)[1].sum())(np.zeros((2, 2)))
array([[0., 1.],
       [0., 1.]])
"""),
    'vsplit': (None, """
>>> bnp.vsplit(np.array([[1.0, 2.0], [3.0, 4.0]]), 2)[1]
array([[3., 4.]])
>>> bc.grad(lambda x: bnp.vsplit(x, 2)[0].sum())(np.zeros((2, 2)))
array([[1., 1.],
       [0., 0.]])
"""),
    'dsplit': (None, """
>>> [p.shape for p in bnp.dsplit(np.zeros((1, 2, 4)), 2)]
[(1, 2, 2), (1, 2, 2)]
>>> bc.grad(lambda x: bnp.dsplit(x, 2)[0].sum())(np.zeros((1, 1, 2)))
array([[[1., 0.]]])
"""),
    'unstack': (None, """
>>> bnp.unstack(np.array([[1.0, 2.0], [3.0, 4.0]]))
(array([1., 2.]), array([3., 4.]))
>>> bc.grad(lambda x: bnp.unstack(x)[1].sum())(np.zeros((2, 2)))
array([[0., 0.],
       [1., 1.]])
"""),
    'tile': (None, """
>>> bnp.tile(np.array([1.0, 2.0]), 3)
array([1., 2., 1., 2., 1., 2.])
>>> bc.grad(lambda x: bnp.tile(x, 3).sum())(np.array([1.0, 2.0]))  # each element copied 3 times
array([3., 3.])
"""),
    'repeat': (None, """
>>> bnp.repeat(np.array([1.0, 2.0]), [1, 3])
array([1., 2., 2., 2.])
>>> bc.grad(lambda x: bnp.repeat(x, [1, 3]).sum())(np.array([1.0, 2.0]))
array([1., 3.])
"""),
    'flip': (None, """
>>> bnp.flip(np.array([1.0, 2.0, 3.0]))
array([3., 2., 1.])
>>> bc.grad(lambda x: (bnp.flip(x) * np.arange(3.0)).sum())(np.zeros(3))
array([2., 1., 0.])
"""),
    'fliplr': (None, """
>>> bnp.fliplr(np.array([[1.0, 2.0], [3.0, 4.0]]))
array([[2., 1.],
       [4., 3.]])
>>> bc.grad(lambda x: (bnp.fliplr(x) * np.array([1.0, 2.0])).sum())(np.zeros((1, 2)))
array([[2., 1.]])
"""),
    'flipud': (None, """
>>> bnp.flipud(np.array([[1.0, 2.0], [3.0, 4.0]]))
array([[3., 4.],
       [1., 2.]])
>>> bc.grad(lambda x: (bnp.flipud(x) * np.array([[1.0], [2.0]])).sum())(np.zeros((2, 1)))
array([[2.],
       [1.]])
"""),
    'roll': (None, """
>>> bnp.roll(np.array([1.0, 2.0, 3.0]), 1)
array([3., 1., 2.])
>>> bc.grad(lambda x: (bnp.roll(x, 1) * np.arange(3.0)).sum())(np.zeros(3))
array([1., 2., 0.])
"""),
    'rot90': (None, """
>>> bnp.rot90(np.array([[1.0, 2.0], [3.0, 4.0]]))
array([[2., 4.],
       [1., 3.]])
>>> bc.grad(lambda x: (bnp.rot90(x) * np.array([[1.0, 2.0], [3.0, 4.0]])).sum())(np.zeros((2, 2)))
array([[3., 1.],
       [4., 2.]])
"""),
    'pad': (None, """
>>> bnp.pad(np.array([1.0, 2.0]), 1, mode="edge")
array([1., 1., 2., 2.])
>>> bc.grad(lambda x: bnp.pad(x, 1, mode="edge").sum())(np.array([1.0, 2.0]))  # edge values are used twice
array([2., 2.])
"""),
    'triu': (None, """
>>> bnp.triu(np.array([[1.0, 2.0], [3.0, 4.0]]))
array([[1., 2.],
       [0., 4.]])
>>> bc.grad(lambda x: bnp.triu(x).sum())(np.ones((2, 2)))
array([[1., 1.],
       [0., 1.]])
"""),
    'tril': (None, """
>>> bnp.tril(np.array([[1.0, 2.0], [3.0, 4.0]]))
array([[1., 0.],
       [3., 4.]])
>>> bc.grad(lambda x: bnp.tril(x).sum())(np.ones((2, 2)))
array([[1., 0.],
       [1., 1.]])
"""),
    # -- indexing (backchain/_rules/indexing.py) --
    'take': (None, """
>>> bnp.take(np.array([10.0, 20.0, 30.0]), [2, 0, 2])
array([30., 10., 30.])
>>> bc.grad(lambda x: bnp.take(x, [2, 0, 2]).sum())(np.array([10.0, 20.0, 30.0]))  # repeated indices add up
array([1., 0., 2.])
"""),
    'take_along_axis': (None, """
>>> x = np.array([[3.0, 1.0], [2.0, 4.0]])
>>> bnp.take_along_axis(x, np.array([[1], [0]]), axis=1)
array([[1.],
       [2.]])
>>> bc.grad(lambda x: bnp.take_along_axis(x, np.array([[1], [0]]), axis=1).sum())(x)
array([[0., 1.],
       [1., 0.]])
"""),
    'select': (None, """
>>> x = np.array([-1.0, 0.5, 2.0])
>>> bnp.select([x < 0, x > 1], [-x, x * x], default=x)
array([1. , 0.5, 4. ])
>>> bc.grad(lambda x: bnp.select([x < 0, x > 1], [-x, x * x], default=x).sum())(x)
array([-1.,  1.,  4.])
"""),
    'choose': (None, """
>>> bnp.choose(np.array([0, 1, 0]), [np.array([1.0, 2.0, 3.0]), np.array([10.0, 20.0, 30.0])])
array([ 1., 20.,  3.])
>>> bc.grad(lambda c: bnp.choose(np.array([0, 1, 0]), [c, np.zeros(3)]).sum())(np.array([1.0, 2.0, 3.0]))
array([1., 0., 1.])
"""),
    'compress': (None, """
>>> bnp.compress([True, False, True], np.array([1.0, 2.0, 3.0]))
array([1., 3.])
>>> bc.grad(lambda x: bnp.compress([True, False, True], x).sum())(np.array([1.0, 2.0, 3.0]))
array([1., 0., 1.])
"""),
    'extract': (None, """
>>> x = np.array([1.0, -2.0, 3.0])
>>> bnp.extract(x > 0, x)
array([1., 3.])
>>> bc.grad(lambda x: (bnp.extract(x > 0, x) ** 2).sum())(x)
array([2., 0., 6.])
"""),
    'partition': (None, """
>>> bnp.partition(np.array([3.0, 1.0, 2.0]), 1)
array([1., 2., 3.])
>>> bc.grad(lambda x: bnp.partition(x, 1)[1])(np.array([3.0, 1.0, 2.0]))  # the gradient goes to the 2nd smallest
array([0., 0., 1.])
"""),
    # -- products and linear algebra in the main namespace (backchain/_rules/linalg.py) --
    'matmul': ("Matrix product ``x1 @ x2`` with NumPy's broadcasting of stacks (``numpy.matmul``); the VJPs are ``g @ x2.T`` and ``x1.T @ g``.", """
>>> a, b = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, 1.0])
>>> bnp.matmul(a, b)
array([3., 7.])
>>> bc.grad(lambda a: bnp.matmul(a, b).sum())(a)  # outer(ones, b)
array([[1., 1.],
       [1., 1.]])
"""),
    'dot': (None, """
>>> a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
>>> float(bnp.dot(a, b))
11.0
>>> bc.grad(lambda a: bnp.dot(a, b))(a)  # b
array([3., 4.])
"""),
    'vdot': (None, """
>>> a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
>>> float(bnp.vdot(a, b))
11.0
>>> bc.grad(lambda b: bnp.vdot(a, b))(b)  # a
array([1., 2.])
"""),
    'inner': (None, """
>>> a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
>>> float(bnp.inner(a, b))
11.0
>>> bc.grad(lambda a: bnp.inner(a, b))(a)
array([3., 4.])
"""),
    'outer': (None, """
>>> bnp.outer(np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0]))
array([[ 3.,  4.,  5.],
       [ 6.,  8., 10.]])
>>> bc.grad(lambda a: bnp.outer(a, np.array([3.0, 4.0, 5.0])).sum())(np.array([1.0, 2.0]))  # sum(b) each
array([12., 12.])
"""),
    'tensordot': (None, """
>>> a, b = np.ones((2, 3)), np.arange(6.0).reshape(3, 2)
>>> bnp.tensordot(a, b, axes=1)
array([[6., 9.],
       [6., 9.]])
>>> bc.grad(lambda a: bnp.tensordot(a, b, axes=1).sum())(a)  # row sums of b
array([[1., 5., 9.],
       [1., 5., 9.]])
"""),
    'einsum': (None, """
>>> a, b = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, -1.0])
>>> bnp.einsum("ij,j->i", a, b)
array([-1., -1.])
>>> bc.grad(lambda a: bnp.einsum("ii->", a))(a)  # the trace: identity
array([[1., 0.],
       [0., 1.]])
"""),
    'kron': (None, """
>>> bnp.kron(np.array([1.0, 2.0]), np.array([1.0, 10.0]))
array([ 1., 10.,  2., 20.])
>>> bc.grad(lambda a: bnp.kron(a, np.array([1.0, 10.0])).sum())(np.array([1.0, 2.0]))
array([11., 11.])
"""),
    'trace': (None, """
>>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
>>> float(bnp.trace(a))
5.0
>>> bc.grad(bnp.trace)(a)
array([[1., 0.],
       [0., 1.]])
"""),
    'diag': (None, """
>>> bnp.diag(np.array([1.0, 2.0]))
array([[1., 0.],
       [0., 2.]])
>>> bc.grad(lambda a: bnp.diag(a).sum())(np.array([[1.0, 2.0], [3.0, 4.0]]))
array([[1., 0.],
       [0., 1.]])
"""),
    'diagonal': (None, """
>>> bnp.diagonal(np.array([[1.0, 2.0], [3.0, 4.0]]))
array([1., 4.])
>>> bc.grad(lambda a: (bnp.diagonal(a) * np.array([1.0, 2.0])).sum())(np.zeros((2, 2)))
array([[1., 0.],
       [0., 2.]])
"""),
    'cross': (None, """
>>> a, b = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
>>> bnp.cross(a, b)
array([0., 0., 1.])
>>> bc.grad(lambda a: bnp.cross(a, b)[2])(a)  # d(a0 b1 - a1 b0)/da
array([1., 0., 0.])
"""),
    # -- functions with no derivative (backchain/numpy/_nondiff.py) --
    'equal': ('Elementwise ``x1 == x2`` (``numpy.equal``) on the data of Tensors; a boolean array, no gradient.', """
>>> bnp.equal(bc.tensor([1.0, 2.0], requires_grad=True), np.array([1.0, 3.0]))
array([ True, False])
"""),
    'not_equal': ('Elementwise ``x1 != x2`` (``numpy.not_equal``) on the data of Tensors; a boolean array, no gradient.', """
>>> bnp.not_equal(np.array([1.0, 2.0]), np.array([1.0, 3.0]))
array([False,  True])
"""),
    'less': ('Elementwise ``x1 < x2`` (``numpy.less``) on the data of Tensors; a boolean array, no gradient.', """
>>> bnp.less(np.array([1.0, 2.0]), 2.0)
array([ True, False])
"""),
    'less_equal': ('Elementwise ``x1 <= x2`` (``numpy.less_equal``) on the data of Tensors; a boolean array, no gradient.', """
>>> bnp.less_equal(np.array([1.0, 2.0]), 2.0)
array([ True,  True])
"""),
    'greater': ('Elementwise ``x1 > x2`` (``numpy.greater``) on the data of Tensors; a boolean array, no gradient.', """
>>> bnp.greater(np.array([1.0, 3.0]), 2.0)
array([False,  True])
"""),
    'greater_equal': ('Elementwise ``x1 >= x2`` (``numpy.greater_equal``) on the data of Tensors; a boolean array, no gradient.', """
>>> bnp.greater_equal(np.array([1.0, 2.0]), 2.0)
array([False,  True])
"""),
    'logical_and': ('Elementwise logical AND (``numpy.logical_and``) on the data of Tensors; a boolean array, no gradient.', """
>>> bnp.logical_and(np.array([True, True]), np.array([True, False]))
array([ True, False])
"""),
    'logical_or': ('Elementwise logical OR (``numpy.logical_or``) on the data of Tensors; a boolean array, no gradient.', """
>>> bnp.logical_or(np.array([True, False]), np.array([False, False]))
array([ True, False])
"""),
    'logical_xor': ('Elementwise logical XOR (``numpy.logical_xor``) on the data of Tensors; a boolean array, no gradient.', """
>>> bnp.logical_xor(np.array([True, True]), np.array([True, False]))
array([False,  True])
"""),
    'logical_not': ('Elementwise logical NOT (``numpy.logical_not``) on the data of Tensors; a boolean array, no gradient.', """
>>> bnp.logical_not(np.array([True, False]))
array([False,  True])
"""),
    'isfinite': ('Elementwise test for finite values (``numpy.isfinite``) on the data of Tensors; no gradient.', """
>>> bnp.isfinite(np.array([1.0, np.inf, np.nan]))
array([ True, False, False])
"""),
    'isinf': ('Elementwise test for positive or negative infinity (``numpy.isinf``) on the data of Tensors; no gradient.', """
>>> bnp.isinf(np.array([1.0, -np.inf, np.nan]))
array([False,  True, False])
"""),
    'isnan': ('Elementwise test for NaN (``numpy.isnan``) on the data of Tensors; no gradient.', """
>>> bnp.isnan(bc.tensor([1.0, np.nan], requires_grad=True))
array([False,  True])
"""),
    'isclose': ('Elementwise equality within a tolerance (``numpy.isclose``) on the data of Tensors; no gradient.', """
>>> bnp.isclose(np.array([1.0, 1.1]), np.array([1.0 + 1e-9, 1.0]))
array([ True, False])
"""),
    'allclose': ('Whether two arrays are equal within a tolerance (``numpy.allclose``) on the data of Tensors; a bool, no gradient.', """
>>> bnp.allclose(bc.tensor([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9]))
True
"""),
    'array_equal': ('Whether two arrays have the same shape and elements (``numpy.array_equal``) on the data of Tensors; a bool, no gradient.', """
>>> bnp.array_equal(bc.tensor([1.0, 2.0]), np.array([1.0, 2.0]))
True
"""),
    'signbit': ('Elementwise test for a set sign bit, true for -0.0 (``numpy.signbit``) on the data of Tensors; no gradient.', """
>>> bnp.signbit(np.array([-1.0, -0.0, 2.0]))
array([ True,  True, False])
"""),
    'iscomplexobj': ('Whether the array has a complex dtype (``numpy.iscomplexobj``) on the data of Tensors; a bool.', """
>>> bnp.iscomplexobj(bc.tensor([1.0 + 0j])), bnp.iscomplexobj(np.array([1.0]))
(True, False)
"""),
    'isrealobj': ('Whether the array has a non-complex dtype (``numpy.isrealobj``) on the data of Tensors; a bool.', """
>>> bnp.isrealobj(bc.tensor([1.0])), bnp.isrealobj(np.array([1.0 + 0j]))
(True, False)
"""),
    'all': ('Whether all elements are true, optionally along an axis (``numpy.all``) on the data of Tensors; no gradient.', """
>>> bool(bnp.all(bc.tensor([1.0, 2.0]) > 0))
True
>>> bnp.all(np.array([[True, False], [True, True]]), axis=1)
array([False,  True])
"""),
    'any': ('Whether any element is true, optionally along an axis (``numpy.any``) on the data of Tensors; no gradient.', """
>>> bnp.any(np.array([[True, False], [False, False]]), axis=1)
array([ True, False])
"""),
    'argmax': ('Index of the largest element, the first among ties (``numpy.argmax``) on the data of Tensors; an integer, no gradient.', """
>>> int(bnp.argmax(bc.tensor([1.0, 3.0, 3.0], requires_grad=True)))
1
>>> bnp.argmax(np.array([[1.0, 5.0], [7.0, 2.0]]), axis=1)
array([1, 0])
"""),
    'argmin': ('Index of the smallest element, the first among ties (``numpy.argmin``) on the data of Tensors; an integer, no gradient.', """
>>> int(bnp.argmin(np.array([3.0, 1.0, 1.0])))
1
"""),
    'argsort': ('Indices that sort the array (``numpy.argsort``) on the data of Tensors; no gradient (see ``sort`` for a differentiable sort).', """
>>> bnp.argsort(np.array([3.0, 1.0, 2.0]))
array([1, 2, 0])
"""),
    'argwhere': ('Indices of the non-zero elements, one row each (``numpy.argwhere``) on the data of Tensors; no gradient.', """
>>> bnp.argwhere(np.array([[0.0, 1.0], [2.0, 0.0]]))
array([[0, 1],
       [1, 0]])
"""),
    'nonzero': ('Indices of the non-zero elements, one array per axis (``numpy.nonzero``) on the data of Tensors; no gradient.', """
>>> bnp.nonzero(np.array([0.0, 1.0, 0.0, 2.0]))
(array([1, 3]),)
"""),
    'flatnonzero': ('Indices of the non-zero elements of the flattened array (``numpy.flatnonzero``) on the data of Tensors; no gradient.', """
>>> bnp.flatnonzero(np.array([[0.0, 1.0], [2.0, 0.0]]))
array([1, 2])
"""),
    'count_nonzero': ('Number of non-zero elements, optionally along an axis (``numpy.count_nonzero``) on the data of Tensors; no gradient.', """
>>> int(bnp.count_nonzero(np.array([0.0, 1.0, 2.0])))
2
"""),
    'isin': ('Whether each element is among ``test_elements`` (``numpy.isin``) on the data of Tensors; no gradient.', """
>>> bnp.isin(np.array([1.0, 2.0, 3.0]), [2.0, 5.0])
array([False,  True, False])
"""),
    'isneginf': ('Whether each element is negative infinity (``numpy.isneginf``) on the data of Tensors; no gradient.', """
>>> bnp.isneginf(np.array([-np.inf, 0.0, np.inf]))
array([ True, False, False])
"""),
    'isposinf': ('Whether each element is positive infinity (``numpy.isposinf``) on the data of Tensors; no gradient.', """
>>> bnp.isposinf(np.array([-np.inf, 0.0, np.inf]))
array([False, False,  True])
"""),
    'histogram_bin_edges': ('The bin edges ``numpy.histogram`` would use (``numpy.histogram_bin_edges``) on the data of Tensors; no gradient.', """
>>> bnp.histogram_bin_edges(np.array([0.0, 1.0, 2.0]), bins=2)
array([0., 1., 2.])
"""),
    'ix_': ('Open meshes of index arrays for cross indexing (``numpy.ix_``); no gradient.', """
>>> rows, cols = bnp.ix_([0, 1], [2])
>>> rows.shape, cols.shape
((2, 1), (1, 1))
"""),
    'tril_indices': ('Indices of the lower triangle of an n x n array (``numpy.tril_indices``); integers, no gradient.', """
>>> bnp.tril_indices(2)
(array([0, 1, 1]), array([0, 0, 1]))
"""),
    'triu_indices': ('Indices of the upper triangle of an n x n array (``numpy.triu_indices``); integers, no gradient.', """
>>> bnp.triu_indices(2)
(array([0, 0, 1]), array([0, 1, 1]))
"""),
    'tril_indices_from': ('Indices of the lower triangle of a 2-D array (``numpy.tril_indices_from``) on the data of Tensors; no gradient.', """
>>> bnp.tril_indices_from(np.ones((2, 2)), k=-1)
(array([1]), array([0]))
"""),
    'triu_indices_from': ('Indices of the upper triangle of a 2-D array (``numpy.triu_indices_from``) on the data of Tensors; no gradient.', """
>>> bnp.triu_indices_from(np.ones((2, 2)), k=1)
(array([0]), array([1]))
"""),
    'diag_indices': ('Indices of the main diagonal of an n x ... x n array (``numpy.diag_indices``); integers, no gradient.', """
>>> bnp.diag_indices(2)
(array([0, 1]), array([0, 1]))
"""),
    'diag_indices_from': ('Indices of the main diagonal of a square array (``numpy.diag_indices_from``) on the data of Tensors; no gradient.', """
>>> bnp.diag_indices_from(np.ones((2, 2)))
(array([0, 1]), array([0, 1]))
"""),
    'hamming': ('The Hamming window of M points (``numpy.hamming``); a constant.', """
>>> bnp.hamming(3)
array([0.08, 1.  , 0.08])
"""),
    'hanning': ('The Hann window of M points (``numpy.hanning``); a constant.', """
>>> bnp.hanning(3)
array([0., 1., 0.])
"""),
    'blackman': ('The Blackman window of M points (``numpy.blackman``); a constant.', """
>>> bnp.blackman(3).round(6) + 0.0
array([0., 1., 0.])
"""),
    'bartlett': ('The Bartlett (triangular) window of M points (``numpy.bartlett``); a constant.', """
>>> bnp.bartlett(5)
array([0. , 0.5, 1. , 0.5, 0. ])
"""),
    'kaiser': ('The Kaiser window of M points and shape ``beta`` (``numpy.kaiser``); a constant.', """
>>> bnp.kaiser(3, 0.0)
array([1., 1., 1.])
"""),
    'searchsorted': ('Indices where values would be inserted to keep a sorted array sorted (``numpy.searchsorted``) on the data of Tensors; no gradient.', """
>>> bnp.searchsorted(np.array([1.0, 2.0, 3.0]), np.array([0.5, 2.5]))
array([0, 2])
"""),
    'digitize': ('Indices of the bins that each value falls in (``numpy.digitize``) on the data of Tensors; no gradient.', """
>>> bnp.digitize(np.array([0.5, 1.5, 2.5]), np.array([1.0, 2.0]))
array([0, 1, 2])
"""),
    'bincount': ('Number of occurrences of each non-negative integer (``numpy.bincount``) on the data of Tensors; no gradient.', """
>>> bnp.bincount(np.array([0, 1, 1, 3]))
array([1, 2, 0, 1])
"""),
    'histogram': ('Histogram counts and bin edges (``numpy.histogram``) on the data of Tensors; no gradient.', """
>>> counts, edges = bnp.histogram(np.array([0.1, 0.4, 0.6, 0.9, 0.95]), bins=2, range=(0.0, 1.0))
>>> counts, edges
(array([2, 3]), array([0. , 0.5, 1. ]))
"""),
    'shape': ('Shape of an array or Tensor (``numpy.shape``); a tuple.', """
>>> bnp.shape(bc.tensor([[1.0, 2.0, 3.0]]))
(1, 3)
"""),
    'ndim': ('Number of dimensions of an array or Tensor (``numpy.ndim``); an int.', """
>>> bnp.ndim(bc.tensor([[1.0, 2.0, 3.0]]))
2
"""),
    'size': ('Number of elements of an array or Tensor, optionally along an axis (``numpy.size``); an int.', """
>>> bnp.size(bc.tensor([[1.0, 2.0, 3.0]]))
3
"""),
    'result_type': ("The dtype that NumPy's type promotion gives for the arguments (``numpy.result_type``); Tensors count by their data.", """
>>> bnp.result_type(bc.tensor(np.ones(2, dtype=np.float32)), np.float64)
dtype('float64')
"""),
    'can_cast': ('Whether a cast between dtypes is allowed under a casting rule (``numpy.can_cast``); a bool.', """
>>> bnp.can_cast(np.float32, np.float64), bnp.can_cast(np.float64, np.float32)
(True, False)
"""),
    'iscomplex': ('Elementwise test for a non-zero imaginary part (``numpy.iscomplex``) on the data of Tensors; no gradient.', """
>>> bnp.iscomplex(np.array([1.0 + 0j, 1.0 + 2j]))
array([False,  True])
"""),
    'isreal': ('Elementwise test for a zero imaginary part (``numpy.isreal``) on the data of Tensors; no gradient.', """
>>> bnp.isreal(np.array([1.0 + 0j, 1.0 + 2j]))
array([ True, False])
"""),
    'floor_divide': ('Elementwise ``x1 // x2``, the floor of the quotient (``numpy.floor_divide``) on the data of Tensors; piecewise constant, no gradient.', """
>>> bnp.floor_divide(np.array([7.0, -7.0]), 2.0)
array([ 3., -4.])
"""),
    'bitwise_and': ('Elementwise bitwise AND of integers or booleans (``numpy.bitwise_and``); no gradient.', """
>>> bnp.bitwise_and(np.array([12, 10]), 6)
array([4, 2])
"""),
    'bitwise_or': ('Elementwise bitwise OR of integers or booleans (``numpy.bitwise_or``); no gradient.', """
>>> bnp.bitwise_or(np.array([12, 10]), 1)
array([13, 11])
"""),
    'bitwise_xor': ('Elementwise bitwise XOR of integers or booleans (``numpy.bitwise_xor``); no gradient.', """
>>> bnp.bitwise_xor(np.array([12, 10]), 6)
array([10, 12])
"""),
    'invert': ('Elementwise bitwise NOT of integers, logical NOT of booleans (``numpy.invert``); no gradient.', """
>>> bnp.invert(np.array([True, False]))
array([False,  True])
>>> bnp.invert(np.array([0, 5], dtype=np.int8))
array([-1, -6], dtype=int8)
"""),
    'left_shift': ('Elementwise shift of integer bits to the left (``numpy.left_shift``); no gradient.', """
>>> bnp.left_shift(np.array([1, 3]), 2)
array([ 4, 12])
"""),
    'right_shift': ('Elementwise shift of integer bits to the right (``numpy.right_shift``); no gradient.', """
>>> bnp.right_shift(np.array([8, 12]), 2)
array([2, 3])
"""),
    'nanargmax': ('Index of the largest element, ignoring NaN (``numpy.nanargmax``) on the data of Tensors; an integer, no gradient.', """
>>> int(bnp.nanargmax(np.array([1.0, np.nan, 3.0])))
2
"""),
    'nanargmin': ('Index of the smallest element, ignoring NaN (``numpy.nanargmin``) on the data of Tensors; an integer, no gradient.', """
>>> int(bnp.nanargmin(np.array([np.nan, 2.0, 1.0])))
2
"""),
    'unravel_index': ('Convert flat indices to a tuple of coordinate arrays for a shape (``numpy.unravel_index``); no gradient.', """
>>> bnp.unravel_index(np.array([1, 5]), (2, 3))
(array([0, 1]), array([1, 2]))
"""),
    'ravel_multi_index': ('Convert a tuple of coordinate arrays to flat indices for a shape (``numpy.ravel_multi_index``); no gradient.', """
>>> bnp.ravel_multi_index((np.array([0, 1]), np.array([1, 2])), (2, 3))
array([1, 5])
"""),
    'argpartition': ('Indices that partition the array around its ``kth`` element (``numpy.argpartition``) on the data of Tensors; no gradient.', """
>>> int(bnp.argpartition(np.array([3.0, 1.0, 2.0]), 1)[1])
2
"""),
    'lexsort': ('Indices that sort by several keys, the last key first (``numpy.lexsort``) on the data of Tensors; no gradient.', """
>>> bnp.lexsort((np.array([2.0, 1.0, 3.0]), np.array([1, 0, 1])))
array([1, 0, 2])
"""),
    # -- NumPy's remaining names: pass-throughs (backchain/numpy/_nondiff.py) and NumPy's own --
    'array_equiv': ('Whether two arrays are shape-consistent and equal (``numpy.array_equiv``) on the data of Tensors; no gradient.', """
>>> bnp.array_equiv(bc.tensor([1.0, 2.0]), np.array([[1.0, 2.0], [1.0, 2.0]]))
True
"""),
    'array2string': ("A string of an array's values (``numpy.array2string``) on the data of Tensors; no gradient.", """
>>> bnp.array2string(bc.tensor([1.0, 2.5]))
'[1.  2.5]'
"""),
    'array_repr': ('The repr of an array (``numpy.array_repr``) on the data of Tensors; no gradient.', """
>>> bnp.array_repr(bc.tensor([1.0, 2.5]))
'array([1. , 2.5])'
"""),
    'array_str': ('The str of an array (``numpy.array_str``) on the data of Tensors; no gradient.', """
>>> bnp.array_str(bc.tensor([1.0, 2.5]))
'[1.  2.5]'
"""),
    'format_float_positional': ('A float in positional notation (``numpy.format_float_positional``) on the data of Tensors; no gradient.', """
>>> bnp.format_float_positional(bc.tensor(0.125))
'0.125'
"""),
    'format_float_scientific': ('A float in scientific notation (``numpy.format_float_scientific``) on the data of Tensors; no gradient.', """
>>> bnp.format_float_scientific(bc.tensor(1250.0))
'1.25e+03'
"""),
    'bitwise_count': ('Number of 1-bits of each integer (``numpy.bitwise_count``) on the data of Tensors; no gradient.', """
>>> bnp.bitwise_count(np.array([3, 7, 8]))
array([2, 3, 1], dtype=uint8)
"""),
    'bitwise_invert': ('Bitwise NOT (``numpy.bitwise_invert``, the same as ``invert``) on the data of Tensors; no gradient.', """
>>> bnp.bitwise_invert(np.array([0, 5]))
array([-1, -6])
"""),
    'bitwise_not': ('Bitwise NOT (``numpy.bitwise_not``, the same as ``invert``) on the data of Tensors; no gradient.', """
>>> bnp.bitwise_not(np.array([0, 5]))
array([-1, -6])
"""),
    'bitwise_left_shift': ('Bits shifted to the left (``numpy.bitwise_left_shift``) on the data of Tensors; no gradient.', """
>>> bnp.bitwise_left_shift(np.array([1, 3]), 2)
array([ 4, 12])
"""),
    'bitwise_right_shift': ('Bits shifted to the right (``numpy.bitwise_right_shift``) on the data of Tensors; no gradient.', """
>>> bnp.bitwise_right_shift(np.array([8, 12]), 2)
array([2, 3])
"""),
    'gcd': ('Greatest common divisor, elementwise (``numpy.gcd``) on the data of Tensors; no gradient.', """
>>> bnp.gcd(np.array([12, 20]), 8)
array([4, 4])
"""),
    'lcm': ('Least common multiple, elementwise (``numpy.lcm``) on the data of Tensors; no gradient.', """
>>> bnp.lcm(np.array([4, 6]), 10)
array([20, 30])
"""),
    'packbits': ('Boolean or 0/1 values packed into the bits of uint8 (``numpy.packbits``) on the data of Tensors; no gradient.', """
>>> bnp.packbits(np.array([1, 0, 1, 1, 0, 0, 0, 1]))
array([177], dtype=uint8)
"""),
    'unpackbits': ('The bits of uint8 values (``numpy.unpackbits``) on the data of Tensors; no gradient.', """
>>> bnp.unpackbits(np.array([177], dtype=np.uint8))
array([1, 0, 1, 1, 0, 0, 0, 1], dtype=uint8)
"""),
    'common_type': ('A floating dtype common to the arrays (``numpy.common_type``) on the data of Tensors; no gradient.', """
>>> bnp.common_type(bc.tensor(np.ones(2, dtype=np.float32)), np.ones(2))
<class 'numpy.float64'>
"""),
    'min_scalar_type': ('The smallest dtype that holds a value (``numpy.min_scalar_type``) on the data of Tensors; no gradient.', """
>>> bnp.min_scalar_type(300)
dtype('uint16')
"""),
    'einsum_path': ('The contraction order that ``einsum`` would use (``numpy.einsum_path``) on the data of Tensors; no gradient.', """
>>> bnp.einsum_path('ij,jk->ik', bc.tensor(np.ones((2, 3))), np.ones((3, 4)))[0]
['einsum_path', (0, 1)]
"""),
    'isfortran': ('Whether an array is Fortran-ordered and not C-ordered (``numpy.isfortran``) on the data of Tensors; no gradient.', """
>>> bnp.isfortran(bc.tensor(np.ones((2, 3))))
False
"""),
    'may_share_memory': ('Whether two arrays might share memory (``numpy.may_share_memory``) on the data of Tensors; no gradient.', """
>>> x = np.ones(4)
>>> bnp.may_share_memory(x, x[1:])
True
"""),
    'shares_memory': ('Whether two arrays share memory (``numpy.shares_memory``) on the data of Tensors; no gradient.', """
>>> x = np.ones(4)
>>> bnp.shares_memory(x[:2], x[2:])
False
"""),
    'isnat': ('Whether each datetime is Not a Time (``numpy.isnat``) on the data of Tensors; no gradient.', """
>>> bnp.isnat(np.array(['2020-01-01', 'NaT'], dtype='datetime64[D]'))
array([False,  True])
"""),
    'is_busday': ('Whether each date is a business day (``numpy.is_busday``) on the data of Tensors; no gradient.', """
>>> bnp.is_busday(np.array(['2024-01-05', '2024-01-06'], dtype='datetime64[D]'))
array([ True, False])
"""),
    'busday_count': ('Number of business days between dates (``numpy.busday_count``) on the data of Tensors; no gradient.', """
>>> int(bnp.busday_count('2024-01-01', '2024-01-08'))
5
"""),
    'busday_offset': ('Dates moved by business days (``numpy.busday_offset``) on the data of Tensors; no gradient.', """
>>> bnp.busday_offset('2024-01-05', 1)
np.datetime64('2024-01-08')
"""),
    'datetime_as_string': ('Datetimes as strings (``numpy.datetime_as_string``) on the data of Tensors; no gradient.', """
>>> bnp.datetime_as_string(np.array(['2024-01-05'], dtype='datetime64[D]'))
array(['2024-01-05'], dtype='<U28')
"""),
    'mask_indices': ("Indices of a mask function's nonzero entries (``numpy.mask_indices``) on the data of Tensors; no gradient.", """
>>> bnp.mask_indices(2, np.triu)
(array([0, 0, 1]), array([0, 1, 1]))
"""),
    'spacing': ('Distance to the nearest adjacent float (``numpy.spacing``) on the data of Tensors; piecewise constant, so its derivative is 0.', """
>>> float(bnp.spacing(bc.tensor(1.0)))
2.220446049250313e-16
>>> bc.grad(lambda x: bnp.sum(bnp.spacing(x) + x))(np.array([1.0, 2.0]))
array([1., 1.])
"""),
    'asmatrix': ("A ``numpy.matrix`` of an array (``numpy.asmatrix``) on the data of Tensors; a Tensor that requires grad raises (no derivative).", """
>>> bnp.asmatrix(np.eye(2))
matrix([[1., 0.],
        [0., 1.]])
"""),
    'bmat': ("A ``numpy.matrix`` from blocks (``numpy.bmat``) on the data of Tensors; a Tensor that requires grad raises (no derivative).", """
>>> bnp.bmat([[np.eye(2), np.zeros((2, 1))]])
matrix([[1., 0., 0.],
        [0., 1., 0.]])
"""),
    'base_repr': ("An integer as a string in a base (NumPy's own function).", """
>>> bnp.base_repr(10, 3)
'101'
"""),
    'binary_repr': ("An integer as a binary string (NumPy's own function).", """
>>> bnp.binary_repr(10)
'1010'
"""),
    'broadcast_shapes': ("The shape that shapes broadcast to (NumPy's own function).", """
>>> bnp.broadcast_shapes((2, 1), (3,))
(2, 3)
"""),
    'copyto': ("Values copied into an array in place (``numpy.copyto``); Tensors are not changed in place: a Tensor as the array raises.", """
>>> dst = np.zeros(2)
>>> bnp.copyto(dst, [1.0, 2.0])
>>> dst
array([1., 2.])
"""),
    'place': ("Values written where a mask holds, in place (``numpy.place``); Tensors are not changed in place: a Tensor as the array raises.", """
>>> a = np.zeros(3)
>>> bnp.place(a, np.array([True, False, True]), [5.0])
>>> a
array([5., 0., 5.])
"""),
    'put': ("Values written at flat indices, in place (``numpy.put``); Tensors are not changed in place: a Tensor as the array raises.", """
>>> a = np.zeros(3)
>>> bnp.put(a, [0, 2], [1.0, 2.0])
>>> a
array([1., 0., 2.])
"""),
    'putmask': ("Values written where a mask holds, repeated, in place (``numpy.putmask``); Tensors are not changed in place: a Tensor as the array raises.", """
>>> a = np.zeros(3)
>>> bnp.putmask(a, np.array([True, False, True]), 7.0)
>>> a
array([7., 0., 7.])
"""),
    'put_along_axis': ("Values written at indices along an axis, in place (``numpy.put_along_axis``); Tensors are not changed in place: a Tensor as the array raises.", """
>>> a = np.zeros((2, 2))
>>> bnp.put_along_axis(a, np.array([[1], [0]]), 9.0, axis=1)
>>> a
array([[0., 9.],
       [9., 0.]])
"""),
    'fill_diagonal': ("The main diagonal filled in place (``numpy.fill_diagonal``); Tensors are not changed in place: a Tensor as the array raises.", """
>>> a = np.zeros((2, 2))
>>> bnp.fill_diagonal(a, 3.0)
>>> a
array([[3., 0.],
       [0., 3.]])
"""),
    'datetime_data': ("The unit and count of a datetime dtype (NumPy's own function).", """
>>> bnp.datetime_data(np.dtype('datetime64[5s]'))
('s', 5)
"""),
    'from_dlpack': ("An array sharing a DLPack producer's memory (NumPy's own function).", """
>>> bnp.from_dlpack(np.arange(3.0))
array([0., 1., 2.])
"""),
    'frombuffer': ("A 1-d array over a buffer (NumPy's own function).", """
>>> bnp.frombuffer(b'\\x01\\x02', dtype=np.uint8)
array([1, 2], dtype=uint8)
"""),
    'fromfile': ("An array read from a binary or text file (NumPy's own function).", """
>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), 'a.bin')
>>> np.arange(3.0).tofile(path)
>>> bnp.fromfile(path)
array([0., 1., 2.])
"""),
    'fromfunction': ("An array from a function of its indices (NumPy's own function).", """
>>> bnp.fromfunction(lambda i, j: i + j, (2, 2))
array([[0., 1.],
       [1., 2.]])
"""),
    'fromiter': ("A 1-d array from an iterable (NumPy's own function).", """
>>> bnp.fromiter((k * k for k in range(4)), dtype=float)
array([0., 1., 4., 9.])
"""),
    'frompyfunc': ("A Python function made a NumPy ufunc of object arrays (NumPy's own function).", """
>>> bnp.frompyfunc(lambda a, b: a + b, 2, 1)(np.array([1, 2]), 3)
array([4, 5], dtype=object)
"""),
    'fromregex': ("A structured array from a text file, by a regular expression (NumPy's own function).", """
>>> import io
>>> bnp.fromregex(io.StringIO('1 2\\n3 4'), r'(\\d) (\\d)', [('a', int), ('b', int)])['b']
array([2, 4])
"""),
    'fromstring': ("A 1-d array from text (NumPy's own function).", """
>>> bnp.fromstring('1 2 3', sep=' ')
array([1., 2., 3.])
"""),
    'genfromtxt': ("An array from a text file, with missing values handled (NumPy's own function).", """
>>> import io
>>> bnp.genfromtxt(io.StringIO('1,2\\n3,'), delimiter=',')
array([[ 1.,  2.],
       [ 3., nan]])
"""),
    'loadtxt': ("An array from a text file (NumPy's own function).", """
>>> import io
>>> bnp.loadtxt(io.StringIO('1 2\\n3 4'))
array([[1., 2.],
       [3., 4.]])
"""),
    'load': ("Arrays from a ``.npy``/``.npz`` file (NumPy's own function); ``allow_pickle`` is off by default.", """
>>> import io
>>> f = io.BytesIO()
>>> bnp.save(f, np.arange(3.0))
>>> _ = f.seek(0)
>>> bnp.load(f)
array([0., 1., 2.])
"""),
    'save': ("An array written to a ``.npy`` file (NumPy's own function); a Tensor that requires grad raises (``detach()`` it).", """
>>> import io
>>> f = io.BytesIO()
>>> bnp.save(f, bc.tensor([1.0, 2.0]))
>>> _ = f.seek(0)
>>> bnp.load(f)
array([1., 2.])
"""),
    'savez': ("Arrays written to an uncompressed ``.npz`` file (NumPy's own function).", """
>>> import io
>>> f = io.BytesIO()
>>> bnp.savez(f, a=np.arange(2.0))
>>> _ = f.seek(0)
>>> bnp.load(f)['a']
array([0., 1.])
"""),
    'savez_compressed': ("Arrays written to a compressed ``.npz`` file (NumPy's own function).", """
>>> import io
>>> f = io.BytesIO()
>>> bnp.savez_compressed(f, a=np.arange(2.0))
>>> _ = f.seek(0)
>>> bnp.load(f)['a']
array([0., 1.])
"""),
    'savetxt': ("An array written to a text file (NumPy's own function).", """
>>> import io
>>> f = io.StringIO()
>>> bnp.savetxt(f, np.array([[1.0, 2.0]]), fmt='%.1f')
>>> f.getvalue()
'1.0 2.0\\n'
"""),
    'get_include': ("The directory of NumPy's C headers (NumPy's own function).", """
>>> bnp.get_include().endswith('include')
True
"""),
    'get_printoptions': ("The current print options (NumPy's own function).", """
>>> bnp.get_printoptions()['precision']
8
"""),
    'set_printoptions': ("Sets the print options (NumPy's own function); ``printoptions`` is its context manager.", """
>>> old = bnp.get_printoptions()
>>> bnp.set_printoptions(precision=3)
>>> np.array([1 / 3])
array([0.333])
>>> bnp.set_printoptions(**old)
"""),
    'printoptions': ("A context manager for the print options (NumPy's own function).", """
>>> with bnp.printoptions(precision=2):
...     print(np.array([1 / 3]))
...
[0.33]
"""),
    'getbufsize': ("The size of the buffer of ufuncs (NumPy's own function).", """
>>> bnp.getbufsize()
8192
"""),
    'setbufsize': ("Sets the size of the buffer of ufuncs (NumPy's own function); returns the old size.", """
>>> old = bnp.setbufsize(16384)
>>> bnp.setbufsize(old)
16384
"""),
    'geterr': ("How floating-point errors are handled (NumPy's own function).", """
>>> bnp.geterr()['divide']
'warn'
"""),
    'seterr': ("Sets how floating-point errors are handled (NumPy's own function); ``errstate`` is its context manager.", """
>>> old = bnp.seterr(divide='ignore')
>>> np.array([1.0]) / 0.0
array([inf])
>>> _ = bnp.seterr(**old)
"""),
    'geterrcall': ("The function called on floating-point errors (NumPy's own function).", """
>>> bnp.geterrcall() is None
True
"""),
    'seterrcall': ("Sets the function called on floating-point errors (NumPy's own function).", """
>>> old = bnp.seterrcall(print)
>>> bnp.seterrcall(old) is print
True
"""),
    'histogram2d': ('A 2-d histogram (``numpy.histogram2d``) on the data of Tensors; raises when its bin edges follow a Tensor that requires grad (no ``range=`` or edges given) or its weights require grad.', """
>>> h, xe, ye = bnp.histogram2d(np.array([0.1, 0.6]), np.array([0.2, 0.7]), bins=2, range=[[0, 1], [0, 1]])
>>> h
array([[1., 0.],
       [0., 1.]])
"""),
    'histogramdd': ('A d-dimensional histogram (``numpy.histogramdd``) on the data of Tensors; raises when its bin edges follow a Tensor that requires grad (no ``range=`` or edges given) or its weights require grad.', """
>>> h, edges = bnp.histogramdd(np.array([[0.1, 0.2], [0.6, 0.7]]), bins=2, range=[[0, 1], [0, 1]])
>>> h
array([[1., 0.],
       [0., 1.]])
"""),
    'info': ("Help on a NumPy object (NumPy's own function).", """
>>> import io
>>> bnp.info(np.add, output=io.StringIO()) is None
True
"""),
    'isdtype': ("Whether a dtype is of a kind (NumPy's own function).", """
>>> bnp.isdtype(np.float32, 'real floating')
True
"""),
    'issubdtype': ("Whether a dtype is below another in NumPy's hierarchy (NumPy's own function).", """
>>> bnp.issubdtype(np.float32, np.floating)
True
"""),
    'isscalar': ("Whether an object is a scalar (NumPy's own function); a Tensor is not.", """
>>> bnp.isscalar(3.0), bnp.isscalar(bc.tensor(3.0))
(True, False)
"""),
    'iterable': ("Whether an object can be iterated (NumPy's own function).", """
>>> bnp.iterable([1, 2]), bnp.iterable(2)
(True, False)
"""),
    'mintypecode': ("The smallest type character for type characters (NumPy's own function).", """
>>> bnp.mintypecode(['d', 'f'])
'd'
"""),
    'promote_types': ("The smallest dtype that both dtypes cast to (NumPy's own function).", """
>>> bnp.promote_types(np.float32, np.int64)
dtype('float64')
"""),
    'typename': ("The description of a type character (NumPy's own function).", """
>>> bnp.typename('d')
'double precision'
"""),
    'nested_iters': ("Nested iterators over an array's axes (NumPy's own function).", """
>>> outer, inner = bnp.nested_iters(np.arange(4.0).reshape(2, 2), [[0], [1]])
>>> [[float(x) for x in inner] for _ in outer]
[[0.0, 1.0], [2.0, 3.0]]
"""),
    'show_config': ("Prints NumPy's build configuration (NumPy's own function).", """
>>> callable(bnp.show_config)
True
"""),
    'show_runtime': ("Prints NumPy's runtime information (NumPy's own function).", """
>>> callable(bnp.show_runtime)
True
"""),
}

LINALG = {
    # -- backchain.numpy.linalg (backchain/_rules/linalg.py) --
    'inv': (None, """
>>> a = np.array([[2.0, 1.0], [1.0, 1.0]])
>>> bnp.linalg.inv(a).round(6)
array([[ 1., -1.],
       [-1.,  2.]])
>>> bc.grad(lambda a: bnp.linalg.inv(a)[0, 0])(a).round(6)  # -outer(inv(a)[:, 0], inv(a)[0, :])
array([[-1.,  1.],
       [ 1., -1.]])
"""),
    'solve': (None, """
>>> a, b = np.array([[2.0, 0.0], [0.0, 4.0]]), np.array([2.0, 8.0])
>>> bnp.linalg.solve(a, b)
array([1., 2.])
>>> bc.grad(lambda b: bnp.linalg.solve(a, b).sum())(b)  # inv(a).T @ ones
array([0.5 , 0.25])
"""),
    'det': (None, """
>>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
>>> round(float(bnp.linalg.det(a)), 6)
-2.0
>>> bc.grad(bnp.linalg.det)(a).round(6)  # det(a) inv(a).T, the cofactor matrix
array([[ 4., -3.],
       [-2.,  1.]])
"""),
    'slogdet': (None, """
>>> a = np.array([[2.0, 0.0], [0.0, 3.0]])
>>> sign, logdet = bnp.linalg.slogdet(a)
>>> float(sign), round(float(logdet), 6)  # log(6)
(1.0, 1.791759)
>>> bc.grad(lambda a: bnp.linalg.slogdet(a)[1])(a).round(6) + 0.0  # inv(a).T
array([[0.5     , 0.      ],
       [0.      , 0.333333]])
"""),
    'cholesky': (None, """
>>> a = np.array([[4.0, 2.0], [2.0, 5.0]])
>>> bnp.linalg.cholesky(a).round(6)
array([[2., 0.],
       [1., 2.]])
>>> bc.grad(lambda a: bnp.linalg.cholesky(a)[1, 1])(a).round(6) + 0.0  # L11 = sqrt(a11 - a10**2 / a00); the upper triangle is not read
array([[ 0.0625,  0.    ],
       [-0.25  ,  0.25  ]])
"""),
    'eigh': (None, """
>>> a = np.array([[2.0, 1.0], [1.0, 2.0]])
>>> w, v = bnp.linalg.eigh(a)
>>> w.round(6)
array([1., 3.])
>>> bc.grad(lambda a: bnp.linalg.eigh(a)[0][1])(a).round(6)  # v v.T; the off-diagonal part on the lower triangle (the one read)
array([[0.5, 0. ],
       [1. , 0.5]])
"""),
    'eigvalsh': (None, """
>>> a = np.array([[2.0, 0.0], [0.0, 3.0]])
>>> bnp.linalg.eigvalsh(a).round(6)
array([2., 3.])
>>> bc.grad(lambda a: bnp.linalg.eigvalsh(a).sum())(a).round(6) + 0.0  # the sum of the eigenvalues is the trace
array([[1., 0.],
       [0., 1.]])
"""),
    'eig': (None, """
>>> a = np.array([[2.0, 1.0], [0.0, 3.0]])
>>> w, v = bnp.linalg.eig(a)
>>> np.sort(w.real).round(6)
array([2., 3.])
>>> bc.grad(lambda a: bnp.real(bnp.linalg.eig(a)[0]).sum())(a).round(6) + 0.0  # the trace again
array([[1., 0.],
       [0., 1.]])
"""),
    'eigvals': (None, """
>>> a = np.array([[0.0, -1.0], [1.0, 0.0]])  # a rotation: eigenvalues +-i
>>> np.sort(bnp.linalg.eigvals(a).imag).round(6)
array([-1.,  1.])
>>> bc.grad(lambda a: bnp.real(bnp.linalg.eigvals(a) ** 2).sum())(a).round(6) + 0.0  # tr(a @ a) has gradient 2 a.T
array([[ 0.,  2.],
       [-2.,  0.]])
"""),
    'svd': (None, """
>>> a = np.array([[3.0, 0.0], [0.0, 2.0]])
>>> u, s, vh = bnp.linalg.svd(a)
>>> s.round(6)
array([3., 2.])
>>> bc.grad(lambda a: bnp.linalg.svd(a)[1][0])(a).round(6) + 0.0  # u_0 v_0.T
array([[1., 0.],
       [0., 0.]])
"""),
    'svdvals': (None, """
>>> a = np.array([[3.0, 0.0], [0.0, -2.0]])
>>> bnp.linalg.svdvals(a).round(6)
array([3., 2.])
>>> bc.grad(lambda a: bnp.linalg.svdvals(a).sum())(a).round(6) + 0.0  # the nuclear norm: u v.T
array([[ 1.,  0.],
       [ 0., -1.]])
"""),
    'qr': (None, """
>>> a = np.array([[3.0, 1.0], [4.0, 2.0]])
>>> q, r = bnp.linalg.qr(a)
>>> np.abs(r).round(6) + 0.0
array([[5. , 2.2],
       [0. , 0.4]])
>>> bc.grad(lambda a: bnp.abs(bnp.linalg.qr(a)[1][0, 0]))(a).round(6) + 0.0  # |r00| = norm of column 0
array([[0.6, 0. ],
       [0.8, 0. ]])
"""),
    'pinv': (None, """
>>> a = np.array([[2.0, 0.0], [0.0, 0.0]])
>>> bnp.linalg.pinv(a).round(6) + 0.0
array([[0.5, 0. ],
       [0. , 0. ]])
>>> bc.grad(lambda a: bnp.linalg.pinv(a)[0, 0])(np.array([[2.0], [1.0]])).round(6)  # (a10**2 - a00**2, -2 a00 a10) / 25
array([[-0.12],
       [-0.16]])
"""),
    'norm': (None, """
>>> x = np.array([3.0, 4.0])
>>> float(bnp.linalg.norm(x))
5.0
>>> bc.grad(bnp.linalg.norm)(x)  # x / norm(x)
array([0.6, 0.8])
>>> bc.grad(bnp.linalg.norm)(np.zeros(2))  # 0 at the zero vector (min-norm subgradient)
array([0., 0.])
>>> float(bnp.linalg.norm(np.array([[1.0, -2.0], [3.0, 4.0]]), ord=1))  # max column sum
6.0
"""),
    'vector_norm': (None, """
>>> x = np.array([1.0, -2.0, 2.0])
>>> float(bnp.linalg.vector_norm(x))
3.0
>>> bc.grad(bnp.linalg.vector_norm)(x)
array([ 0.33333333, -0.66666667,  0.66666667])
>>> bc.grad(lambda x: bnp.linalg.vector_norm(x, ord=1))(x)  # sign(x)
array([ 1., -1.,  1.])
"""),
    'matrix_norm': (None, """
>>> a = np.array([[1.0, 2.0], [2.0, 4.0]])
>>> float(bnp.linalg.matrix_norm(a))  # Frobenius
5.0
>>> bc.grad(bnp.linalg.matrix_norm)(a)  # a / norm(a)
array([[0.2, 0.4],
       [0.4, 0.8]])
"""),
    'matrix_power': (None, """
>>> a = np.array([[1.0, 1.0], [0.0, 1.0]])
>>> bnp.linalg.matrix_power(a, 3)
array([[1., 3.],
       [0., 1.]])
>>> bc.grad(lambda a: bnp.linalg.matrix_power(a, 2).sum())(np.eye(2))  # d sum(a @ a) = ones @ a.T + a.T @ ones
array([[2., 2.],
       [2., 2.]])
"""),
    'matrix_rank': (None, """
>>> int(bnp.linalg.matrix_rank(np.array([[1.0, 2.0], [2.0, 4.0]])))
1
"""),
    'cond': (None, """
>>> a = np.array([[4.0, 0.0], [0.0, 2.0]])
>>> round(float(bnp.linalg.cond(a)), 6)
2.0
>>> bc.grad(bnp.linalg.cond)(a).round(6) + 0.0  # s_max / s_min: 1/2 at s_max, -4/2**2 at s_min
array([[ 0.5,  0. ],
       [ 0. , -1. ]])
"""),
    'multi_dot': (None, """
>>> a, b, c = np.ones((1, 2)), np.array([[1.0, 2.0], [3.0, 4.0]]), np.ones((2, 1))
>>> bnp.linalg.multi_dot([a, b, c])
array([[10.]])
>>> bc.grad(lambda b: bnp.linalg.multi_dot([a, b, c]).sum())(b)  # a.T @ c.T
array([[1., 1.],
       [1., 1.]])
"""),
    'matrix_transpose': (None, """
>>> bnp.linalg.matrix_transpose(np.zeros((5, 2, 3))).shape
(5, 3, 2)
>>> bc.grad(lambda a: (bnp.linalg.matrix_transpose(a) * np.array([[1.0], [2.0]])).sum())(np.zeros((1, 2)))
array([[1., 2.]])
"""),
    'diagonal': ('Diagonal of the last two axes, as a vector (``numpy.linalg.diagonal``), differentiable.', """
>>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
>>> bnp.linalg.diagonal(a)
array([1., 4.])
>>> bc.grad(lambda a: bnp.linalg.diagonal(a).sum())(a)
array([[1., 0.],
       [0., 1.]])
"""),
    'trace': ('Trace (sum of the diagonal) of the last two axes (``numpy.linalg.trace``), differentiable; the gradient is the identity.', """
>>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
>>> float(bnp.linalg.trace(a))
5.0
>>> bc.grad(bnp.linalg.trace)(a)
array([[1., 0.],
       [0., 1.]])
"""),
}

FFT = {
    # -- backchain.numpy.fft (backchain/_rules/fft.py) --
    'fftshift': (None, """
>>> bnp.fft.fftshift(np.arange(5.0))
array([3., 4., 0., 1., 2.])
>>> bc.grad(lambda x: (bnp.fft.fftshift(x) * np.arange(5.0)).sum())(np.zeros(5))  # the inverse shift of the weights
array([2., 3., 4., 0., 1.])
"""),
    'ifftshift': (None, """
>>> bnp.fft.ifftshift(np.arange(5.0))
array([2., 3., 4., 0., 1.])
>>> bc.grad(lambda x: (bnp.fft.ifftshift(x) * np.arange(5.0)).sum())(np.zeros(5))
array([3., 4., 0., 1., 2.])
"""),
    'fftfreq': ("The sample frequencies of ``fft`` (``numpy.fft.fftfreq``, NumPy's own function): a constant.", """
>>> bnp.fft.fftfreq(4, d=0.5)
array([ 0. ,  0.5, -1. , -0.5])
"""),
    'rfftfreq': ("The sample frequencies of ``rfft`` (``numpy.fft.rfftfreq``, NumPy's own function): a constant.", """
>>> bnp.fft.rfftfreq(4, d=0.5)
array([0. , 0.5, 1. ])
"""),
}


def _clean(doc):
    """``inspect.cleandoc`` without importing inspect: strip the first line, dedent the rest."""
    lines = doc.expandtabs().split("\n")
    indents = [len(s) - len(s.lstrip()) for s in lines[1:] if s.strip()]
    cut = min(indents) if indents else 0
    out = [lines[0].strip()] + [s[cut:].rstrip() for s in lines[1:]]
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def docstring(obj, summary, example, preamble):
    """The docstring of ``obj`` with the entry ``(summary, example)``."""
    text = summary if summary is not None else _clean(obj.__doc__ or "")
    kinks = getattr(getattr(obj, "prim", None), "kinks", None)
    if isinstance(kinks, str):
        text += ("\n\nNotes\n-----\nAt its kinks: " + kinks
                 + " (``backchain.kinks.table()`` lists every convention).")
    return text + "\n\nExamples\n--------\n>>> " + preamble + example.rstrip("\n")


def attach(namespace, entries, preamble, own=None):
    """Give the functions of ``namespace`` (a module or a dict of names) their docstrings.

    ``own``: the module whose objects are re-exported unchanged (NumPy's); those are left alone.
    """
    get = namespace.get if isinstance(namespace, dict) else lambda n: getattr(namespace, n, None)
    for name, (summary, example) in entries.items():
        obj = get(name.split(".")[0])
        for part in name.split(".")[1:]:
            obj = getattr(obj, part)
        if obj is None or (own is not None and getattr(own, name, None) is obj):
            continue
        obj.__doc__ = docstring(obj, summary, example, preamble)
