"""Lexicographic (LD) and one-sided directional derivatives: closed-form Clarke Jacobians at kinks,
the ordinary derivative at smooth points, membership in the hull of nearby gradients, and
one-sided differences."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
from backchain.kinks import LDError, directional, lexicographic, verify
from backchain.nn.functional import hardswish, hardtanh, leaky_relu, max_pool2d, relu, relu6

s3 = np.sqrt(3.0)
u_std = np.array([2.0, -1.0, -1.0]) / 3.0

# (name, f, x, LD Jacobian for the identity directions). Each expected value is the Jacobian of the
# piece that x + t e1 + t^2 e2 + ... (t -> 0+) enters, worked out by hand.
CASES = [
    ("relu identity", lambda x: relu(x) - relu(-x), 0.0, 1.0),
    ("relu abs", lambda x: relu(x) + relu(-x), 0.0, 1.0),
    ("abs", lambda x: bnp.abs(x), 0.0, 1.0),
    ("|x| - |y|", lambda x: bnp.abs(x[0]) - bnp.abs(x[1]), np.zeros(2), [1.0, -1.0]),
    ("|x - y|", lambda x: bnp.abs(x[0] - x[1]), np.ones(2), [1.0, -1.0]),
    ("max of two", lambda x: bnp.maximum(x[0], x[1]), np.ones(2), [1.0, 0.0]),
    ("min of two", lambda x: bnp.minimum(x[0], x[1]), np.ones(2), [0.0, 1.0]),
    ("hinge", lambda x: relu(1.0 - x[0] * x[1]), np.ones(2), [0.0, 0.0]),
    ("L1 loss", lambda x: bnp.sum(bnp.abs(x - np.array([1.0, 2.0]))), np.array([1.0, 2.0]), [1.0, 1.0]),
    ("max of 3 (tie)", lambda x: bnp.max(x), np.ones(3), [1.0, 0.0, 0.0]),
    ("min of 3 (tie)", lambda x: bnp.min(x), np.ones(3), [0.0, 0.0, 1.0]),
    ("sorted last", lambda x: bnp.sort(x)[-1], np.full(3, 2.0), [1.0, 0.0, 0.0]),
    ("sorted middle", lambda x: bnp.sort(x)[1], np.full(3, 2.0), [0.0, 1.0, 0.0]),
    ("2-norm at 0", lambda x: bnp.linalg.norm(x), np.zeros(3), [1.0, 0.0, 0.0]),
    ("1-norm at 0", lambda x: bnp.linalg.norm(x, 1), np.zeros(3), [1.0, 1.0, 1.0]),
    ("inf-norm at 0", lambda x: bnp.linalg.norm(x, np.inf), np.zeros(3), [1.0, 0.0, 0.0]),
    ("inf-norm tie", lambda x: bnp.linalg.norm(x, np.inf), np.array([1.0, -1.0]), [1.0, 0.0]),
    ("std at constant", lambda x: bnp.std(x), np.ones(3), u_std / (np.linalg.norm(u_std) * s3)),
    ("hypot at 0", lambda x: bnp.hypot(x[0], x[1]), np.zeros(2), [1.0, 0.0]),
    ("clip at upper", lambda x: bnp.clip(x, -1.0, 1.0), 1.0, 0.0),
    ("clip at lower", lambda x: bnp.clip(x, -1.0, 1.0), -1.0, 1.0),
    ("hardtanh at -1", lambda x: hardtanh(x), -1.0, 1.0),
    ("relu6 at 6", lambda x: relu6(x), 6.0, 0.0),
    ("leaky of -x", lambda x: leaky_relu(-x, 0.1), 0.0, -0.1),
    ("max(x, 0.1x)", lambda x: bnp.maximum(x, 0.1 * x), 0.0, 1.0),
    ("max of abs", lambda x: bnp.maximum(bnp.abs(x[0]), bnp.abs(x[1])), np.zeros(2), [1.0, 0.0]),
    ("|x| y", lambda x: bnp.abs(x[0]) * x[1], np.array([0.0, 2.0]), [2.0, 0.0]),
    ("x + |y| as a max", lambda x: bnp.maximum(x[0] + x[1], x[0] - x[1]), np.zeros(2), [1.0, 1.0]),
    ("hardswish at -3", lambda x: hardswish(x), -3.0, -0.5),
    ("hardswish at 3", lambda x: hardswish(x), 3.0, 1.0),
    ("relu Jacobian", lambda x: relu(bnp.stack([x[0] - x[1], x[1] - x[0]])), np.ones(2), [[1.0, -1.0], [0.0, 0.0]]),
    ("max pool ties", lambda x: bnp.sum(max_pool2d(x.reshape(1, 1, 4, 4), 2)), np.ones(16),
     np.kron(np.ones((2, 2)), [[1.0, 0.0], [0.0, 0.0]]).ravel()),
    ("where relu identity", lambda x: bnp.where(x > 0, x, 0.0) - bnp.where(-x > 0, -x, 0.0), 0.0, 1.0),
    ("max by where", lambda x: bnp.where(x[0] >= x[1], x[0], x[1]), np.ones(2), [1.0, 0.0]),
    ("min by where", lambda x: bnp.where(x[0] < x[1], x[0], x[1]), np.ones(2), [0.0, 1.0]),
    ("leaky by where", lambda x: bnp.where(x <= 0, 0.1 * x, x), 0.0, 1.0),
    ("overlapping pool ties", lambda x: bnp.sum(max_pool2d(x.reshape(1, 1, 3, 3), 2, stride=1)), np.ones(9),
     [1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]),
]


@pytest.mark.parametrize("name, f, x, want", CASES, ids=[c[0] for c in CASES])
def test_ld_derivative_is_the_selected_piece_in_closed_form(name, f, x, want):
    got = lexicographic(f)(x)
    np.testing.assert_allclose(got, want, atol=1e-12)
    if np.ndim(f(np.asarray(x, dtype=float))) == 0:  # branch locking: the same, with one reverse sweep
        np.testing.assert_allclose(lexicographic(f, mode="lock")(x), want, atol=1e-12)


def _hull_distance(G, g):
    from backchain.kinks import _hull_distance
    return _hull_distance(np.asarray(G), np.asarray(g).ravel())


POLYHEDRAL = [c for c in CASES if np.ndim(c[3]) <= 1 and np.size(c[2]) <= 3
              and not c[0].startswith(("2-norm", "std", "hypot"))]


@pytest.mark.parametrize("name, f, x, want", POLYHEDRAL, ids=[c[0] for c in POLYHEDRAL])
def test_ld_gradient_lies_in_the_hull_of_nearby_gradients(name, f, x, want):
    """The Clarke subdifferential is the hull of the gradients at nearby differentiable points
    (randomly sampled: enough for these few pieces)."""
    x = np.asarray(x, dtype=float)
    rng = np.random.default_rng(0)
    G = [np.ravel(bc.grad(f)(x + 1e-7 * rng.standard_normal(x.shape))) for _ in range(8 * x.size + 16)]
    assert _hull_distance(G, lexicographic(f)(x)) < 1e-6


@pytest.mark.parametrize("name, f, x, want", CASES, ids=[c[0] for c in CASES])
def test_ld_jacobian_is_a_limit_of_jacobians(name, f, x, want):
    """An element of the B-subdifferential: the Jacobian at x + t e1 + t^2 e2 + ... for a small t,
    a differentiable point on the selected piece (t = 1/2 where the only kinks are ties)."""
    x = np.asarray(x, dtype=float)
    t = 0.5 if "pool" in name else 1e-4
    p = (t ** np.arange(1, x.size + 1)).reshape(x.shape)
    J = bc.jacobian(f)(x + p)
    np.testing.assert_allclose(J, want, rtol=1e-3, atol=1e-3)


SMOOTH = [
    lambda x: bnp.sum(bnp.tanh(x) * relu(x - 0.3) + bnp.maximum(x, 0.1 * x)),
    lambda x: bnp.max(bnp.abs(x)) + bnp.linalg.norm(x) + bnp.std(x),
    lambda x: bnp.sum(bnp.sort(x) * np.arange(1.0, 5.0)) + bnp.sum(bnp.clip(x, -0.5, 0.5) ** 2),
    lambda x: bnp.sum(max_pool2d(x.reshape(1, 1, 2, 2), 2)) * bnp.hypot(x[0], x[1]),
]


@pytest.mark.parametrize("f", SMOOTH)
def test_at_smooth_points_ld_is_the_ordinary_gradient(f):
    rng = np.random.default_rng(1)
    for _ in range(5):
        x = rng.standard_normal(4)
        g = bc.grad(f)(x)
        np.testing.assert_allclose(lexicographic(f)(x), g, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(lexicographic(f, mode="lock")(x), g, rtol=1e-12, atol=1e-12)
        d = rng.standard_normal(4)
        assert np.isclose(directional(f, x, d), g @ d, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name, f, x, want", CASES, ids=[c[0] for c in CASES])
def test_directional_derivatives_match_one_sided_differences(name, f, x, want):
    """At the kink itself, along random directions: f'(x; d) = (f(x + h d) - f(x)) / h for small h
    (exact up to rounding for these piecewise-linear pieces, second order otherwise)."""
    x = np.asarray(x, dtype=float)
    rng = np.random.default_rng(2)
    for _ in range(6):
        d = rng.standard_normal(x.shape)
        h = 1e-6
        fd = (np.asarray(f(x + h * d)) - np.asarray(f(x))) / h
        np.testing.assert_allclose(directional(f, x, d), fd, atol=1e-4)


def test_given_directions_give_the_ld_derivative_itself():
    f = lambda x: bnp.abs(x[0]) - bnp.abs(x[1])
    M = np.array([[-1.0, 0.0], [0.0, -2.0], [3.0, 1.0]])
    # x + t M0 + t^2 M1: x0 = -t (abs slope -1), x1 = -2 t^2 (abs slope -1); f' columns = J M
    np.testing.assert_allclose(lexicographic(f)(np.zeros(2), directions=M), [1.0, -2.0, -2.0])
    np.testing.assert_allclose(lexicographic(f, mode="lock")(np.zeros(2), directions=M), [1.0, -2.0, -2.0])


def test_points_without_an_ld_derivative_raise_naming_the_op():
    with pytest.raises(LDError, match="'sqrt'.*not Lipschitz"):
        lexicographic(bnp.sqrt)(0.0)
    with pytest.raises(LDError, match="'floor'.*jumps"):
        directional(lambda x: bnp.floor(x) * x, 2.0, 1.0)
    assert lexicographic(bnp.sqrt)(4.0) == 0.25  # away from the kink, the ordinary derivative
    with pytest.raises(LDError, match="not of full rank"):
        lexicographic(lambda x: bnp.abs(x[0]) + bnp.abs(x[1]), mode="lock")(np.zeros(2), directions=np.eye(2)[:1])


def test_verify_names_the_conventions_that_combined_badly():
    report = verify(lambda x: relu(x) - relu(-x), 0.0)
    assert not report.ok and report.hits == {"relu": 2} and float(report.lexicographic) == 1.0
    assert "NOT a generalized gradient" in str(report) and "relu" in str(report)
    fine = verify(lambda x: bnp.sum(bnp.abs(x)), np.zeros(3))  # 0 is a subgradient of the 1-norm at 0
    assert fine.ok and fine.hits == {"absolute": 3}
    assert verify(lambda x: bnp.sum(x ** 2), np.ones(2)).ok and not verify(lambda x: bnp.sum(x ** 2), np.ones(2)).hits


def test_ld_of_a_network_at_a_kink_lies_in_the_hull():
    """A small ReLU network at a point where hidden units sit exactly at 0."""
    rng = np.random.default_rng(3)
    W = rng.standard_normal((4, 3))
    x0 = np.array([1.0, -2.0, 0.5])
    b = -(W @ x0)  # every hidden pre-activation is exactly 0 at x0
    b[1] += 1.0   # one unit is on, the others sit on the kink
    v = rng.standard_normal(4)
    f = lambda x: bnp.sum(v * relu(W @ x + b))
    got = lexicographic(f)(x0)
    G = [bc.grad(f)(x0 + 1e-7 * rng.standard_normal(3)) for _ in range(60)]
    assert _hull_distance(G, got) < 1e-8
    np.testing.assert_allclose(lexicographic(f, mode="lock")(x0), got, atol=1e-12)


def test_lock_mode_with_a_random_direction_gives_a_limiting_gradient_in_two_sweeps():
    """A max-pooling layer over a constant region: its ties are between identical pieces, which no
    direction decides; one random direction decides the others."""
    rng = np.random.default_rng(4)
    w = rng.standard_normal((2, 1, 3, 3))
    img = np.zeros((1, 1, 6, 6))
    img[0, 0, 3:, 3:] = rng.standard_normal((3, 3))
    from backchain.nn.functional import conv2d
    f = lambda theta: bnp.sum(max_pool2d(relu(conv2d(img, theta.reshape(2, 1, 3, 3), padding=1) + 0.1), 2) ** 2)
    theta = w.ravel()
    got = lexicographic(f, mode="lock")(theta, directions="random")
    full = lexicographic(f, mode="lock")(theta)  # identity directions, until decided or exhausted
    G = [bc.grad(f)(theta + 1e-7 * rng.standard_normal(theta.shape)) for _ in range(60)]
    assert _hull_distance(G, got) < 1e-6 and _hull_distance(G, full) < 1e-6


def test_where_on_a_comparison_that_jumps_raises():
    with pytest.raises(LDError, match="where selects between values that differ.*'greater'"):
        lexicographic(lambda x: bnp.where(x > 0, 1.0 + x, x))(0.0)
    assert lexicographic(lambda x: bnp.where(x > 0, 1.0 + x, x))(0.5) == 1.0  # away from the jump
    c = (bc.tensor([1.0], requires_grad=True) > 0)  # outside a sweep, comparisons are plain arrays
    assert type(c) is np.ndarray


def test_every_counted_kink_has_an_ld_rule_or_a_reason():
    """A primitive whose kinks bc.kinks.count counts has a one-sided rule in its row (ld=, beside its
    kinks= convention), or is named as not Lipschitz or discontinuous there (LDError says which)."""
    import backchain.scipy.special  # noqa: F401  (registers its rows)
    from backchain import _ld
    from backchain.kinks import _COUNTERS
    from backchain._core.primitive import REGISTRY
    missing = [name for name in _COUNTERS if name in REGISTRY and REGISTRY[name].ld is None
               and name not in _ld.NOT_LIPSCHITZ and name not in _ld.DISCONTINUOUS]
    assert not missing, f"kinks counted without an LD rule in their row (ld=) or a reason: {missing}"
    assert all(isinstance(p.ld, _ld.Rule) for p in REGISTRY.values() if p.ld is not None)


def test_a_derivative_taken_inside_at_a_kink_raises_instead_of_a_silent_convention():
    """grad inside lexicographic: relu's rule at 0 would enter the recorded values as the constant
    relu'(0) = 0, and the LD sweep would return 0 for what is 2 * relu(x) (LD-derivative 2)."""
    inner = lambda x: bc.grad(lambda y: bnp.sum(relu(y) ** 2))(x).sum()
    with pytest.raises(LDError, match="derivative taken inside the function meets 'relu'"):
        lexicographic(inner)(np.zeros(2))
    np.testing.assert_allclose(lexicographic(inner)(np.array([1.0, -1.0])), [2.0, 0.0])  # off the kink
    smooth = lambda x: bc.grad(lambda y: bnp.sum(bnp.tanh(y) ** 2))(x).sum()
    np.testing.assert_allclose(lexicographic(smooth)(np.zeros(2)), [2.0, 2.0])
