"""The whole NumPy namespace (issue #17, item 3): every public name of NumPy (and of numpy.linalg,
numpy.fft, numpy.random) is in backchain.numpy; a pass-through given a traced Tensor gives NumPy's
result or raises an error naming itself, never a silently cut gradient; NumPy 2's named results;
the array_like cases of item 2 that the generated catalog does not reach (r_, c_, mixed lists,
constants of traced lists), against HIPS autograd and NumPy."""
import subprocess
import sys

import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
from backchain._core.tensor import Tensor
from backchain.numpy._nondiff import NAMES as NONDIFF, NUMPY_OWN

autograd = pytest.importorskip("autograd")
import autograd.numpy as anp  # noqa: E402

SUBMODULES = {"numpy": (np, bnp), "numpy.linalg": (np.linalg, bnp.linalg), "numpy.fft": (np.fft, bnp.fft),
              "numpy.random": (np.random, bnp.random), "numpy.emath": (np.emath, bnp.emath)}


def _pristine_names(module):
    """The public names of ``module`` in a fresh interpreter: other libraries add to NumPy's namespace
    when imported (numexpr sets ``numpy.expm1x``), and this suite imports them."""
    attr = ".".join(["numpy"] + module.split(".")[1:])  # numpy.emath is an attribute, not an importable module
    code = f"import numpy; m = {attr}; print(' '.join(n for n in dir(m) if not n.startswith('_')))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()


@pytest.mark.parametrize("module", list(SUBMODULES))
def test_every_public_numpy_name_exists(module):
    own, ours = SUBMODULES[module]
    missing = [n for n in _pristine_names(module) if not hasattr(ours, n)]
    assert not missing, f"backchain.{module} lacks {missing}"


def test_missing_name_message():
    with pytest.raises(AttributeError, match="no attribute 'not_a_numpy_name'"):
        bnp.not_a_numpy_name


# -- pass-throughs given a traced Tensor ------------------------------------------------------------------

X = np.array([0.5, 1.5, 2.5, 3.5])
INTS = np.array([1, 2, 3, 4])
DATES = np.array(["2024-01-05", "2024-01-06"], dtype="datetime64[D]")

# How each pass-through is called: m is numpy or backchain.numpy, t the array (traced for backchain).
# A function that takes no array is called on NumPy's data with the same arguments, so the comparison
# still checks that ours is NumPy's.
CALLS = {
    **{n: (lambda n: lambda m, t: getattr(m, n)(t, t))(n) for n in (
        "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and", "logical_or",
        "logical_xor", "isclose", "allclose", "array_equal", "array_equiv", "searchsorted", "isin", "floor_divide",
        "may_share_memory", "shares_memory")},
    **{n: (lambda n: lambda m, t: getattr(m, n)(INTS, 1))(n) for n in (
        "bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift", "bitwise_left_shift",
        "bitwise_right_shift", "gcd", "lcm")},
    **{n: (lambda n: lambda m, t: getattr(m, n)(INTS))(n) for n in (
        "invert", "bitwise_invert", "bitwise_not", "bitwise_count", "packbits", "tril_indices_from",
        "triu_indices_from", "diag_indices_from")},
    **{n: (lambda n: lambda m, t: getattr(m, n)(4))(n) for n in (
        "hamming", "hanning", "blackman", "bartlett", "diag_indices", "tril_indices", "triu_indices")},
    "tril_indices_from": lambda m, t: m.tril_indices_from(m.reshape(t, (2, 2))),
    "triu_indices_from": lambda m, t: m.triu_indices_from(m.reshape(t, (2, 2))),
    "diag_indices_from": lambda m, t: m.diag_indices_from(m.reshape(t, (2, 2))),
    "kaiser": lambda m, t: m.kaiser(4, 5.0),
    "mask_indices": lambda m, t: m.mask_indices(3, np.triu),
    "unpackbits": lambda m, t: m.unpackbits(np.array([177], dtype=np.uint8)),
    "digitize": lambda m, t: m.digitize(t, np.array([1.0, 2.0])),
    "bincount": lambda m, t: m.bincount(np.array([0, 1, 1, 3]), weights=t),
    "histogram": lambda m, t: m.histogram(t),
    "histogram_bin_edges": lambda m, t: m.histogram_bin_edges(t),
    "histogram2d": lambda m, t: m.histogram2d(t, t, bins=2),
    "histogramdd": lambda m, t: m.histogramdd(m.reshape(t, (2, 2)), bins=2),
    "result_type": lambda m, t: m.result_type(t, np.float32),
    "can_cast": lambda m, t: m.can_cast(t, np.float32),
    "common_type": lambda m, t: m.common_type(t),
    "min_scalar_type": lambda m, t: m.min_scalar_type(t),
    "unravel_index": lambda m, t: m.unravel_index(m.argmax(t), (2, 2)),
    "ravel_multi_index": lambda m, t: m.ravel_multi_index((np.array([0, 1]), np.array([1, 0])), (2, 2)),
    "argpartition": lambda m, t: m.argpartition(t, 1),
    "lexsort": lambda m, t: m.lexsort((t, t)),
    "ix_": lambda m, t: m.ix_(INTS, INTS),
    "einsum_path": lambda m, t: m.einsum_path("i,i->", t, t)[0],
    "format_float_positional": lambda m, t: m.format_float_positional(m.max(t)),
    "format_float_scientific": lambda m, t: m.format_float_scientific(m.max(t)),
    "isnat": lambda m, t: m.isnat(DATES),
    "is_busday": lambda m, t: m.is_busday(DATES),
    "busday_count": lambda m, t: m.busday_count(DATES[0], DATES[1]),
    "busday_offset": lambda m, t: m.busday_offset(DATES[0], 1),
    "datetime_as_string": lambda m, t: m.datetime_as_string(DATES),
    "bmat": lambda m, t: m.bmat([[m.reshape(t, (2, 2))]]),
    "copyto": lambda m, t: m.copyto(np.zeros(4), t),
    "place": lambda m, t: m.place(t, t > 1, [0.0]),
    "put": lambda m, t: m.put(t, [0], [0.0]),
    "putmask": lambda m, t: m.putmask(t, t > 1, 0.0),
    "put_along_axis": lambda m, t: m.put_along_axis(t, np.array([0]), 0.0, axis=0),
    "fill_diagonal": lambda m, t: m.fill_diagonal(m.reshape(t, (2, 2)), 0.0),
    "isscalar": lambda m, t: m.isscalar(t),
    "iterable": lambda m, t: m.iterable(t),
}
# Pass-throughs whose float result has derivative 0 (a step function of the input), so returning it
# without a gradient is exact.
ZERO_DERIVATIVE = {"spacing", "floor_divide"}
# Samples with no float input (integers, dates, sizes: nothing to trace); compared with NumPy only.
NO_FLOAT_INPUT = {
    "bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift", "bitwise_left_shift",
    "bitwise_right_shift", "gcd", "lcm", "invert", "bitwise_invert", "bitwise_not", "bitwise_count", "packbits",
    "hamming", "hanning", "blackman", "bartlett", "kaiser", "diag_indices", "tril_indices", "triu_indices",
    "mask_indices", "unpackbits", "ravel_multi_index", "ix_", "isnat", "is_busday", "busday_count",
    "busday_offset", "datetime_as_string",
}
# NumPy's own objects that take no array (configuration, files, types): their presence is checked above.
NO_ARRAY = {
    "base_repr", "binary_repr", "broadcast_shapes", "datetime_data", "isdtype", "issubdtype", "promote_types",
    "mintypecode", "typename", "seterr", "geterr", "seterrcall", "geterrcall", "setbufsize", "getbufsize",
    "set_printoptions", "get_printoptions", "printoptions", "show_config", "show_runtime", "get_include", "info",
    "load", "save", "savez", "savez_compressed", "loadtxt", "savetxt", "genfromtxt", "fromfile", "fromregex",
    "frombuffer", "fromstring", "fromiter", "fromfunction", "frompyfunc", "from_dlpack", "nested_iters",
    "asmatrix",
}


def _pass_throughs():
    own = [n for n in NUMPY_OWN if callable(getattr(np, n)) and not isinstance(getattr(np, n), type)
           and not type(getattr(np, n)).__name__ == "module"]
    return sorted(set(NONDIFF) | set(own) - NO_ARRAY)


def _outcome(call, m, t):
    try:
        return "ok", call(m, t)
    except Exception as e:  # noqa: BLE001 (the outcome is compared)
        return "error", e


def _inexact(out):
    leaves = list(out) if isinstance(out, (tuple, list)) else [out]
    return any(isinstance(v, (np.ndarray, np.generic, float)) and np.asarray(v).dtype.kind in "fc" for v in leaves)


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::RuntimeWarning")
@pytest.mark.parametrize("name", _pass_throughs())
def test_pass_through_with_traced_tensor(name):
    call = CALLS.get(name, lambda m, t: getattr(m, name)(t))
    plain = _outcome(call, np, X.copy())
    assert plain[0] == "ok", f"{name}: the sample call fails on NumPy itself: {plain[1]!r}"
    seen = {}

    def f(t):
        seen["outcome"] = _outcome(call, bnp, t)
        return bnp.sum(t)

    bc.grad(f)(X.copy())
    kind, out = seen["outcome"]
    if kind == "error":
        message = str(out)
        ufunc = getattr(getattr(np, name), "__name__", name)  # bitwise_not is NumPy's invert
        assert name in message or ufunc in message, f"{name}: the error does not name the function: {message}"
        assert isinstance(out, TypeError), f"{name}: {out!r}"
        return
    assert not isinstance(out, Tensor) or not out.requires_grad
    assert not _inexact(out) or name in ZERO_DERIVATIVE | NO_FLOAT_INPUT, \
        f"{name}: a float result from a traced Tensor with no derivative (a cut gradient)"
    np.testing.assert_equal(out, plain[1], err_msg=name)


def test_histogram_with_fixed_edges_is_exact():
    """With range= the bin edges are constants and the counts a step function: derivative 0."""
    counts = {}

    def f(t):
        counts["c"], counts["e"] = bnp.histogram(t, bins=2, range=(0.0, 4.0))
        return bnp.sum(t * counts["c"][0])

    np.testing.assert_array_equal(bc.grad(f)(X), [2.0] * 4)
    np.testing.assert_array_equal(counts["c"], np.histogram(X, bins=2, range=(0.0, 4.0))[0])


@pytest.mark.parametrize("call", [
    lambda t: bnp.histogram2d(t, t, bins=2, range=[[0.0, 4.0], [0.0, 4.0]]),
    lambda t: bnp.histogram2d(t, t, bins=[np.array([0.0, 2.0, 4.0]), np.array([0.0, 4.0])]),
    lambda t: bnp.histogramdd(bnp.reshape(t, (2, 2)), bins=2, range=[(0.0, 4.0), (0.0, 4.0)]),
], ids=["histogram2d range", "histogram2d edges", "histogramdd range"])
def test_histograms_with_fixed_edges_pass(call):
    seen = {}
    bc.grad(lambda t: bnp.sum(t) + 0.0 * float(seen.setdefault("h", call(t))[0].sum()))(X)
    np.testing.assert_array_equal(seen["h"][0], call(X)[0])


def test_traced_weights_of_bincount_raise():
    with pytest.raises(TypeError, match="bincount: its float result depends on a Tensor that requires grad"):
        bc.grad(lambda w: bnp.sum(bnp.bincount(np.array([0, 1, 1, 2]), weights=w)))(X)


def test_numpy_integer_cast_of_traced_tensor_raises():
    """An integer cast has no derivative; NumPy's scalar types convert through Tensor.__array__,
    which refuses a traced Tensor (it would cut the gradient): the error says so and names detach()."""
    with pytest.raises(TypeError, match="requires grad.*detach"):
        bc.grad(lambda x: bnp.int64(x[0]) * x[0])(X)
    assert bnp.int64(bc.tensor(3.0)) == 3   # a Tensor that does not require grad converts


# -- named results ---------------------------------------------------------------------------------------

SPD = np.array([[2.0, 0.3, 0.1], [0.3, 1.5, 0.2], [0.1, 0.2, 1.8]])
NAMED = [
    ("eigh", lambda m, a: m.linalg.eigh(a), ("eigenvalues", "eigenvectors")),
    ("eig", lambda m, a: m.linalg.eig(a), ("eigenvalues", "eigenvectors")),
    ("svd", lambda m, a: m.linalg.svd(a), ("U", "S", "Vh")),
    ("slogdet", lambda m, a: m.linalg.slogdet(a), ("sign", "logabsdet")),
    ("qr", lambda m, a: m.linalg.qr(a), ("Q", "R")),
    ("unique_all", lambda m, a: m.unique_all(m.round(a, 1)), ("values", "indices", "inverse_indices", "counts")),
    ("unique_counts", lambda m, a: m.unique_counts(m.round(a, 1)), ("values", "counts")),
    ("unique_inverse", lambda m, a: m.unique_inverse(m.round(a, 1)), ("values", "inverse_indices")),
]


@pytest.mark.parametrize("name, call, fields", NAMED, ids=[n[0] for n in NAMED])
def test_named_results(name, call, fields):
    want = call(np, SPD)
    got = call(bnp, bc.tensor(SPD, requires_grad=True))
    assert type(got) is type(want) and type(want)._fields == fields
    for field in fields:
        value = getattr(got, field)
        np.testing.assert_allclose(np.asarray(getattr(value, "data", value)), getattr(want, field), rtol=1e-12,
                                   atol=1e-12, err_msg=f"{name}.{field}")
    first, *_ = got   # unpacking works as for a tuple
    assert first is got[0]


def test_named_result_attribute_differentiates():
    g = bc.grad(lambda a: bnp.sum(bnp.linalg.eigh(a).eigenvalues * np.array([1.0, 2.0, 3.0])))(SPD)
    g_ag = autograd.grad(lambda a: anp.sum(anp.linalg.eigh(a)[0] * np.array([1.0, 2.0, 3.0])))(SPD)
    np.testing.assert_allclose(np.tril(g) + np.tril(g, -1).T, np.tril(g_ag) + np.tril(g_ag, -1).T, atol=1e-12)


@pytest.mark.parametrize("name, want", [
    ("union1d", [[1.0, 3.0, 0.0, 2.0, 0.0], [0.0, 4.0, 0.0]]),       # values 1, 2, 3, 5 get weights 1..4
    ("intersect1d", [[1.0, 0.0, 0.0, 2.0, 0.0], [0.0, 0.0, 0.0]]),   # 1 and 2, from the first array
    ("setdiff1d", [[0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]),     # 3
    ("setxor1d", [[0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0]]),      # 3, 5
])
def test_set_operations_gradient_goes_to_first_occurrences(name, want):
    a, b = np.array([1.0, 3.0, 1.0, 2.0, 3.0]), np.array([2.0, 5.0, 1.0])
    f = getattr(bnp, name)
    out = f(bc.tensor(a), bc.tensor(b))
    np.testing.assert_array_equal(out.data, getattr(np, name)(a, b))
    w = np.arange(1.0, out.shape[0] + 1)
    ga, gb = bc.grad(lambda x, y: bnp.sum(f(x, y) * w), argnums=(0, 1))(a, b)
    np.testing.assert_array_equal(ga, want[0])
    np.testing.assert_array_equal(gb, want[1])


def test_unique_gradient_goes_to_first_occurrences():
    x = np.array([3.0, 1.0, 3.0, 2.0, 1.0])
    w = np.array([1.0, 10.0, 100.0])   # against the sorted values 1, 2, 3
    g = bc.grad(lambda v: bnp.sum(bnp.unique(v) * w))(x)
    np.testing.assert_array_equal(g, [100.0, 1.0, 0.0, 10.0, 0.0])
    values, index, counts = bnp.unique(bc.tensor(x), return_index=True, return_counts=True)
    for a, b in zip((values.data, index, counts), np.unique(x, return_index=True, return_counts=True)):
        np.testing.assert_array_equal(a, b)


# -- array_like: the cases of the issue, against autograd (which takes lists of traced values too) ---------

T = np.array([1.0, 2.0, 3.0])
# f(m, t, L): L marks a list that holds traced values; autograd takes most of them as they are, some only
# stacked (its concatenate, dot, einsum... meet its boxes inside a list), so it gets L = anp.array.
ISSUE = {
    "mean": lambda m, t, L: m.mean(L([t, t + 1])),
    "std": lambda m, t, L: m.std(L([t[0], t[1], t[2] * 2])),
    "var": lambda m, t, L: m.var(L([t[0], t[1], t[2] * 2])),
    "append": lambda m, t, L: m.sum(m.append(t, L([t[0]])) ** 2),
    "linalg.norm": lambda m, t, L: m.linalg.norm(L([t[0], t[1]])),
    "concatenate": lambda m, t, L: m.sum(m.concatenate([t, L([1.0, t[0]])]) ** 2),
    "max": lambda m, t, L: m.max(L([t[0], t[1]])),
    "dot": lambda m, t, L: m.dot(L([t[0], t[1], 1.0]), t),
    "prod": lambda m, t, L: m.prod(L([t[0], t[1], 2.0])),
    "cumsum": lambda m, t, L: m.sum(m.cumsum(L([t[0], t[1], t[2]])) ** 2),
    "outer": lambda m, t, L: m.sum(m.outer(L([t[0], 1.0]), t) ** 2),
    "clip": lambda m, t, L: m.sum(m.clip(L([t[0], t[1], t[2]]), 0, 1.5) ** 2),
    "diag": lambda m, t, L: m.sum(m.diag(L([t[0], t[1]])) ** 2),
    "sort": lambda m, t, L: m.sum(m.sort(L([t[2], t[0], t[1]])) * np.array([1.0, 2.0, 3.0])),
    "tensordot": lambda m, t, L: m.tensordot(L([t[0], t[1], t[2]]), t, 1),
    "einsum": lambda m, t, L: m.einsum("i,i->", L([t[0], t[1], t[2]]), t),
    "average": lambda m, t, L: m.average(L([t[0], t[1]]), weights=[1, 2]) if m is bnp else (t[0] + 2 * t[1]) / 3,
    "stack": lambda m, t, L: m.sum(m.stack([t, L([t[1], 1.0, t[0]])]) ** 2),
    "array": lambda m, t, L: m.sum(m.array([[t[0], 1.0], [t[1], t[2]]]) ** 3),
    "exp": lambda m, t, L: m.sum(m.exp(L([t[0], t[1]]))),
    "matmul": lambda m, t, L: m.sum(m.matmul(L([[t[0], 1.0], [t[1], t[2]]]), L([t[0], 2.0]))),
    "r_": lambda m, t, L: m.sum(m.r_[t, t] ** 2),
    "r_ mixed": lambda m, t, L: m.sum(m.r_[t[:2], 1.0, t] ** 2),
    "r_ slice": lambda m, t, L: m.sum(m.r_[0:3, t] * m.r_[t, t]),
    "c_": lambda m, t, L: m.sum(m.c_[t, t] ** 2),
    "c_ matrix": lambda m, t, L: m.sum(m.c_[m.reshape(t, (3, 1)), np.array([[1.0], [2.0], [3.0]]), t] ** 2),
    "real_if_close": lambda m, t, L: m.sum(m.real_if_close(t + 0j) ** 2),
}


@pytest.mark.parametrize("name", list(ISSUE))
def test_issue_cases_against_autograd(name):
    f = ISSUE[name]
    mine = lambda t: f(bnp, t, lambda v: v)
    theirs = lambda t: f(anp, t, anp.array)
    np.testing.assert_allclose(bc.grad(mine)(T), autograd.grad(theirs)(T), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.asarray(mine(bc.tensor(T)).data), theirs(T), rtol=1e-12)


def test_r_c_plain_are_numpy():
    assert np.array_equal(bnp.r_[1:4, 0, np.array([7, 8])], np.r_[1:4, 0, np.array([7, 8])])
    assert np.array_equal(bnp.c_[np.array([1, 2]), np.array([3, 4])], np.c_[np.array([1, 2]), np.array([3, 4])])
    got = bnp.r_["0,2", bc.tensor([1.0, 2.0]), bc.tensor([3.0, 4.0])]
    np.testing.assert_array_equal(got.data, np.r_["0,2", [1.0, 2.0], [3.0, 4.0]])


def test_r_dtype_follows_numpy():
    t = bc.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    assert bnp.r_[t, 1.0].dtype == np.r_[np.array([1.0, 2.0], dtype=np.float32), 1.0].dtype == np.float32
    assert bnp.r_[t, np.arange(2)].dtype == np.r_[np.ones(2, np.float32), np.arange(2)].dtype


def test_constants_of_traced_lists():
    seen = {}

    def f(t):
        seen["z"] = bnp.zeros_like([t[0], t[1]])
        seen["o"] = bnp.ones_like([[t[0]], [t[1]]])
        return bnp.sum(t)

    bc.grad(f)(T)
    np.testing.assert_array_equal(seen["z"], np.zeros(2))
    np.testing.assert_array_equal(seen["o"], np.ones((2, 1)))


@pytest.mark.parametrize("x, y", [(1, 2), (1, 2.5), (1.0, np.float32(2)), (np.float32(1), 2), (True, 2)])
def test_where_of_python_scalars_has_numpys_dtype(x, y):
    cond = np.array([True, False])
    want = np.where(cond, x, y)
    got = bnp.where(bc.tensor(cond), x, y)
    assert np.asarray(getattr(got, "data", got)).dtype == want.dtype
    t32 = bc.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    assert bnp.where(cond, t32, y).dtype == np.where(cond, np.ones(2, np.float32), y).dtype


# -- the composites' values and derivatives at points the catalog does not take --------------------------

def test_piecewise_like_numpy_and_autograd_free_formula():
    x = np.array([-2.0, -0.5, 0.0, 1.5])
    f = lambda m, v: m.piecewise(v, [v < 0, v > 1], [lambda u: u ** 2, 7.0, lambda u: 3 * u])
    np.testing.assert_array_equal(f(bnp, bc.tensor(x)).data, f(np, x))
    np.testing.assert_array_equal(bc.grad(lambda v: bnp.sum(f(bnp, v)))(x), [-4.0, -1.0, 3.0, 0.0])


def test_frexp_modf_ldexp_values_and_slopes():
    x = np.array([3.0, -0.375, 1024.0, 0.0])
    m, e = bnp.frexp(bc.tensor(x))
    np.testing.assert_array_equal(m.data, np.frexp(x)[0])
    np.testing.assert_array_equal(e, np.frexp(x)[1])
    np.testing.assert_array_equal(bc.grad(lambda v: bnp.sum(bnp.frexp(v)[0]))(x), 2.0 ** -np.frexp(x)[1])
    np.testing.assert_array_equal(bc.grad(lambda v: bnp.sum(bnp.modf(v)[0] + bnp.modf(v)[1]))(x), np.ones(4))
    np.testing.assert_array_equal(bc.grad(lambda v: bnp.sum(bnp.ldexp(v, np.array([1, 2, -1, 0]))))(x),
                                  [2.0, 4.0, 0.5, 1.0])
    np.testing.assert_array_equal(bnp.ldexp(bc.tensor(x), 3).data, np.ldexp(x, 3))


def test_block_like_numpy():
    a, b = np.arange(4.0).reshape(2, 2), np.array([[9.0], [8.0]])
    f = lambda m, u, v: m.block([[u, v], [m.ones((1, 2)), m.zeros((1, 1))]])
    np.testing.assert_array_equal(f(bnp, bc.tensor(a), b).data, f(np, a, b))
    g = bc.grad(lambda u: bnp.sum(f(bnp, u, b) ** 2))(a)
    np.testing.assert_array_equal(g, 2 * a)
    with pytest.raises(ValueError, match="block: list depths are mismatched"):
        bnp.block([[bc.tensor(a)], bc.tensor(a)])


# -- composites against NumPy on Tensors (values exactly; the derivative of a rearrangement is a gather) --

A2 = np.arange(6.0).reshape(2, 3)
V3 = np.array([1.0, 2.0, 3.0])
AGAINST_NUMPY = {
    "r_ 2-d": lambda m, a, v: m.r_[a, a],
    "r_ directive axis": lambda m, a, v: m.r_["1", a, a],
    "r_ directive ndmin": lambda m, a, v: m.r_["0,2", v, v],
    "r_ directive trans1d": lambda m, a, v: m.r_["0,2,0", v, v],
    "r_ directive trans1d -1": lambda m, a, v: m.r_["1,2,-1", v, v],
    "r_ complex slice": lambda m, a, v: m.r_[v, 0:1:3j],
    "c_ rows": lambda m, a, v: m.c_[a, a],
    "c_ scalar": lambda m, a, v: m.c_[v, v, v],
    "block 3 levels": lambda m, a, v: m.block([[[v, v]], [[v, v]]]),
    "block scalars": lambda m, a, v: m.block([v[0], 5.0, v[1]]) if m is bnp else m.block([v[0], 5.0, v[1]]),
    "resize grow": lambda m, a, v: m.resize(v, (2, 4)),
    "resize shrink": lambda m, a, v: m.resize(a, 4),
    "trim_zeros 2-d": lambda m, a, v: m.trim_zeros(m.pad(a, 1), axis=None),
    "trim_zeros f": lambda m, a, v: m.trim_zeros(m.concatenate([np.zeros(2), v, np.zeros(1)]), "f"),
    "trim_zeros b": lambda m, a, v: m.trim_zeros(m.concatenate([np.zeros(2), v, np.zeros(1)]), "B"),
    "poly": lambda m, a, v: m.poly(v),
    "poly of a matrix": lambda m, a, v: m.poly(np.array([[1.0, 2.0], [0.0, 3.0]]) + v[0] * 0),
    "roots": lambda m, a, v: m.roots(m.concatenate([v, np.zeros(2)])),
    "polyint k": lambda m, a, v: m.polyint(v, 2, [v[0], 2.0]) if m is bnp else m.polyint(v, 2, [v[0], 2.0]),
    "polyder": lambda m, a, v: m.polyder(m.concatenate([v, v]), 3),
    "polyadd": lambda m, a, v: m.polyadd(v, m.concatenate([v, v])),
    "polydiv": lambda m, a, v: m.concatenate(m.polydiv(m.concatenate([v, v[::-1], v]), v * 0.5)),
    "polydiv exact": lambda m, a, v: m.concatenate(m.polydiv(m.polymul(v, v), v)),
    "apply_over_axes": lambda m, a, v: m.apply_over_axes(m.mean, a, (0, -1)),
    "sort_complex": lambda m, a, v: m.sort_complex(v[::-1]),
    "real_if_close": lambda m, a, v: m.real_if_close(v + 1e-14j),
    "real_if_close not": lambda m, a, v: m.real_if_close(v + 1e-3j),
    "unwrap period": lambda m, a, v: m.unwrap(v * 4, period=5.0),
    "divmod": lambda m, a, v: m.divmod(v * 3.5, 2.0)[1],
    "nextafter": lambda m, a, v: m.nextafter(v, 0.0),
    "asarray_chkfinite": lambda m, a, v: m.asarray_chkfinite(a),
    "ascontiguousarray 0-d": lambda m, a, v: m.ascontiguousarray(v[0]),
    "unique axis": lambda m, a, v: m.unique(m.concatenate([a, a[:1]]), axis=0),
    "fft.hfft": lambda m, a, v: m.fft.hfft(v, 5, norm="ortho"),
    "fft.ihfft": lambda m, a, v: m.fft.ihfft(v, norm="forward"),
    "linalg.tensorsolve axes": lambda m, a, v: m.linalg.tensorsolve(
        m.reshape(np.eye(6) * 2 + m.outer(m.ravel(a), m.ravel(a)) * 0.01, (2, 3, 2, 3)), np.ones((2, 3)), axes=(0,)),
    "linalg.tensorinv": lambda m, a, v: m.linalg.tensorinv(
        m.reshape(np.eye(6) * 2 + m.outer(m.ravel(a), m.ravel(a)) * 0.01, (6, 2, 3)), ind=1),
}


EMATH = [("sqrt", (np.array([-4.0, 4.0, -0.0]),)), ("log", (np.array([-1.0, 2.0]),)),
         ("log2", (np.array([-8.0, 8.0]),)), ("log10", (np.array([-10.0, 0.5]),)),
         ("logn", (2.0, np.array([-8.0, 8.0]))), ("logn", (-2.0, np.array([8.0]))),
         ("power", (np.array([-4.0, 4.0]), 0.5)), ("power", (np.array([-2.0, 3.0]), np.array([-1, 2]))),
         ("arccos", (np.array([2.0, 0.5]),)), ("arcsin", (np.array([-2.0, 0.5]),)),
         ("arctanh", (np.array([2.0, 0.5]),)), ("sqrt", (np.array([4.0, 9.0], dtype=np.float32),)),
         ("sqrt", (np.array([-4.0], dtype=np.float32),))]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name, args", EMATH, ids=[f"{n}{i}" for i, (n, _) in enumerate(EMATH)])
def test_emath_values_equal_numpys(name, args):
    want = getattr(np.emath, name)(*args)
    got = getattr(bnp.emath, name)(*[bc.tensor(a) if isinstance(a, np.ndarray) else a for a in args]).data
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("name", list(AGAINST_NUMPY))
def test_composite_values_equal_numpys(name):
    f = AGAINST_NUMPY[name]
    want = f(np, A2, V3)
    got = f(bnp, bc.tensor(A2, requires_grad=True), bc.tensor(V3, requires_grad=True))
    got = got.data if isinstance(got, Tensor) else got
    assert np.asarray(got).dtype == np.asarray(want).dtype, name
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-14, err_msg=name)


@pytest.mark.parametrize("call", [
    lambda m, t: m.put(t, [0], [100.0]), lambda m, t: m.copyto(t, np.zeros(2)),
    lambda m, t: m.place(t, np.array([True, False]), [1.0]), lambda m, t: m.putmask(t, np.array([True, False]), 1.0),
    lambda m, t: m.put_along_axis(t, np.array([0]), 1.0, axis=0),
    lambda m, t: m.fill_diagonal(m.reshape(t, (1, 2)) if m is bnp else t.reshape(1, 2), 0.0),
], ids=["put", "copyto", "place", "putmask", "put_along_axis", "fill_diagonal"])
def test_in_place_writes_into_a_tensor_raise(call):
    """A rule may have saved a Tensor's values (x * t keeps t for x's gradient): writing into it in
    place would change the gradient silently, as t[0] = v would (which Tensor refuses too)."""
    x = bc.tensor([1.0, 2.0], requires_grad=True)
    t = bc.tensor([3.0, 4.0])
    y = bnp.sum(x * t)
    for m in (bnp, np):   # NumPy's own function reaches backchain's through __array_function__
        with pytest.raises(TypeError, match="in place, which is a Tensor"):
            call(m, t)
    y.backward()
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])
    a = np.zeros(2)
    call(bnp, a)   # arrays are written as NumPy writes them
    b = np.zeros(2)
    call(np, b)
    np.testing.assert_array_equal(a, b)


def test_vectorize_differentiates_its_function():
    f = lambda x, y: x * y if x > 0 else y ** 2   # Python control flow per element
    x, y = np.array([[1.0, -2.0], [3.0, -0.5]]), np.array([2.0, 5.0])
    vf = bnp.vectorize(f)
    np.testing.assert_array_equal(vf(bc.tensor(x), y).data, np.vectorize(f)(x, y))
    np.testing.assert_array_equal(bc.grad(lambda v: bnp.sum(vf(v, y)))(x), [[2.0, 0.0], [2.0, 0.0]])
    np.testing.assert_array_equal(bc.grad(lambda w: bnp.sum(vf(x, w)))(y), [1.0 + 3.0, 10.0 + 10.0])
    two = bnp.vectorize(lambda v, n: (v ** n, n * v), excluded={1})   # two results, an excluded argument
    a, b = two(bc.tensor(x), 3)
    np.testing.assert_array_equal(a.data, x ** 3)
    np.testing.assert_array_equal(b.data, 3 * x)
    assert isinstance(vf, np.vectorize) and vf(x, y).tolist() == np.vectorize(f)(x, y).tolist()
    with pytest.raises(NotImplementedError, match="vectorize: signature"):
        bnp.vectorize(lambda v: v, signature="(n)->(n)")(bc.tensor(x))
