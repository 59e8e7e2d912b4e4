"""Spec rows for backchain/_rules/special.py (backchain.scipy.special)."""
import numpy as np

from backchain.scipy import special as S
from backchain._rules.special import _d2betainc, _d2gammainc_da2, _dbetainc, _dgammainc_da, _stdtr_ddf
from tests.specs import Spec

U = [((),), ((3,),), ((2, 3),)]
B = [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3))]
POS = (0.5, 3.0)
UNIT = (0.05, 0.95)


def near(*points, margin=0.05):
    def avoid(x, *rest):
        return any(np.any(np.abs(x - p) < margin) for p in points)
    return avoid


def P(name):
    return (f"scipy.special.{name}",)


SPECS = [
    Spec(S.erf, U, prims=P("erf")),
    Spec(S.erfc, U, prims=P("erfc")),
    Spec(S.erfinv, U, prims=P("erfinv"), domain=(-0.9, 0.9)),
    Spec(S.erfcinv, U, prims=P("erfcinv"), domain=(0.1, 1.9)),
    Spec(S.ndtr, U, prims=P("ndtr"), domain=(-3.0, 3.0)),
    Spec(S.log_ndtr, U, prims=P("log_ndtr"), domain=(-6.0, 3.0)),
    Spec(S.ndtri, U, prims=P("ndtri"), domain=UNIT),
    Spec(S.expit, U, prims=P("expit"), domain=(-4.0, 4.0)),
    Spec(S.logit, U, prims=P("logit"), domain=UNIT),
    Spec(S.log1p, U, prims=P("log1p"), domain=(-0.5, 2.0)),
    Spec(S.expm1, U, prims=P("expm1")),
    Spec(S.gamma, U, prims=P("gamma"), domain=POS),
    Spec(S.gammaln, U, prims=P("gammaln"), domain=POS),
    Spec(S.digamma, U, prims=P("digamma"), domain=POS),
    Spec(lambda x: S.polygamma(2, x), U, prims=P("polygamma"), id="polygamma-2", domain=POS),
    Spec(lambda x: S.polygamma(np.array([0, 1, 3]), x), [((3,),), ((2, 3),)], prims=P("polygamma"),
         id="polygamma-orders", domain=POS),
    Spec(S.beta, B, prims=P("beta"), domain=POS, broadcast=True),
    Spec(S.betaln, B, prims=P("betaln"), domain=POS, broadcast=True),
    Spec(S.xlogy, B, prims=P("xlogy"), domain=(0.2, 2.0), broadcast=True),
    Spec(lambda x, y: S.xlogy(x - 1.0, y), B, prims=P("xlogy"), id="xlogy-signed-x", domain=(0.2, 2.0)),
    Spec(S.xlog1py, B, prims=P("xlog1py"), domain=(0.2, 2.0), broadcast=True),
    Spec(lambda x, y: S.xlog1py(x, y - 1.0), B, prims=P("xlog1py"), id="xlog1py-shifted", domain=(0.4, 2.0)),
    Spec(S.i0, U, prims=P("i0")),
    Spec(S.i1, U, prims=P("i1")),
    Spec(S.i0e, U, prims=P("i0e"), avoid=near(0.0)),
    Spec(S.i1e, U, prims=P("i1e"), avoid=near(0.0)),
    Spec(S.j0, U, prims=P("j0"), domain=(-4.0, 4.0)),
    Spec(S.j1, U, prims=P("j1"), domain=(-4.0, 4.0)),
    Spec(S.y0, U, prims=P("y0"), domain=POS),
    Spec(S.y1, U, prims=P("y1"), domain=POS),
    # incomplete gamma and beta: the shapes to second order, x to any order
    Spec(S.gammainc, B, prims=P("gammainc"), id="gammainc-a-x", domain=(0.3, 4.0), broadcast=True),
    Spec(S.gammainc, B, prims=P("gammainc"), id="gammainc-x", domain=(0.3, 4.0), argnums=(1,)),
    Spec(lambda a, x: S.gammainc(a, 30.0 * x), B, prims=P("gammainc"), id="gammainc-fraction",
         domain=(0.3, 4.0)),
    Spec(S.gammaincc, B, prims=P("gammaincc"), id="gammaincc-a-x", domain=(0.3, 4.0), broadcast=True),
    Spec(S.gammaincc, B, prims=P("gammaincc"), id="gammaincc-x", domain=(0.3, 4.0), argnums=(1,)),
    Spec(_dgammainc_da, B, prims=P("gammainc_da"), id="gammainc_da-x", domain=(0.3, 4.0),
         argnums=(1,)),
    Spec(_d2gammainc_da2, B, prims=P("gammainc_da2"), id="gammainc_da2-x", domain=(0.3, 4.0), argnums=(1,)),
    Spec(lambda a, b, x: S.betainc(a, b, x), [((), (), ()), ((3,), (3,), (3,)), ((2, 1), (3,), (2, 3))],
         prims=P("betainc") + P("betainc_dab"), id="betainc-a-b-x", domain=UNIT, broadcast=True),
    # both sides of the continued fraction's switch point (a + 1) / (a + b + 2), larger shapes
    Spec(lambda a, b, x: S.betainc(20.0 * a, 20.0 * b, x), [((), (), ()), ((4,), (4,), (4,))],
         prims=P("betainc"), id="betainc-large-shapes", domain=(0.2, 0.8)),
    Spec(lambda a, b, x: S.betainc(a, b, x), [((), (), ()), ((3,), (3,), (3,))], prims=P("betainc"),
         id="betainc-x", domain=UNIT, argnums=(2,)),
    Spec(lambda x, a, b: S.betainc(2.0 * a, 2.0 * b, x), [((), (), ()), ((3,), (3,), (3,))],
         prims=P("betainc"), id="betainc-x-second-order-in-a-b", domain=UNIT, argnums=(0,)),
    Spec(lambda a, b, x: _dbetainc(a, b, x, wrt=0), [((), (), ()), ((3,), (3,), (3,))], prims=P("betainc_dab"),
         id="betainc_dab-a-x", domain=UNIT, argnums=(2,)),
    Spec(lambda a, b, x: _dbetainc(a, b, x, wrt=1), [((), (), ()), ((3,), (3,), (3,))], prims=P("betainc_dab"),
         id="betainc_dab-b-x", domain=UNIT, argnums=(2,)),
    *[Spec(lambda a, b, x, i=i, j=j: _d2betainc(a, b, x, i=i, j=j), [((), (), ()), ((3,), (3,), (3,))],
           prims=P("betainc_dab2"), id=f"betainc_dab2-{i}{j}-x", domain=UNIT, argnums=(2,))
      for i, j in ((0, 0), (0, 1), (1, 1))],
    Spec(lambda t, df: S.stdtr(2.0 * df, t), B, prims=P("stdtr"), id="stdtr-t", domain=(0.3, 3.0), argnums=(0,),
         broadcast=True),
    Spec(lambda t, df: S.stdtr(2.0 * df, 2.0 * t - 3.0), B, prims=P("stdtr"), id="stdtr-t-df", domain=(0.3, 3.0),
         broadcast=True),
    Spec(lambda df, t: _stdtr_ddf(df, 2.0 * t - 3.0), B, prims=P("stdtr_ddf"), id="stdtr_ddf", domain=(0.3, 3.0),
         order=1),
    Spec(lambda df, t: _stdtr_ddf(df, 2.0 * t - 3.0), B, prims=P("stdtr_ddf"), id="stdtr_ddf-t", domain=(0.3, 3.0),
         argnums=(1,)),
    Spec(lambda t, df: S.stdtr(2.0 * df, t - 1.5), B, prims=P("stdtr"), id="stdtr-t-negative", domain=(0.3, 3.0),
         argnums=(0,)),
    # the inverses (implicit function theorem), the shapes to second order
    Spec(lambda a, y: S.gammaincinv(a, y / 2.5), B, prims=P("gammaincinv"), domain=(0.3, 2.0), broadcast=True),
    Spec(lambda a, y: S.gammainccinv(a, y / 2.5), B, prims=P("gammainccinv"), domain=(0.3, 2.0)),
    Spec(lambda a, b, y: S.betaincinv(a, b, y), [((), (), ()), ((3,), (3,), (3,))], prims=P("betaincinv"),
         domain=UNIT),
    Spec(lambda df, p: S.stdtrit(df, p / 2.5), B, prims=P("stdtrit"), domain=(0.3, 2.0)),
    # Bessel functions of any order, differentiable in x
    Spec(lambda x: S.jv(2.5, x), U, prims=P("jv"), id="jv", domain=(0.5, 6.0)),
    Spec(lambda x: S.jn(np.array([0, 1, 3]), x), [((3,),), ((2, 3),)], prims=P("jv"), id="jn-orders",
         domain=(-4.0, 4.0)),
    Spec(lambda x: S.yn(np.array([0, 1, 3]), x), [((3,),), ((2, 3),)], prims=P("yn"), id="yn-orders",
         domain=(0.5, 4.0)),
    Spec(lambda x: S.iv(np.array([0.0, 1.5, 3.0]), x), [((3,),), ((2, 3),)], prims=P("iv"), id="iv-orders",
         domain=POS),
    Spec(lambda x: S.ive(np.array([0.0, 1.0, 2.5]), x), [((3,),), ((2, 3),)], prims=P("ive"), id="ive-orders",
         domain=POS),
    Spec(lambda x: S.ive(1, x), U, prims=P("ive"), id="ive-negative-x", domain=(-3.0, -0.3)),
    Spec(lambda x: S.yv(np.array([0.0, 1.5, 3.0]), x), [((3,),), ((2, 3),)], prims=P("yv"), id="yv-orders",
         domain=(0.5, 4.0)),
    Spec(lambda x: S.kv(np.array([0.0, 0.7, 2.5]), x), [((3,),), ((2, 3),)], prims=P("kv"), id="kv-orders",
         domain=POS),
    Spec(lambda x: S.kve(np.array([0.0, 0.7, 2.5]), x), [((3,),), ((2, 3),)], prims=P("kve"), id="kve-orders",
         domain=POS),
    Spec(S.k0, U, prims=P("k0"), domain=POS),
    Spec(S.k1, U, prims=P("k1"), domain=POS),
    Spec(S.k0e, U, prims=P("k0e"), domain=POS),
    Spec(S.k1e, U, prims=P("k1e"), domain=POS),
    Spec(S.exp1, U, prims=P("exp1"), domain=POS),
    Spec(S.expi, U, prims=P("expi"), domain=POS),
    Spec(lambda x: S.expi(-x), U, prims=P("expi"), id="expi-negative", domain=POS),
    Spec(S.erfcx, U, prims=P("erfcx")),
    Spec(S.log_expit, U, prims=P("log_expit"), domain=(-4.0, 4.0)),
    Spec(S.rel_entr, B, prims=P("rel_entr"), domain=POS, broadcast=True),
    Spec(S.kl_div, B, prims=P("kl_div"), domain=POS, broadcast=True),
    # reciprocal gamma (entire: across the poles of gamma), its sign, the multivariate log-gamma, entropy
    Spec(S.rgamma, U, prims=P("rgamma"), domain=(-3.5, 3.5)),
    Spec(S.gammasgn, U, prims=P("gammasgn"), domain=(-3.5, 3.5), avoid=near(0.0, -1.0, -2.0, -3.0)),
    Spec(lambda a: S.multigammaln(a, 3), U, prims=P("gammaln"), id="multigammaln", domain=(1.5, 4.0)),
    Spec(S.entr, U, prims=P("entr"), domain=POS),
    # Composites.
    Spec(S.logsumexp, U, prims=P("logsumexp"), id="logsumexp", complex=True),
    Spec(lambda x: S.logsumexp(x * 300.0, axis=0), [((3,),), ((3, 2),)], prims=P("logsumexp"),
         id="logsumexp-axis0-large", rtol=1e-4),
    Spec(lambda x: S.logsumexp(x, axis=1, keepdims=True), [((2, 3),)], prims=P("logsumexp"), id="logsumexp-keepdims"),
    Spec(lambda x, b: S.logsumexp(x, axis=-1, b=b), [((2, 3), (3,)), ((3,), (2, 3))], prims=P("logsumexp"),
         id="logsumexp-b", domain=(0.2, 2.0)),
    # weights of both signs: log |sum| (the sum stays negative, at least 0.87 from 0)
    Spec(lambda x, b: S.logsumexp(x, axis=-1, b=b * np.array([-6.0, 1.0, 0.5]), return_sign=True)[0],
         [((2, 3), (3,)), ((3,), (2, 3))], prims=P("logsumexp"), id="logsumexp-signed", domain=(0.5, 1.0)),
    Spec(lambda x: S.softmax(x, axis=-1), [((3,),), ((2, 3),)], prims=P("softmax"), id="softmax"),
    Spec(S.softmax, [((2, 3),)], prims=P("softmax"), id="softmax-all"),
    Spec(lambda x: S.log_softmax(x, axis=0), [((3,),), ((3, 2),)], prims=P("log_softmax"), id="log_softmax"),
]

COVERED_ELSEWHERE = {}
