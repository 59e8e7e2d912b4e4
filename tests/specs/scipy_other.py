"""Spec rows for backchain.scipy.stats, .linalg, .signal and .integrate."""
import numpy as np

import backchain.numpy as bnp
from backchain.scipy.stats import norm, t, gamma, beta, chi2, dirichlet, poisson, multivariate_normal as mvn
from backchain.scipy.linalg import (solve_triangular, solve_banded, cholesky, cho_factor, cho_solve, lu, lu_factor,
                                    lu_solve,
                                    solve_sylvester, sqrtm)
from backchain.scipy.signal import convolve, correlate, fftconvolve
from backchain.scipy.integrate import odeint
from tests.specs import Spec

POS = (0.3, 2.0)
B3 = [((), (), ()), ((3,), (3,), (3,)), ((2, 3), (3,), (2, 1))]
B2 = [((), ()), ((3,), (3,)), ((2, 3), (3,))]
I3 = np.eye(3)

ST = ("scipy.special.ndtr", "scipy.special.log_ndtr", "scipy.special.ndtri", "scipy.special.gammaln",
      "scipy.special.xlogy", "scipy.special.xlog1py", "scipy.special.betaln", "scipy.special.log1p")
TRI = ("scipy.linalg.solve_triangular",)
CONV = ("scipy.signal.convolve", "pad_or_crop")
ODE = ("scipy.integrate.odeint",)


def spd(a):
    return bnp.matmul(a, a.T) + I3


def _stats():
    return [
        Spec(norm.logpdf, B3, id="norm.logpdf", domain=POS, broadcast=True),
        Spec(norm.pdf, B3, id="norm.pdf", domain=POS),
        Spec(norm.cdf, B3, id="norm.cdf", prims=ST[:1], domain=POS, broadcast=True),
        Spec(lambda x, m, s: norm.logcdf(4.0 * x - 8.0, m, s), B3, id="norm.logcdf", prims=ST[1:2], domain=POS),
        Spec(norm.sf, B3, id="norm.sf", prims=ST[:1], domain=POS),
        Spec(norm.logsf, B3, id="norm.logsf", prims=ST[1:2], domain=POS),
        Spec(lambda q, m, s: norm.ppf(q / 2.1, m, s), B3, id="norm.ppf", prims=ST[2:3], domain=POS),
        Spec(lambda x, df, m, s: t.logpdf(x, df, m, s), [((), (), (), ()), ((3,), (3,), (), (3,))],
             id="t.logpdf", prims=("scipy.special.gammaln", "scipy.special.log1p"), domain=POS),
        Spec(lambda x, df: t.pdf(x, df), B2, id="t.pdf", domain=POS),
        Spec(lambda x, a, s: gamma.logpdf(x, a, 0.0, s), B3, id="gamma.logpdf", prims=ST[3:5], domain=POS),
        Spec(lambda x, a, loc, s: gamma.pdf(x + 2.0, a, loc, s), [((), (), (), ()), ((3,), (3,), (), (3,))],
             id="gamma.pdf-loc", domain=POS),
        Spec(lambda x, a, b: beta.logpdf(x / 2.5, a, b), B3, id="beta.logpdf", prims=ST[4:7], domain=POS),
        Spec(lambda x, a, b: beta.pdf(x / 2.5, a, b), B3, id="beta.pdf", domain=POS),
        Spec(lambda x, a: dirichlet.logpdf(x / bnp.sum(x, axis=0), a), [((3,), (3,)), ((3, 2), (3,))],
             id="dirichlet.logpdf", domain=POS),
        Spec(lambda x, a: dirichlet.pdf(x / (1.0 + bnp.sum(x, axis=0)), a), [((2,), (3,)), ((2, 2), (3,))],
             id="dirichlet.pdf-implicit-last", domain=POS),
        Spec(lambda mu: poisson.logpmf(np.array([0.0, 2.0, 5.0]), mu), [((),), ((3,),)], id="poisson.logpmf",
             domain=POS),
        Spec(lambda mu: poisson.pmf(np.array([[1.0], [3.0]]), mu), [((3,),)], id="poisson.pmf", domain=POS),
        # the cdf family: t's in x, loc, scale (df has no rule); gamma's and chi2's in every argument (the
        # shapes to second order); poisson's in mu
        *[Spec(lambda x, m, s, f=f: f(x - 1.0, 3.0, m, s), B3, id=f"t.{f.__name__.split('.')[1]}",
               prims=("scipy.special.stdtr",), domain=POS) for f in (t.cdf, t.logcdf, t.sf, t.logsf)],
        *[Spec(lambda x, df, s, f=f: f(x - 1.0, 2.0 * df, 0.1, s), B3, id=f"t.{f.__name__.split('.')[1]}-df",
               prims=("scipy.special.stdtr",), domain=POS) for f in (t.cdf, t.logcdf, t.sf, t.logsf)],
        *[Spec(lambda x, a, s, f=f: f(x + 0.1, a, 0.1, s), B3, id=f"gamma.{f.__name__.split('.')[1]}-x-a-scale",
               prims=("scipy.special.gammainc", "scipy.special.gammaincc"), domain=POS)
          for f in (gamma.cdf, gamma.logcdf, gamma.sf, gamma.logsf)],
        Spec(lambda x, loc, s: gamma.cdf(x, 1.5, 0.1 * loc - 0.5, s), B3, id="gamma.cdf-x-loc-scale", domain=POS),
        *[Spec(lambda x, df, s, f=f: f(x, df, 0.0, s), B3, id=f"chi2.{f.__name__.split('.')[1]}",
               prims=("scipy.special.gammainc", "scipy.special.gammaincc"), domain=POS)
          for f in (chi2.logpdf, chi2.pdf, chi2.cdf, chi2.logcdf, chi2.sf, chi2.logsf)],
        Spec(lambda x, s: chi2.cdf(x, 3.0, 0.0, s), B2, id="chi2.cdf-x-scale", domain=POS),
        *[Spec(lambda x, loc, s, f=f: f(x / 4.0, 2.0, 1.5, loc * 0.02, s + 1.0), B3,
               id=f"beta.{f.__name__.split('.')[1]}", prims=("scipy.special.betainc",), domain=POS)
          for f in (beta.cdf, beta.logcdf, beta.sf, beta.logsf)],
        *[Spec(lambda x, a, b, f=f: f(x / 2.5, a, b), B3, id=f"beta.{f.__name__.split('.')[1]}-a-b",
               prims=("scipy.special.betainc",), domain=POS)
          for f in (beta.cdf, beta.logcdf, beta.sf, beta.logsf)],
        *[Spec(lambda mu, f=f: f(np.array([0.0, 2.0, 5.5]), mu), [((),), ((3,),)], id=f"poisson.{f.__name__[8:]}",
               prims=("scipy.special.gammainc", "scipy.special.gammaincc"), domain=POS)
          for f in (poisson.cdf, poisson.logcdf, poisson.sf, poisson.logsf)],
        # quantiles: the inverses of the cdfs and sfs, in every argument
        *[Spec(lambda q, a, s, f=f: f(q / 2.5, a, 0.1, s), B3, id=f"{f.__name__}", domain=POS)
          for f in (t.ppf, t.isf, gamma.ppf, gamma.isf, chi2.ppf, chi2.isf)],
        *[Spec(lambda q, a, b, f=f: f(q / 2.5, a, b, 0.1, 2.0), B3, id=f"{f.__name__}", domain=POS)
          for f in (beta.ppf, beta.isf)],
        Spec(lambda q, m, s: norm.isf(q / 2.1, m, s), B3, id="norm.isf", prims=ST[2:3], domain=POS),
        # a singular covariance b b^T (rank 2 of 3), points in its support: along the matrices of rank 2
        Spec(lambda w, b: mvn.logpdf(bnp.matmul(w, b.T), 0.3 * b[:, 0] - 0.2 * b[:, 1], bnp.matmul(b, b.T),
                                     allow_singular=True), [((2,), (3, 2)), ((4, 2), (3, 2))],
             id="multivariate_normal.logpdf-singular", prims=("scipy.linalg.cholesky",) + TRI),
        Spec(lambda b: mvn.entropy(np.zeros(3), bnp.matmul(b, b.T)), [((3, 2),)],
             id="multivariate_normal.entropy-singular"),
        Spec(lambda a: mvn.entropy(None, spd(a)), [((3, 3),)], id="multivariate_normal.entropy"),
        Spec(lambda x, m, a: mvn.logpdf(x, m, spd(a)), [((3,), (3,), (3, 3)), ((4, 3), (3,), (3, 3))],
             id="multivariate_normal.logpdf", prims=("scipy.linalg.cholesky",) + TRI),
        Spec(lambda x, m, c: mvn.pdf(x, m, c), [((3,), (3,), (3,)), ((2, 3), (3,), ())],
             id="multivariate_normal.pdf-diagonal", domain=POS),
    ]


def _linalg():
    rows = []
    for trans in (0, 1, 2):  # 2: the conjugate transpose of a complex a (the transpose of a real one)
        for lower in (True, False):
            for unit in (False, True):
                def f(a, b, trans=trans, lower=lower, unit=unit):
                    return solve_triangular(a + 4.0 * I3, b, trans=trans, lower=lower, unit_diagonal=unit)
                rows.append(Spec(f, [((3, 3), (3,)), ((3, 3), (3, 2))], prims=TRI, complex=True,
                                 id=f"solve_triangular-t{trans}-{'L' if lower else 'U'}{'-unit' if unit else ''}"))
    # banded: the main diagonal (row u of the storage) kept away from 0
    for lower, upper in ((1, 1), (2, 0), (0, 2), (2, 1)):
        def f(ab, b, lower=lower, upper=upper):
            return solve_banded((lower, upper), ab + 4.0 * (np.arange(lower + upper + 1) == upper)[:, None], b)
        rows.append(Spec(f, [((lower + upper + 1, 4), (4,)), ((lower + upper + 1, 4), (4, 2))],
                         prims=("scipy.linalg.solve_banded",), id=f"solve_banded-{lower}-{upper}"))
    rows += [
        Spec(lambda a: cholesky(spd(a), lower=True), [((3, 3),)], prims=("scipy.linalg.cholesky",),
             id="cholesky-lower"),
        Spec(lambda a: cholesky(spd(a)), [((3, 3),)], prims=("scipy.linalg.cholesky",), id="cholesky-upper"),
        Spec(lambda a: cholesky(a + 5.0 * I3), [((3, 3),)], prims=("scipy.linalg.cholesky",),
             id="cholesky-unsymmetric-input"),
        # complex: the triangle read stands for a Hermitian matrix (small entries, 5 I: positive definite)
        Spec(lambda a: cholesky(0.3 * a + 5.0 * I3), [((3, 3),)], prims=("scipy.linalg.cholesky",),
             id="cholesky-hermitian-upper", complex=True),
        Spec(lambda a: cholesky(0.3 * a + 5.0 * I3, lower=True), [((3, 3),)], prims=("scipy.linalg.cholesky",),
             id="cholesky-hermitian-lower", complex=True),
        Spec(lambda a, b: cho_solve(cho_factor(spd(a), lower=True), b), [((3, 3), (3,)), ((3, 3), (3, 2))],
             prims=TRI, id="cho_solve-lower"),
        Spec(lambda a, b: cho_solve(cho_factor(spd(a)), b), [((3, 3), (3,))], prims=TRI, id="cho_solve-upper"),
        Spec(lambda a, b, q: solve_sylvester(a + 4.0 * np.eye(len(a)), b + 4.0 * np.eye(len(b)), q),
             [((3, 3), (3, 3), (3, 3)), ((3, 3), (2, 2), (3, 2))], prims=("scipy.linalg.solve_sylvester",),
             id="solve_sylvester", rtol=1e-4),
        Spec(lambda a: sqrtm(spd(a)), [((3, 3),)], prims=("scipy.linalg.sqrtm",), id="sqrtm-spd"),
        # LU: away from ties between pivot candidates (P is piecewise constant), any shape; complex too
        Spec(lambda a: bnp.concatenate([bnp.ravel(f) for f in lu(a + 4.0 * np.eye(*np.shape(a)))[1:]]),
             [((3, 3),), ((4, 3),), ((3, 4),)],
             prims=("scipy.linalg.lu",) + TRI, id="lu", complex=True),
        Spec(lambda a: lu_factor(a + 4.0 * I3)[0], [((3, 3),)], prims=("scipy.linalg.lu",) + TRI, id="lu_factor",
             complex=True),
        Spec(lambda a, b: lu_solve(lu_factor(a + 4.0 * I3), b), [((3, 3), (3,)), ((3, 3), (3, 2))],
             prims=("scipy.linalg.lu",) + TRI, id="lu_solve", complex=True),
        Spec(lambda a, b: lu_solve(lu_factor(a + 4.0 * I3), b, trans=2), [((3, 3), (3,)), ((3, 3), (3, 2))],
             prims=("scipy.linalg.lu",) + TRI, id="lu_solve-t2", complex=True),
        Spec(lambda a: sqrtm(a + 5.0 * I3), [((3, 3),)], prims=("scipy.linalg.sqrtm",), id="sqrtm-unsymmetric"),
    ]
    return rows


def _signal():
    rows = []
    shapes = {"full": [((5,), (3,)), ((3,), (4,)), ((3, 4), (2, 3))],
              "same": [((5,), (2,)), ((3,), (5,)), ((3, 4), (2, 3))],
              "valid": [((5,), (3,)), ((2,), (4,)), ((3, 4), (2, 3))]}
    for mode, cases in shapes.items():
        for method in ("direct", "fft"):
            rows.append(Spec(lambda a, b, mode=mode, method=method: convolve(a, b, mode=mode, method=method),
                             cases, prims=CONV, id=f"convolve-{mode}-{method}", complex=True))
    rows += [
        Spec(lambda a, b: correlate(a, b, mode="same"), [((5,), (3,)), ((3, 4), (2, 2))], prims=CONV,
             id="correlate-same", complex=True),
        Spec(lambda a, b: fftconvolve(a, b, mode="valid"), [((4, 5), (2, 3))], prims=CONV, id="fftconvolve"),
    ]
    # along some axes only, broadcasting along the others (in2 larger in mode 'valid': scipy swaps)
    axes_cases = {"full": [((3, 5), (3, 2)), ((1, 4), (2, 3))], "same": [((3, 5), (1, 3)), ((2, 3), (2, 5))],
                  "valid": [((3, 5), (3, 2)), ((2, 3), (2, 5))]}
    for mode, cases in axes_cases.items():
        rows.append(Spec(lambda a, b, mode=mode: fftconvolve(a, b, mode=mode, axes=1), cases,
                         prims=("scipy.signal.fftconvolve_axes", "pad_or_crop"), id=f"fftconvolve-axes-{mode}",
                         complex=True))
    rows.append(Spec(lambda a, b: fftconvolve(a, b, mode="same", axes=(0, 2)), [((3, 2, 4), (2, 2, 3))],
                     prims=("scipy.signal.fftconvolve_axes",), id="fftconvolve-axes-02"))
    return rows


def _decay(y, tt, k):
    return -k * y + bnp.sin(tt) * 0.3


def _coupled(y, tt, a):
    return bnp.tanh(bnp.matmul(a, y)) - 0.1 * y * tt


TIMES = np.array([0.0, 0.4, 1.0, 1.5])
OPTS = {"rtol": 1e-12, "atol": 1e-12}


def _integrate():
    common = dict(prims=ODE, order=2, rtol=1e-5, atol=1e-6, eps=1e-5)
    return [
        Spec(lambda y0, k: odeint(_decay, y0, TIMES, (k,), **OPTS), [((), ()), ((3,), ())], id="odeint-decay",
             domain=POS, **common),
        Spec(lambda y0, a: odeint(_coupled, y0, TIMES, (a,), **OPTS), [((2,), (2, 2))], id="odeint-coupled",
             **common),
        Spec(lambda y0, tt: odeint(_coupled, y0, tt, (np.array([[0.5, -1.0],
             [1.0, 0.2]]),), **OPTS), [((2,), (4,))], id="odeint-times",
             domain=lambda rng, shape: (rng.uniform(-1, 1, shape) if shape != (4,)
                                        else np.array([0.0, 0.3, 0.8, 1.4]) + rng.uniform(0, 0.05, 4)),
             **common),
        Spec(lambda y0, k: odeint(lambda tt, y, k: -k * y * y, y0, TIMES, (k,), tfirst=True, **OPTS),
             [((2, 2), ())], id="odeint-tfirst-matrix-state", domain=POS, **common),
        # parameters in nested containers (every array in them an input), time first
        Spec(lambda y0, w, k: odeint(lambda tt, y, p: bnp.tanh(bnp.matmul(p["W"], y)) * p["k"][0] - 0.2 * y * tt,
                                     y0, TIMES, ({"W": w, "k": [k]},), tfirst=True, **OPTS),
             [((2,), (2, 2), ())], id="odeint-nested-args", **common),
    ]


SPECS = _stats() + _linalg() + _signal() + _integrate()

COVERED_ELSEWHERE = {}
