"""Spec rows for backchain/_rules/special.py (backchain.scipy.special)."""
import numpy as np

from backchain.scipy import special as S
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
