"""Summaries and examples for the docstrings of ``backchain.scipy.special``, ``.stats``,
``.linalg`` and ``.signal``; attached when each submodule is imported (see
``backchain/numpy/_examples.py`` for the format)."""

SPECIAL_PREAMBLE = "import numpy as np, backchain as bc, backchain.numpy as bnp\n>>> from backchain.scipy import special"
STATS_PREAMBLE = "import numpy as np, backchain as bc, backchain.numpy as bnp\n>>> from backchain.scipy import stats"
LINALG_PREAMBLE = "import numpy as np, backchain as bc, backchain.numpy as bnp\n>>> from backchain.scipy import linalg"
SIGNAL_PREAMBLE = "import numpy as np, backchain as bc, backchain.numpy as bnp\n>>> from backchain.scipy import signal"

SPECIAL = {
    # -- backchain.scipy.special (backchain/_rules/special.py) --
    'erf': ('The error function ``2/sqrt(pi) * integral of exp(-t**2) from 0 to x`` (``scipy.special.erf``); derivative 2/sqrt(pi) exp(-x**2).', """
>>> special.erf(np.array([0.0, 1.0]))
array([0.        , 0.84270079])
>>> bc.grad(lambda x: special.erf(x).sum())(np.array([0.0, 1.0]))  # 2/sqrt(pi) exp(-x**2)
array([1.12837917, 0.4151075 ])
"""),
    'erfc': ('The complementary error function ``1 - erf(x)`` (``scipy.special.erfc``); derivative -2/sqrt(pi) exp(-x**2).', """
>>> special.erfc(np.array([0.0, 1.0]))
array([1.        , 0.15729921])
>>> bc.grad(lambda x: special.erfc(x).sum())(np.array([0.0, 1.0]))
array([-1.12837917, -0.4151075 ])
"""),
    'erfinv': ('The inverse of ``erf`` on (-1, 1) (``scipy.special.erfinv``); derivative sqrt(pi)/2 exp(erfinv(x)**2).', """
>>> special.erfinv(np.array([0.0, 0.5]))
array([0.        , 0.47693628])
>>> bc.grad(lambda x: special.erfinv(x).sum())(np.array([0.0, 0.5]))
array([0.88622693, 1.11258482])
"""),
    'erfcinv': ('The inverse of ``erfc`` on (0, 2) (``scipy.special.erfcinv``); derivative -sqrt(pi)/2 exp(erfcinv(x)**2).', """
>>> special.erfcinv(np.array([0.5, 1.5]))
array([ 0.47693628, -0.47693628])
>>> bc.grad(lambda x: special.erfcinv(x).sum())(np.array([0.5, 1.5]))
array([-1.11258482, -1.11258482])
"""),
    'ndtr': ('The standard normal CDF (``scipy.special.ndtr``); derivative the normal density exp(-x**2/2)/sqrt(2 pi).', """
>>> special.ndtr(np.array([0.0, 1.0]))
array([0.5       , 0.84134475])
>>> bc.grad(lambda x: special.ndtr(x).sum())(np.array([0.0, 1.0]))  # the normal density
array([0.39894228, 0.24197072])
"""),
    'log_ndtr': ('The log of the standard normal CDF, accurate in the far left tail (``scipy.special.log_ndtr``); derivative pdf / cdf.', """
>>> special.log_ndtr(np.array([0.0, -30.0]))
array([  -0.69314718, -454.32124396])
>>> bc.grad(lambda x: special.log_ndtr(x).sum())(np.array([0.0, -30.0]))  # about -x in the left tail
array([ 0.79788456, 30.03325967])
"""),
    'ndtri': ('The inverse of the standard normal CDF, the normal quantile (``scipy.special.ndtri``); derivative 1 / pdf(ndtri(p)).', """
>>> special.ndtri(np.array([0.5, 0.975]))
array([0.        , 1.95996398])
>>> bc.grad(lambda p: special.ndtri(p).sum())(np.array([0.5]))  # sqrt(2 pi)
array([2.50662827])
"""),
    'expit': ('The logistic sigmoid ``1 / (1 + exp(-x))`` (``scipy.special.expit``); derivative expit(x) (1 - expit(x)).', """
>>> special.expit(np.array([0.0, 2.0]))
array([0.5       , 0.88079708])
>>> bc.grad(lambda x: special.expit(x).sum())(np.array([0.0, 2.0]))
array([0.25      , 0.10499359])
"""),
    'logit': ('The log-odds ``log(p / (1 - p))``, the inverse of ``expit`` (``scipy.special.logit``); derivative 1 / (p (1 - p)).', """
>>> special.logit(np.array([0.5, 0.8]))
array([0.        , 1.38629436])
>>> bc.grad(lambda p: special.logit(p).sum())(np.array([0.5, 0.8]))
array([4.  , 6.25])
"""),
    'log1p': ('``log(1 + x)``, accurate for small x (``scipy.special.log1p``); derivative 1 / (1 + x).', """
>>> special.log1p(np.array([0.0, 1e-10]))
array([0.e+00, 1.e-10])
>>> bc.grad(lambda x: special.log1p(x).sum())(np.array([0.0, 1.0]))
array([1. , 0.5])
"""),
    'expm1': ('``exp(x) - 1``, accurate for small x (``scipy.special.expm1``); derivative exp(x).', """
>>> special.expm1(np.array([0.0, 1e-10]))
array([0.e+00, 1.e-10])
>>> bc.grad(lambda x: special.expm1(x).sum())(np.array([0.0, 1.0]))
array([1.        , 2.71828183])
"""),
    'gamma': ('The gamma function, ``gamma(n) = (n - 1)!`` (``scipy.special.gamma``); derivative gamma(x) digamma(x).', """
>>> special.gamma(np.array([1.0, 5.0]))
array([ 1., 24.])
>>> bc.grad(lambda x: special.gamma(x).sum())(np.array([1.0, 2.0]))  # gamma(x) digamma(x): -euler_gamma, 1 - euler_gamma
array([-0.57721566,  0.42278434])
"""),
    'gammaln': ('The log of the absolute value of the gamma function (``scipy.special.gammaln``); derivative digamma(x).', """
>>> special.gammaln(np.array([1.0, 5.0]))
array([0.        , 3.17805383])
>>> bc.grad(lambda x: special.gammaln(x).sum())(np.array([1.0, 2.0]))  # digamma(x)
array([-0.57721566,  0.42278434])
"""),
    'digamma': ('The digamma function, the derivative of ``gammaln`` (``scipy.special.digamma``, also ``psi``); derivative polygamma(1, x).', """
>>> special.digamma(np.array([1.0, 2.0]))  # -euler_gamma, 1 - euler_gamma
array([-0.57721566,  0.42278434])
>>> bc.grad(lambda x: special.digamma(x).sum())(np.array([1.0]))  # polygamma(1, 1) = pi**2 / 6
array([1.64493407])
"""),
    'polygamma': (None, """
>>> special.polygamma(1, np.array([1.0, 2.0]))  # pi**2/6, pi**2/6 - 1
array([1.64493407, 0.64493407])
>>> bc.grad(lambda x: special.polygamma(1, x).sum())(np.array([1.0]))  # polygamma(2, 1) = -2 zeta(3)
array([-2.40411381])
"""),
    'beta': ('The beta function ``gamma(a) gamma(b) / gamma(a + b)`` (``scipy.special.beta``); d/da = beta (digamma(a) - digamma(a + b)).', """
>>> float(special.beta(2.0, 3.0))  # 1/12
0.08333333333333333
>>> bc.grad(lambda a, b: special.beta(a, b).sum(), argnums=(0, 1))(np.array([1.0]), np.array([1.0]))  # -1, -1 at (1, 1)
(array([-1.]), array([-1.]))
"""),
    'betaln': ('The log of the absolute value of the beta function (``scipy.special.betaln``); d/da = digamma(a) - digamma(a + b).', """
>>> float(special.betaln(1.0, 2.0))  # log(1/2)
-0.6931471805599453
>>> bc.grad(lambda a, b: special.betaln(a, b).sum(), argnums=(0, 1))(np.array([1.0]), np.array([1.0]))  # -1, -1 at (1, 1)
(array([-1.]), array([-1.]))
"""),
    'xlogy': ('``x * log(y)``, 0 where x == 0 (``scipy.special.xlogy``); d/dx = log(y), d/dy = x / y.', """
>>> special.xlogy(np.array([0.0, 2.0]), np.array([0.0, np.e]))
array([0., 2.])
>>> bc.grad(lambda x, y: special.xlogy(x, y).sum(), argnums=(0, 1))(np.array([2.0]), np.array([np.e]))  # log(y), x / y
(array([1.]), array([0.73575888]))
>>> float(bc.grad(lambda y: special.xlogy(0.0, y))(0.0))  # x == 0: value 0 and d/dy = 0
0.0
"""),
    'xlog1py': ('``x * log1p(y)``, 0 where x == 0 (``scipy.special.xlog1py``); d/dx = log1p(y), d/dy = x / (1 + y).', """
>>> special.xlog1py(np.array([0.0, 2.0]), np.array([-1.0, np.e - 1.0]))
array([0., 2.])
>>> bc.grad(lambda x, y: special.xlog1py(x, y).sum(), argnums=(0, 1))(np.array([2.0]), np.array([1.0]))  # log(2), 1
(array([0.69314718]), array([1.]))
"""),
    'i0': ('The modified Bessel function of the first kind of order 0 (``scipy.special.i0``); derivative i1(x).', """
>>> special.i0(np.array([0.0, 1.0]))
array([1.        , 1.26606588])
>>> bc.grad(lambda x: special.i0(x).sum())(np.array([0.0, 1.0]))  # i1(x)
array([0.       , 0.5651591])
"""),
    'i1': ('The modified Bessel function of the first kind of order 1 (``scipy.special.i1``); derivative i0(x) - i1(x) / x.', """
>>> special.i1(np.array([0.0, 1.0]))
array([0.       , 0.5651591])
>>> bc.grad(lambda x: special.i1(x).sum())(np.array([0.0, 1.0]))  # 1/2 at 0, the limit
array([0.5       , 0.70090677])
"""),
    'i0e': ('The exponentially scaled ``i0(x) * exp(-|x|)`` (``scipy.special.i0e``); derivative i1e(x) - sign(x) i0e(x).', """
>>> special.i0e(np.array([0.0, 1.0]))
array([1.        , 0.46575961])
>>> bc.grad(lambda x: special.i0e(x).sum())(np.array([0.0, 1.0]))  # 0 at the kink x == 0
array([ 0.        , -0.25784919])
"""),
    'i1e': ('The exponentially scaled ``i1(x) * exp(-|x|)`` (``scipy.special.i1e``); derivative i0e(x) - i1e(x) (sign(x) + 1 / x).', """
>>> special.i1e(np.array([0.0, 1.0]))
array([0.        , 0.20791042])
>>> bc.grad(lambda x: special.i1e(x).sum())(np.array([0.0, 1.0]))  # 1/2 at 0, the limit
array([0.5       , 0.04993878])
"""),
    'j0': ('The Bessel function of the first kind of order 0 (``scipy.special.j0``); derivative -j1(x).', """
>>> special.j0(np.array([0.0, 1.0]))
array([1.        , 0.76519769])
>>> bc.grad(lambda x: special.j0(x).sum())(np.array([1.0, 2.0]))  # -j1(x)
array([-0.44005059, -0.57672481])
"""),
    'j1': ('The Bessel function of the first kind of order 1 (``scipy.special.j1``); derivative j0(x) - j1(x) / x.', """
>>> special.j1(np.array([0.0, 1.0]))
array([0.        , 0.44005059])
>>> bc.grad(lambda x: special.j1(x).sum())(np.array([0.0, 1.0]))  # 1/2 at 0, the limit
array([0.5      , 0.3251471])
"""),
    'y0': ('The Bessel function of the second kind of order 0 (``scipy.special.y0``); derivative -y1(x).', """
>>> special.y0(np.array([1.0, 2.0]))
array([0.08825696, 0.51037567])
>>> bc.grad(lambda x: special.y0(x).sum())(np.array([1.0, 2.0]))  # -y1(x)
array([0.78121282, 0.10703243])
"""),
    'y1': ('The Bessel function of the second kind of order 1 (``scipy.special.y1``); derivative y0(x) - y1(x) / x.', """
>>> special.y1(np.array([1.0, 2.0]))
array([-0.78121282, -0.10703243])
>>> bc.grad(lambda x: special.y1(x).sum())(np.array([1.0, 2.0]))
array([0.86946979, 0.56389189])
"""),
    'jv': ('The Bessel function of the first kind of real order ``v`` (``scipy.special.jv``, also ``jn``); d/dx = (jv(v - 1, x) - jv(v + 1, x)) / 2; the order raises.', """
>>> special.jv(2, np.array([1.0, 3.0]))
array([0.11490348, 0.48609126])
>>> bc.grad(lambda x: special.jv(2, x).sum())(np.array([1.0, 3.0]))  # (jv(1, x) - jv(3, x)) / 2
array([0.21024362, 0.01499812])
"""),
    'yn': ('The Bessel function of the second kind of integer order ``n`` (``scipy.special.yn``); d/dx = (yn(n - 1, x) - yn(n + 1, x)) / 2; the order raises.', """
>>> special.yn(2, np.array([1.0, 3.0]))
array([-1.65068261, -0.16040039])
>>> bc.grad(lambda x: special.yn(2, x).sum())(np.array([1.0, 3.0]))  # (yn(1, x) - yn(3, x)) / 2
array([2.52015239, 0.43160802])
"""),
    'iv': ('The modified Bessel function of the first kind of real order ``v`` (``scipy.special.iv``); d/dx = (iv(v - 1, x) + iv(v + 1, x)) / 2; the order raises.', """
>>> special.iv(1.5, np.array([1.0, 3.0]))
array([0.29352533, 3.09948346])
>>> bc.grad(lambda x: special.iv(1.5, x).sum())(np.array([1.0, 3.0]))  # (iv(0.5, x) + iv(2.5, x)) / 2
array([0.4973869 , 3.06508118])
"""),
    'ive': ('The exponentially scaled ``iv(v, x) * exp(-|x|)`` (``scipy.special.ive``); d/dx = (ive(v - 1, x) + ive(v + 1, x)) / 2 - sign(x) ive(v, x).', """
>>> special.ive(1, np.array([1.0, 3.0]))
array([0.20791042, 0.19682671])
>>> bc.grad(lambda x: special.ive(1, x).sum())(np.array([1.0, 3.0]))
array([ 0.04993878, -0.01943526])
"""),
    'gammainc': ('The regularized lower incomplete gamma function P(a, x) (``scipy.special.gammainc``); d/dx = x**(a-1) exp(-x) / gamma(a); d/da by its series and continued fraction (to second order).', """
>>> special.gammainc(2.0, np.array([1.0, 3.0]))
array([0.26424112, 0.80085173])
>>> bc.grad(lambda x: special.gammainc(2.0, x).sum())(np.array([1.0, 3.0]))  # x exp(-x) / gamma(2)
array([0.36787944, 0.14936121])
>>> round(float(bc.grad(special.gammainc)(2.0, 1.0)), 10)  # d/da: no closed form (JAX's value)
-0.2761960457
"""),
    'gammaincc': ('The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x) (``scipy.special.gammaincc``); d/dx = -x**(a-1) exp(-x) / gamma(a); d/da as gammainc\'s, negated.', """
>>> special.gammaincc(2.0, np.array([1.0, 3.0]))
array([0.73575888, 0.19914827])
>>> bc.grad(lambda x: special.gammaincc(2.0, x).sum())(np.array([1.0, 3.0]))  # -x exp(-x)
array([-0.36787944, -0.14936121])
"""),
    'betainc': ('The regularized incomplete beta function I_x(a, b) (``scipy.special.betainc``); d/dx = x**(a-1) (1-x)**(b-1) / beta(a, b); d/da and d/db by its continued fraction (to second order; JAX has none).', """
>>> float(special.betainc(2.0, 3.0, 0.5))
0.6875
>>> round(float(bc.grad(lambda x: special.betainc(2.0, 3.0, x))(0.5)), 10)  # x (1 - x)**2 / beta(2, 3)
1.5
>>> [round(float(g), 6) for g in bc.grad(special.betainc, argnums=(0, 1))(2.0, 3.0, 0.5)]  # d/da, d/db
[-0.195289, 0.154108]
"""),
    'rgamma': ('The reciprocal gamma function ``1 / gamma(x)``, zero at the poles of gamma (``scipy.special.rgamma``); derivative -digamma(x) / gamma(x), finite everywhere.', """
>>> special.rgamma(np.array([-1.0, 3.0]))
array([0. , 0.5])
>>> bc.grad(lambda x: special.rgamma(x).sum())(np.array([-1.0, 0.0, 1.0]))  # -1, 1, euler_gamma: the limits at the poles
array([-1.        ,  1.        ,  0.57721566])
"""),
    'gammasgn': ('The sign of the gamma function (``scipy.special.gammasgn``); derivative 0 (piecewise constant).', """
>>> special.gammasgn(np.array([-0.5, 2.0]))
array([-1.,  1.])
>>> bc.grad(lambda x: special.gammasgn(x).sum())(np.array([-0.5, 2.0]))
array([0., 0.])
"""),
    'multigammaln': (None, """
>>> round(float(special.multigammaln(3.0, 2)), 10)
1.550194994
>>> round(float(bc.grad(lambda a: special.multigammaln(a, 2))(3.0)), 10)  # digamma(3) + digamma(2.5)
1.6259409757
"""),
    'entr': ('The elementwise entropy ``-x log(x)``, 0 at 0 and -inf for x < 0 (``scipy.special.entr``); derivative -(log(x) + 1), +inf at 0.', """
>>> special.entr(np.array([0.0, 0.5, 1.0]))
array([ 0.        ,  0.34657359, -0.        ])
>>> bc.grad(lambda x: special.entr(x).sum())(np.array([0.0, 0.5, 1.0]))  # +inf at 0: the one-sided limit
array([        inf, -0.30685282, -1.        ])
"""),
    'stdtr': ("Student's t CDF with ``df`` degrees of freedom (``scipy.special.stdtr``); d/dt the t density; d/ddf through betainc (to second order).", """
>>> float(special.stdtr(1.0, 1.0))  # Cauchy: 3/4
0.75
>>> round(float(bc.grad(lambda t: special.stdtr(1.0, t))(1.0)), 6)  # 1 / (pi (1 + t**2))
0.159155
>>> round(float(bc.grad(special.stdtr)(1.0, 1.0)), 6)  # d/ddf: more mass near 0 as df grows
0.066203
"""),
    'yv': ('The Bessel function of the second kind of real order ``v`` (``scipy.special.yv``); d/dx = (yv(v - 1, x) - yv(v + 1, x)) / 2; the order raises.', """
>>> special.yv(1.5, np.array([1.0, 3.0]))
array([-1.10249558,  0.08700809])
>>> bc.grad(lambda x: special.yv(1.5, x).sum())(np.array([1.0, 3.0]))  # (yv(0.5, x) - yv(2.5, x)) / 2
array([1.22264449, 0.41254478])
"""),
    'kv': ('The modified Bessel function of the second kind of real order ``v`` (``scipy.special.kv``); d/dx = -(kv(v - 1, x) + kv(v + 1, x)) / 2; the order raises.', """
>>> special.kv(0.5, np.array([1.0, 3.0]))
array([0.4610685 , 0.03602599])
>>> bc.grad(lambda x: special.kv(0.5, x).sum())(np.array([1.0, 3.0]))  # kv(1/2, x) = sqrt(pi / (2x)) exp(-x)
array([-0.69160276, -0.04203032])
"""),
    'kve': ('The exponentially scaled ``kv(v, x) * exp(x)`` (``scipy.special.kve``); d/dx = kve(v, x) - (kve(v - 1, x) + kve(v + 1, x)) / 2.', """
>>> special.kve(0.5, np.array([1.0, 3.0]))  # sqrt(pi / (2x))
array([1.25331414, 0.72360125])
>>> bc.grad(lambda x: special.kve(0.5, x).sum())(np.array([1.0, 3.0]))  # -sqrt(pi / 8) x**-1.5
array([-0.62665707, -0.12060021])
"""),
    'k0': ('The modified Bessel function of the second kind of order 0 (``scipy.special.k0``); derivative -k1(x), -inf at the pole 0.', """
>>> special.k0(np.array([1.0, 3.0]))
array([0.42102444, 0.0347395 ])
>>> bc.grad(lambda x: special.k0(x).sum())(np.array([1.0, 3.0]))  # -k1(x)
array([-0.60190723, -0.04015643])
"""),
    'k1': ('The modified Bessel function of the second kind of order 1 (``scipy.special.k1``); derivative -k0(x) - k1(x) / x.', """
>>> special.k1(np.array([1.0, 3.0]))
array([0.60190723, 0.04015643])
>>> bc.grad(lambda x: special.k1(x).sum())(np.array([1.0, 3.0]))
array([-1.02293167, -0.04812498])
"""),
    'k0e': ('The exponentially scaled ``k0(x) * exp(x)`` (``scipy.special.k0e``); derivative k0e(x) - k1e(x).', """
>>> special.k0e(np.array([1.0, 3.0]))
array([1.14446308, 0.6977616 ])
>>> bc.grad(lambda x: special.k0e(x).sum())(np.array([1.0, 3.0]))
array([-0.49169041, -0.10880188])
"""),
    'k1e': ('The exponentially scaled ``k1(x) * exp(x)`` (``scipy.special.k1e``); derivative k1e(x) (1 - 1 / x) - k0e(x).', """
>>> special.k1e(np.array([1.0, 3.0]))
array([1.63615349, 0.80656348])
>>> bc.grad(lambda x: special.k1e(x).sum())(np.array([1.0, 3.0]))
array([-1.14446308, -0.16005261])
"""),
    'exp1': ('The exponential integral E1(x), the integral of exp(-t) / t from x to infinity (``scipy.special.exp1``); derivative -exp(-x) / x.', """
>>> special.exp1(np.array([1.0, 3.0]))
array([0.21938393, 0.01304838])
>>> bc.grad(lambda x: special.exp1(x).sum())(np.array([1.0, 3.0]))  # -exp(-x) / x
array([-0.36787944, -0.01659569])
"""),
    'expi': ('The exponential integral Ei(x) (``scipy.special.expi``); derivative exp(x) / x.', """
>>> special.expi(np.array([-1.0, 1.0]))
array([-0.21938393,  1.89511782])
>>> bc.grad(lambda x: special.expi(x).sum())(np.array([-1.0, 1.0]))  # exp(x) / x
array([-0.36787944,  2.71828183])
"""),
    'erfcx': ('The scaled complementary error function ``exp(x**2) * erfc(x)``, accurate for large x (``scipy.special.erfcx``); derivative 2 x erfcx(x) - 2 / sqrt(pi).', """
>>> special.erfcx(np.array([0.0, 30.0]))
array([1.        , 0.01879589])
>>> bc.grad(lambda x: special.erfcx(x).sum())(np.array([0.0, 30.0]))  # -2/sqrt(pi) at 0; about -1/(sqrt(pi) x**2) far out
array([-1.12837917e+00, -6.25835411e-04])
"""),
    'log_expit': ('The log of the logistic sigmoid, ``-log1p(exp(-x))``, accurate in both tails (``scipy.special.log_expit``); derivative expit(-x).', """
>>> special.log_expit(np.array([0.0, -40.0]))
array([ -0.69314718, -40.        ])
>>> bc.grad(lambda x: special.log_expit(x).sum())(np.array([0.0, -40.0]))  # 1 - expit(x)
array([0.5, 1. ])
"""),
    'rel_entr': ('The relative entropy term ``x log(x / y)``: 0 at x == 0, +inf outside x, y >= 0 (``scipy.special.rel_entr``); d/dx = log(x / y) + 1 (-inf at x == 0), d/dy = -x / y.', """
>>> special.rel_entr(np.array([0.0, 1.0]), np.array([1.0, 0.5]))
array([0.        , 0.69314718])
>>> bc.grad(lambda x, y: special.rel_entr(x, y).sum(), argnums=(0, 1))(np.array([0.0, 1.0]), np.array([1.0, 0.5]))
(array([      -inf, 1.69314718]), array([-0., -2.]))
"""),
    'kl_div': ('The Kullback-Leibler term ``x log(x / y) - x + y`` (``scipy.special.kl_div``); d/dx = log(x / y) (-inf at x == 0), d/dy = 1 - x / y.', """
>>> special.kl_div(np.array([0.0, 1.0]), np.array([1.0, 0.5]))
array([1.        , 0.19314718])
>>> bc.grad(lambda x, y: special.kl_div(x, y).sum(), argnums=(0, 1))(np.array([0.0, 1.0]), np.array([1.0, 0.5]))
(array([      -inf, 0.69314718]), array([ 1., -1.]))
"""),
    'gammaincinv': ('The inverse of ``gammainc`` in x (``scipy.special.gammaincinv``); dx/dy = 1 / density, dx/da = -(dP/da) / density (implicit function theorem).', """
>>> round(float(special.gammaincinv(1.0, 1.0 - np.exp(-2.0))), 6)  # P(1, x) = 1 - exp(-x)
2.0
>>> round(float(bc.grad(lambda y: special.gammaincinv(1.0, y))(0.5)), 6)  # 1 / exp(-x) at x = log 2
2.0
"""),
    'gammainccinv': ('The inverse of ``gammaincc`` in x (``scipy.special.gammainccinv``); dx/dy = -1 / density, dx/da = -(dP/da) / density.', """
>>> round(float(special.gammainccinv(1.0, np.exp(-2.0))), 6)  # Q(1, x) = exp(-x)
2.0
>>> round(float(bc.grad(lambda y: special.gammainccinv(1.0, y))(0.5)), 6)  # -1 / exp(-x) at x = log 2
-2.0
"""),
    'betaincinv': ('The inverse of ``betainc`` in x (``scipy.special.betaincinv``); dx/dy = 1 / density, dx/da = -(dI/da) / density, dx/db likewise.', """
>>> float(special.betaincinv(1.0, 1.0, 0.3))  # the uniform: x = y
0.3
>>> [round(float(g), 6) for g in bc.grad(special.betaincinv, argnums=(0, 1, 2))(2.0, 3.0, 0.5)]
[0.140026, -0.088318, 0.572553]
"""),
    'stdtrit': ("The inverse of ``stdtr`` in t, Student's t quantile (``scipy.special.stdtrit``); dt/dp = 1 / density, dt/ddf = -(d stdtr/ddf) / density.", """
>>> round(float(special.stdtrit(1.0, 0.75)), 6)  # Cauchy: tan(pi / 4)
1.0
>>> [round(float(g), 6) for g in bc.grad(special.stdtrit, argnums=(0, 1))(1.0, 0.75)]  # d/ddf, pi (1 + t**2)
[-0.415966, 6.283185]
"""),
    'softmax': (None, """
>>> special.softmax(np.array([0.0, np.log(3.0)]))
array([0.25, 0.75])
>>> bc.grad(lambda x: special.softmax(x)[0])(np.array([0.0, np.log(3.0)]))  # s0 (e0 - s): 3/16, -3/16
array([ 0.1875, -0.1875])
"""),
    'log_softmax': (None, """
>>> special.log_softmax(np.array([0.0, np.log(3.0)]))
array([-1.38629436, -0.28768207])
>>> bc.grad(lambda x: special.log_softmax(x)[0])(np.array([0.0, np.log(3.0)]))  # e0 - softmax(x)
array([ 0.75, -0.75])
"""),
}

STATS = {
    # -- backchain.scipy.stats (backchain/scipy/stats.py) --
    'norm.logpdf': ('Log-density of the normal distribution (``scipy.stats.norm.logpdf``), differentiable in ``x``, ``loc`` and ``scale``.', """
>>> float(stats.norm.logpdf(0.0))  # -log(2 pi) / 2
-0.9189385332046727
>>> [float(g) for g in bc.grad(stats.norm.logpdf, argnums=(0, 1, 2))(1.0, 0.0, 2.0)]  # -z/s, z/s, (z**2 - 1)/s with z = (x - loc)/s
[-0.25, 0.25, -0.375]
"""),
    'norm.pdf': ('Density of the normal distribution (``scipy.stats.norm.pdf``), differentiable in ``x``, ``loc`` and ``scale``.', """
>>> float(stats.norm.pdf(0.0))
0.3989422804014327
>>> float(bc.grad(stats.norm.pdf)(1.0))  # -x pdf(x)
-0.24197072451914337
"""),
    'norm.cdf': ('Cumulative distribution function of the normal distribution (``scipy.stats.norm.cdf``), differentiable in ``x``, ``loc`` and ``scale``.', """
>>> float(stats.norm.cdf(0.0))
0.5
>>> float(bc.grad(stats.norm.cdf)(0.0))  # pdf(0) = 1/sqrt(2 pi)
0.3989422804014327
"""),
    'norm.logcdf': ('Log of the normal CDF, accurate in the left tail (``scipy.stats.norm.logcdf``), differentiable in ``x``, ``loc`` and ``scale``.', """
>>> float(stats.norm.logcdf(0.0))  # log(1/2)
-0.6931471805599453
>>> float(bc.grad(stats.norm.logcdf)(0.0))  # pdf(0) / cdf(0)
0.7978845608028654
"""),
    'norm.sf': ('Survival function ``1 - cdf`` of the normal distribution (``scipy.stats.norm.sf``), differentiable in ``x``, ``loc`` and ``scale``.', """
>>> float(stats.norm.sf(0.0))
0.5
>>> float(bc.grad(stats.norm.sf)(0.0))  # -pdf(0)
-0.3989422804014327
"""),
    'norm.logsf': ('Log of the normal survival function, accurate in the right tail (``scipy.stats.norm.logsf``), differentiable in ``x``, ``loc`` and ``scale``.', """
>>> float(stats.norm.logsf(0.0))
-0.6931471805599453
>>> float(bc.grad(stats.norm.logsf)(0.0))  # -pdf(0) / sf(0)
-0.7978845608028654
"""),
    'norm.ppf': ('Quantile function (inverse CDF) of the normal distribution (``scipy.stats.norm.ppf``), differentiable in ``q``, ``loc`` and ``scale``.', """
>>> float(stats.norm.ppf(0.5, loc=1.0, scale=2.0))
1.0
>>> [round(float(g), 6) for g in bc.grad(stats.norm.ppf, argnums=(0, 1, 2))(0.5, 1.0, 2.0)]  # scale / pdf(0), 1, ndtri(0.5)
[5.013257, 1.0, 0.0]
"""),
    't.logpdf': ("Log-density of Student's t distribution (``scipy.stats.t.logpdf``), differentiable in ``x``, ``df``, ``loc`` and ``scale``.", """
>>> round(float(stats.t.logpdf(0.0, 1.0)), 6)  # Cauchy: -log(pi)
-1.14473
>>> float(bc.grad(stats.t.logpdf)(1.0, 1.0))  # -(df + 1) x / (df + x**2)
-1.0
"""),
    't.pdf': ("Density of Student's t distribution (``scipy.stats.t.pdf``), differentiable in ``x``, ``df``, ``loc`` and ``scale``.", """
>>> round(float(stats.t.pdf(0.0, 1.0)), 6)  # Cauchy: 1/pi
0.31831
>>> round(float(bc.grad(stats.t.pdf)(1.0, 1.0)), 6)  # -2x / (pi (1 + x**2)**2)
-0.159155
"""),
    'gamma.logpdf': ('Log-density of the gamma distribution with shape ``a`` (``scipy.stats.gamma.logpdf``), differentiable in ``x``, ``a``, ``loc`` and ``scale``.', """
>>> float(stats.gamma.logpdf(1.0, 2.0))  # log(x) - x - gammaln(2)
-1.0
>>> [round(float(g), 6) for g in bc.grad(stats.gamma.logpdf, argnums=(0, 1))(1.0, 2.0)]  # (a - 1)/x - 1, log(x) - digamma(a)
[0.0, -0.422784]
"""),
    'gamma.pdf': ('Density of the gamma distribution with shape ``a`` (``scipy.stats.gamma.pdf``), differentiable in ``x``, ``a``, ``loc`` and ``scale``.', """
>>> round(float(stats.gamma.pdf(1.0, 2.0)), 6)  # x exp(-x)
0.367879
>>> round(float(bc.grad(stats.gamma.pdf)(2.0, 2.0)), 6)  # (1 - x) exp(-x)
-0.135335
"""),
    'beta.logpdf': ('Log-density of the beta distribution (``scipy.stats.beta.logpdf``), differentiable in ``x``, ``a``, ``b``, ``loc`` and ``scale``.', """
>>> round(float(stats.beta.logpdf(0.5, 2.0, 2.0)), 6)  # log(6 x (1 - x))
0.405465
>>> float(bc.grad(stats.beta.logpdf)(0.25, 2.0, 2.0))  # (a - 1)/x - (b - 1)/(1 - x)
2.666666666666667
"""),
    'beta.pdf': ('Density of the beta distribution (``scipy.stats.beta.pdf``), differentiable in ``x``, ``a``, ``b``, ``loc`` and ``scale``.', """
>>> round(float(stats.beta.pdf(0.5, 2.0, 2.0)), 6)  # 6 x (1 - x)
1.5
>>> round(float(bc.grad(stats.beta.pdf)(0.25, 2.0, 2.0)), 6)  # 6 (1 - 2x)
3.0
"""),
    't.cdf': ("Cumulative distribution function of Student's t distribution (``scipy.stats.t.cdf``), differentiable in every argument (``df`` to second order).", """
>>> float(stats.t.cdf(0.0, 3.0))
0.5
>>> round(float(bc.grad(stats.t.cdf)(1.0, 1.0)), 6)  # the density: Cauchy 1 / (2 pi)
0.159155
>>> round(float(bc.grad(stats.t.cdf, argnums=1)(1.0, 1.0)), 6)  # d/ddf
0.066203
"""),
    't.logcdf': ("Log of the CDF of Student's t distribution (``scipy.stats.t.logcdf``), differentiable in every argument.", """
>>> round(float(stats.t.logcdf(0.0, 3.0)), 6)  # log(1/2)
-0.693147
>>> round(float(bc.grad(stats.t.logcdf)(0.0, 1.0)), 6)  # pdf / cdf = 2 / pi
0.63662
"""),
    't.sf': ("Survival function ``1 - cdf`` of Student's t distribution (``scipy.stats.t.sf``), differentiable in every argument.", """
>>> round(float(stats.t.sf(1.0, 1.0)), 6)  # Cauchy: 1/4
0.25
>>> round(float(bc.grad(stats.t.sf)(1.0, 1.0)), 6)  # -pdf
-0.159155
"""),
    't.logsf': ("Log of the survival function of Student's t distribution (``scipy.stats.t.logsf``), differentiable in every argument.", """
>>> round(float(stats.t.logsf(1.0, 1.0)), 6)  # log(1/4)
-1.386294
>>> round(float(bc.grad(stats.t.logsf)(1.0, 1.0)), 6)  # -pdf / sf = -2 / pi
-0.63662
"""),
    'gamma.cdf': ('Cumulative distribution function of the gamma distribution, ``gammainc(a, (x - loc) / scale)`` (``scipy.stats.gamma.cdf``), differentiable in ``x``, ``a``, ``loc`` and ``scale``.', """
>>> round(float(stats.gamma.cdf(1.0, 1.0)), 6)  # 1 - exp(-1)
0.632121
>>> [round(float(g), 6) for g in bc.grad(stats.gamma.cdf, argnums=(0, 1))(1.0, 1.0)]  # the density; d/da by series
[0.367879, -0.43173]
"""),
    'gamma.logcdf': ('Log of the CDF of the gamma distribution (``scipy.stats.gamma.logcdf``), differentiable in ``x``, ``a``, ``loc`` and ``scale``.', """
>>> round(float(stats.gamma.logcdf(1.0, 1.0)), 6)
-0.458675
>>> round(float(bc.grad(stats.gamma.logcdf)(1.0, 1.0)), 6)  # pdf / cdf = 1 / (e - 1)
0.581977
"""),
    'gamma.sf': ('Survival function of the gamma distribution, ``gammaincc(a, (x - loc) / scale)`` (``scipy.stats.gamma.sf``), differentiable in ``x``, ``a``, ``loc`` and ``scale``.', """
>>> round(float(stats.gamma.sf(1.0, 1.0)), 6)  # exp(-1)
0.367879
>>> round(float(bc.grad(stats.gamma.sf)(1.0, 1.0)), 6)  # -pdf
-0.367879
"""),
    'gamma.logsf': ('Log of the survival function of the gamma distribution (``scipy.stats.gamma.logsf``), differentiable in ``x``, ``a``, ``loc`` and ``scale``.', """
>>> float(stats.gamma.logsf(2.0, 1.0))  # -x for a == 1
-2.0
>>> float(bc.grad(stats.gamma.logsf)(2.0, 1.0))
-1.0
"""),
    'chi2.logpdf': ("Log-density of the chi-squared distribution, the gamma's with shape ``df / 2`` and scale ``2 scale`` (``scipy.stats.chi2.logpdf``), differentiable in ``x``, ``df``, ``loc`` and ``scale``.", """
>>> round(float(stats.chi2.logpdf(1.5, 3.0)), 6)
-1.466206
>>> round(float(bc.grad(stats.chi2.logpdf)(1.5, 3.0)), 6)  # (df/2 - 1) / x - 1/2
-0.166667
"""),
    'chi2.pdf': ('Density of the chi-squared distribution (``scipy.stats.chi2.pdf``), differentiable in ``x``, ``df``, ``loc`` and ``scale``.', """
>>> round(float(stats.chi2.pdf(2.0, 2.0)), 6)  # exp(-x/2) / 2
0.18394
>>> round(float(bc.grad(stats.chi2.pdf)(2.0, 2.0)), 6)  # -exp(-x/2) / 4
-0.09197
"""),
    'chi2.cdf': ('Cumulative distribution function of the chi-squared distribution, ``gammainc(df / 2, x / 2)`` (``scipy.stats.chi2.cdf``), differentiable in ``x``, ``df``, ``loc`` and ``scale``.', """
>>> round(float(stats.chi2.cdf(2.0, 2.0)), 6)  # 1 - exp(-1)
0.632121
>>> [round(float(g), 6) for g in bc.grad(stats.chi2.cdf, argnums=(0, 1))(2.0, 2.0)]  # pdf; d/ddf (a series)
[0.18394, -0.215865]
"""),
    'chi2.logcdf': ('Log of the CDF of the chi-squared distribution (``scipy.stats.chi2.logcdf``), differentiable in ``x``, ``df``, ``loc`` and ``scale``.', """
>>> round(float(stats.chi2.logcdf(2.0, 2.0)), 6)
-0.458675
>>> round(float(bc.grad(stats.chi2.logcdf)(2.0, 2.0)), 6)  # pdf / cdf
0.290988
"""),
    'chi2.sf': ('Survival function of the chi-squared distribution (``scipy.stats.chi2.sf``), differentiable in ``x``, ``df``, ``loc`` and ``scale``.', """
>>> round(float(stats.chi2.sf(2.0, 2.0)), 6)  # exp(-1)
0.367879
>>> round(float(bc.grad(stats.chi2.sf)(2.0, 2.0)), 6)  # -pdf
-0.18394
"""),
    'chi2.logsf': ('Log of the survival function of the chi-squared distribution (``scipy.stats.chi2.logsf``), differentiable in ``x``, ``df``, ``loc`` and ``scale``.', """
>>> float(stats.chi2.logsf(3.0, 2.0))  # -x / 2
-1.5
>>> float(bc.grad(stats.chi2.logsf)(3.0, 2.0))
-0.5
"""),
    'beta.cdf': ('Cumulative distribution function of the beta distribution, ``betainc(a, b, (x - loc) / scale)`` (``scipy.stats.beta.cdf``), differentiable in every argument (``a`` and ``b`` to second order).', """
>>> float(stats.beta.cdf(0.5, 2.0, 3.0))
0.6875
>>> round(float(bc.grad(stats.beta.cdf)(0.5, 2.0, 3.0)), 6)  # the density 12 x (1 - x)**2
1.5
"""),
    'beta.logcdf': ('Log of the CDF of the beta distribution (``scipy.stats.beta.logcdf``), differentiable in every argument.', """
>>> round(float(stats.beta.logcdf(0.5, 1.0, 1.0)), 6)  # log(x) for the uniform
-0.693147
>>> float(bc.grad(stats.beta.logcdf)(0.5, 1.0, 1.0))  # 1 / x
2.0
"""),
    'beta.sf': ('Survival function of the beta distribution, ``betainc(b, a, 1 - z)`` (``scipy.stats.beta.sf``), differentiable in every argument.', """
>>> float(stats.beta.sf(0.5, 2.0, 3.0))
0.3125
>>> round(float(bc.grad(stats.beta.sf)(0.5, 2.0, 3.0)), 6)  # -pdf
-1.5
"""),
    'beta.logsf': ('Log of the survival function of the beta distribution (``scipy.stats.beta.logsf``), differentiable in every argument.', """
>>> round(float(stats.beta.logsf(0.5, 1.0, 1.0)), 6)  # log(1 - x) for the uniform
-0.693147
>>> float(bc.grad(stats.beta.logsf)(0.5, 1.0, 1.0))  # -1 / (1 - x)
-2.0
"""),
    'poisson.cdf': ('Cumulative distribution function of the Poisson distribution, ``gammaincc(floor(k) + 1, mu)`` (``scipy.stats.poisson.cdf``), differentiable in ``mu``.', """
>>> round(float(stats.poisson.cdf(2, 3.0)), 6)
0.42319
>>> round(float(bc.grad(lambda mu: stats.poisson.cdf(2, mu))(3.0)), 6)  # -pmf(2, mu)
-0.224042
"""),
    'poisson.logcdf': ('Log of the CDF of the Poisson distribution (``scipy.stats.poisson.logcdf``), differentiable in ``mu``.', """
>>> float(stats.poisson.logcdf(0, 2.0))  # -mu
-2.0
>>> float(bc.grad(lambda mu: stats.poisson.logcdf(0, mu))(2.0))
-1.0
"""),
    'poisson.sf': ('Survival function of the Poisson distribution, ``gammainc(floor(k) + 1, mu)`` (``scipy.stats.poisson.sf``), differentiable in ``mu``.', """
>>> round(float(stats.poisson.sf(2, 3.0)), 6)
0.57681
>>> round(float(bc.grad(lambda mu: stats.poisson.sf(2, mu))(3.0)), 6)  # pmf(2, mu)
0.224042
"""),
    'poisson.logsf': ('Log of the survival function of the Poisson distribution (``scipy.stats.poisson.logsf``), differentiable in ``mu``.', """
>>> round(float(stats.poisson.logsf(0, 2.0)), 6)  # log(1 - exp(-mu))
-0.145413
>>> round(float(bc.grad(lambda mu: stats.poisson.logsf(0, mu))(2.0)), 6)  # 1 / (exp(mu) - 1)
0.156518
"""),
    'multivariate_normal.entropy': ('Differential entropy of the multivariate normal distribution (``scipy.stats.multivariate_normal.entropy``), differentiable in ``cov``; a singular ``cov`` counts its rank, as in SciPy.', """
>>> round(float(stats.multivariate_normal.entropy(np.zeros(2), 2.0 * np.eye(2))), 6)
3.531024
>>> bc.grad(lambda c: stats.multivariate_normal.entropy(np.zeros(2), c))(2.0 * np.eye(2))  # inv(cov) / 2
array([[0.25, 0.  ],
       [0.  , 0.25]])
"""),
    'norm.isf': ('Inverse survival function of the normal distribution (``scipy.stats.norm.isf``), differentiable in ``q``, ``loc`` and ``scale``.', """
>>> float(stats.norm.isf(0.5, loc=1.0))
1.0
>>> round(float(bc.grad(stats.norm.isf)(0.5)), 6)  # -1 / pdf(0)
-2.506628
"""),
    't.ppf': ("Quantile function of Student's t distribution (``scipy.stats.t.ppf``), differentiable in every argument (``df`` to second order).", """
>>> round(float(stats.t.ppf(0.75, 1.0)), 6)  # Cauchy: 1
1.0
>>> [round(float(g), 6) for g in bc.grad(stats.t.ppf, argnums=(0, 1))(0.75, 1.0)]  # 1 / pdf, d/ddf
[6.283185, -0.415966]
"""),
    't.isf': ("Inverse survival function of Student's t distribution (``scipy.stats.t.isf``), differentiable in every argument.", """
>>> round(float(stats.t.isf(0.25, 1.0)), 6)  # Cauchy: 1
1.0
>>> round(float(bc.grad(stats.t.isf)(0.25, 1.0)), 6)  # -1 / pdf
-6.283185
"""),
    'gamma.ppf': ('Quantile function of the gamma distribution, ``loc + scale * gammaincinv(a, q)`` (``scipy.stats.gamma.ppf``), differentiable in every argument (``a`` to second order).', """
>>> round(float(stats.gamma.ppf(0.5, 1.0)), 6)  # log 2
0.693147
>>> [round(float(g), 6) for g in bc.grad(stats.gamma.ppf, argnums=(0, 1))(0.5, 1.0)]  # 1 / pdf, d/da
[2.0, 0.968045]
"""),
    'gamma.isf': ('Inverse survival function of the gamma distribution, ``loc + scale * gammainccinv(a, q)`` (``scipy.stats.gamma.isf``), differentiable in every argument.', """
>>> round(float(stats.gamma.isf(0.5, 1.0)), 6)  # log 2
0.693147
>>> round(float(bc.grad(stats.gamma.isf)(0.5, 1.0)), 6)  # -1 / pdf
-2.0
"""),
    'chi2.ppf': ('Quantile function of the chi-squared distribution (``scipy.stats.chi2.ppf``), differentiable in every argument (``df`` to second order).', """
>>> round(float(stats.chi2.ppf(0.5, 2.0)), 6)  # 2 log 2
1.386294
>>> [round(float(g), 6) for g in bc.grad(stats.chi2.ppf, argnums=(0, 1))(0.5, 2.0)]
[4.0, 0.968045]
"""),
    'chi2.isf': ('Inverse survival function of the chi-squared distribution (``scipy.stats.chi2.isf``), differentiable in every argument.', """
>>> round(float(stats.chi2.isf(0.5, 2.0)), 6)  # 2 log 2
1.386294
>>> round(float(bc.grad(stats.chi2.isf)(0.5, 2.0)), 6)
-4.0
"""),
    'beta.ppf': ('Quantile function of the beta distribution, ``loc + scale * betaincinv(a, b, q)`` (``scipy.stats.beta.ppf``), differentiable in every argument (``a``, ``b`` to second order).', """
>>> float(stats.beta.ppf(0.3, 1.0, 1.0))  # the uniform
0.3
>>> [round(float(g), 6) for g in bc.grad(stats.beta.ppf, argnums=(0, 1, 2))(0.5, 2.0, 3.0)]
[0.572553, 0.140026, -0.088318]
"""),
    'beta.isf': ('Inverse survival function of the beta distribution, ``loc + scale * (1 - betaincinv(b, a, q))`` (``scipy.stats.beta.isf``), differentiable in every argument.', """
>>> float(stats.beta.isf(0.3, 1.0, 1.0))  # the uniform: 1 - q
0.7
>>> round(float(bc.grad(stats.beta.isf)(0.5, 2.0, 3.0)), 6)  # -1 / pdf
-0.572553
"""),
    'dirichlet.logpdf': (None, """
>>> x, alpha = np.array([0.2, 0.3, 0.5]), np.array([1.0, 2.0, 3.0])
>>> round(float(stats.dirichlet.logpdf(x, alpha)), 6)
1.504077
>>> bc.grad(lambda x: stats.dirichlet.logpdf(x, alpha))(x).round(6)  # (alpha - 1) / x
array([0.      , 3.333333, 4.      ])
"""),
    'dirichlet.pdf': ('Density of the Dirichlet distribution (``scipy.stats.dirichlet.pdf``), differentiable in ``x`` and ``alpha``.', """
>>> x, alpha = np.array([0.5, 0.5]), np.array([2.0, 2.0])
>>> round(float(stats.dirichlet.pdf(x, alpha)), 6)  # 6 x0 x1
1.5
>>> bc.grad(lambda alpha: stats.dirichlet.pdf(x, alpha))(alpha).round(6)  # pdf (log x_i + digamma(4) - digamma(2))
array([0.210279, 0.210279])
"""),
    'poisson.logpmf': (None, """
>>> round(float(stats.poisson.logpmf(2, 2.0)), 6)  # 2 log(2) - log(2!) - 2
-1.306853
>>> float(bc.grad(lambda mu: stats.poisson.logpmf(2, mu))(4.0))  # k / mu - 1
-0.5
"""),
    'poisson.pmf': ('Probability mass function of the Poisson distribution (``scipy.stats.poisson.pmf``), differentiable in ``mu``.', """
>>> round(float(stats.poisson.pmf(1, 1.0)), 6)  # exp(-1)
0.367879
>>> float(bc.grad(lambda mu: stats.poisson.pmf(1, mu))(1.0))  # (1 - mu) exp(-mu) = 0 at mu = 1
0.0
"""),
    'multivariate_normal.logpdf': (None, """
>>> x, mean, cov = np.array([1.0, 0.0]), np.zeros(2), np.array([[2.0, 0.0], [0.0, 1.0]])
>>> round(float(stats.multivariate_normal.logpdf(x, mean, cov)), 6)
-2.434451
>>> bc.grad(lambda x: stats.multivariate_normal.logpdf(x, mean, cov))(x).round(6) + 0.0  # -inv(cov) (x - mean)
array([-0.5,  0. ])
"""),
    'multivariate_normal.pdf': ('Density of the multivariate normal distribution (``scipy.stats.multivariate_normal.pdf``), differentiable in ``x``, ``mean`` and ``cov``.', """
>>> x = np.zeros(2)
>>> round(float(stats.multivariate_normal.pdf(x, np.zeros(2), np.eye(2))), 6)  # 1 / (2 pi)
0.159155
>>> bc.grad(lambda m: stats.multivariate_normal.pdf(x, m, np.eye(2)))(np.array([1.0, 0.0])).round(6) + 0.0  # pdf inv(cov) (x - m)
array([-0.096532,  0.      ])
"""),
}

LINALG = {
    # -- backchain.scipy.linalg (backchain/_rules/scipy_linalg.py) --
    'cholesky': (None, """
>>> a = np.array([[4.0, 2.0], [2.0, 5.0]])
>>> linalg.cholesky(a).round(6)  # upper by default, as in SciPy
array([[2., 1.],
       [0., 2.]])
>>> bc.grad(lambda a: linalg.cholesky(a)[0, 0])(a).round(6) + 0.0  # sqrt(a00): 1/4
array([[0.25, 0.  ],
       [0.  , 0.  ]])
"""),
    'cho_factor': (None, """
>>> a = np.array([[4.0, 2.0], [2.0, 5.0]])
>>> c, lower = linalg.cho_factor(a, lower=True)
>>> c.round(6), lower  # the factor L (the other triangle is zero)
(array([[2., 0.],
       [1., 2.]]), True)
>>> bc.grad(lambda a: linalg.cho_factor(a, lower=True)[0][1, 0])(a).round(6) + 0.0  # a10 / sqrt(a00)
array([[-0.125,  0.   ],
       [ 0.5  ,  0.   ]])
"""),
    'cho_solve': (None, """
>>> a, b = np.array([[4.0, 2.0], [2.0, 5.0]]), np.array([2.0, 1.0])
>>> factor = linalg.cho_factor(a)
>>> linalg.cho_solve(factor, b).round(6)  # solve(a, b)
array([0.5, 0. ])
>>> bc.grad(lambda b: linalg.cho_solve(linalg.cho_factor(a), b)[0])(b).round(6)  # row 0 of inv(a)
array([ 0.3125, -0.125 ])
"""),
    'solve_sylvester': (None, """
>>> a, b, q = np.array([[1.0]]), np.array([[2.0]]), np.array([[6.0]])
>>> linalg.solve_sylvester(a, b, q)  # x with a x + x b = q: 6 / 3
array([[2.]])
>>> bc.grad(lambda q: linalg.solve_sylvester(a, b, q).sum())(q).round(6)  # 1 / (a + b)
array([[0.333333]])
"""),
    'sqrtm': (None, """
>>> a = np.array([[4.0, 0.0], [0.0, 9.0]])
>>> linalg.sqrtm(a).round(6) + 0.0
array([[2., 0.],
       [0., 3.]])
>>> bc.grad(lambda a: bnp.trace(linalg.sqrtm(a)))(a).round(6) + 0.0  # 1 / (2 sqrt(a_ii)) on the diagonal
array([[0.25    , 0.      ],
       [0.      , 0.166667]])
"""),
}

SIGNAL = {
    # -- backchain.scipy.signal (backchain/_rules/signal.py) --
    'correlate': (None, """
>>> signal.correlate(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0]), mode="valid")
array([3., 5.])
>>> bc.grad(lambda x: signal.correlate(x, np.array([1.0, 1.0]), mode="valid").sum())(np.array([1.0, 2.0, 3.0]))
array([1., 2., 1.])
"""),
    'fftconvolve': (None, """
>>> signal.fftconvolve(np.array([1.0, 2.0, 3.0]), np.array([1.0, -1.0])).round(6) + 0.0
array([ 1.,  1.,  1., -3.])
>>> bc.grad(lambda x: signal.fftconvolve(x, np.array([1.0, -1.0]))[1])(np.array([1.0, 2.0, 3.0])).round(6) + 0.0  # out[1] = x1 - x0
array([-1.,  1.,  0.])
"""),
}
