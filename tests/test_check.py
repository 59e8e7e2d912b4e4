"""gradcheck and the per-operation check: they pass on right rules and fail on wrong ones."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp

WRONG = bc.defprimitive("wrong_sin_for_tests", np.sin, deriv=(lambda ans, x: bnp.cos(x) * 1.1,), export=False)
WRONG_JVP = bc.defprimitive(
    "wrong_jvp_sin_for_tests", np.sin,
    vjp=(lambda g, ans, x: g * bnp.cos(x),), jvp=(lambda t, ans, x: 2.0 * t * bnp.cos(x),), export=False)


def test_gradcheck_passes_on_correct_functions():
    report = bc.gradcheck(lambda x, y: bnp.sum(bnp.tanh(x) * bnp.exp(y)), np.ones(3), np.array([0.1, 0.2, 0.3]))
    assert report and "passed" in str(report)
    assert bc.gradcheck(lambda a: bnp.sum(a @ a.T), np.arange(6.0).reshape(2, 3) / 5)


def test_gradcheck_catches_a_wrong_vjp_and_reports_where():
    with pytest.raises(bc.check.GradcheckError) as err:
        bc.gradcheck(lambda x: bnp.sum(WRONG(x)), np.linspace(0.0, 1.0, 4))
    msg = str(err.value)
    assert "FAIL" in msg and "arg0" in msg and "rev" in msg and "index (" in msg


def test_gradcheck_catches_a_wrong_jvp_only_in_forward_mode():
    f = lambda x: bnp.sum(WRONG_JVP(x))
    assert bc.gradcheck(f, np.linspace(0, 1, 3), modes=("rev",), order=1)
    report = bc.gradcheck(f, np.linspace(0, 1, 3), modes=("fwd",), order=1, raise_exception=False)
    assert not report and "fwd" in str(report)


def test_gradcheck_rejects_integer_input():
    with pytest.raises(TypeError, match="int"):
        bc.gradcheck(lambda x: x, np.arange(3))


def test_check_ops_table():
    report = bc.check.ops(lambda x: bnp.sum(bnp.tanh(x @ np.ones((3, 2))) * WRONG(x[:2])),
                          np.ones(3) * 0.2, quiet=True)
    names = [r[1] for r in report.rows]
    assert names == ["matmul", "tanh", "getitem", "wrong_sin_for_tests", "multiply", "sum"]
    failing = [r[1] for r in report.rows if not r[4]]
    assert failing == ["wrong_sin_for_tests"]
    assert "FAIL" in str(report)


def test_check_layers_on_a_function_model(capsys):
    W = np.random.default_rng(0).standard_normal((4, 3))
    model = lambda x: bnp.tanh(x @ W)
    report = bc.check.layers(model, np.ones((2, 4)), loss_fn=lambda y: bnp.mean(y ** 2))
    assert report.ok
    assert "tanh" in capsys.readouterr().out


def test_gradcheck_of_a_function_closing_over_a_module():
    # the parameters require grad; gradcheck checks the function in its argument and leaves them alone
    import torch

    model = bc.nn.Sequential(bc.nn.Linear(3, 4), bc.nn.Tanh(), bc.nn.Linear(4, 1))
    x = np.random.default_rng(0).standard_normal((2, 3))
    report = bc.gradcheck(lambda x: bnp.sum(model(x) ** 2), x)
    assert report.ok and [r[:3] for r in report.rows] == [(1, "arg0", "rev"), (1, "all", "fwd"),
                                                           (2, "arg0", "rev"), (2, "all", "fwd")]
    assert all(p.grad is None for p in model.parameters())
    # torch's gradcheck accepts the same closure over a module whose parameters require grad
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)).double()
    assert torch.autograd.gradcheck(lambda x: (tm(x) ** 2).sum(), torch.tensor(x, requires_grad=True))
    # and a wrong rule inside such a function is still caught
    @bc.custom_vjp
    def half_wrong(x):
        return x * x
    half_wrong.defvjp(lambda x: (x * x, x), lambda x, g: (g * x,))
    with pytest.raises(bc.check.GradcheckError, match="FAILED"):
        bc.gradcheck(lambda x: bnp.sum(half_wrong(model(x))), x, order=1)


def test_gradcheck_of_container_arguments():
    def f(p, xs):
        return bnp.sum(bnp.tanh(xs[0] @ p["w"] + p["b"]) * xs[1])
    p = {"w": np.ones((3, 2)) * 0.3, "b": np.array([0.1, -0.2])}
    xs = [np.linspace(-1, 1, 6).reshape(2, 3), np.array([[1.0, 2.0], [3.0, 4.0]])]
    report = bc.gradcheck(f, p, xs)
    assert report.ok
    # a dict's arrays in sorted key order, as they are flattened (JAX's order)
    assert [r[1] for r in report.rows if r[0] == 1 and r[2] == "rev"] == ["arg0['b']", "arg0['w']", "arg1[0]",
                                                                        "arg1[1]"]
    # a wrong rule inside is caught and the array named
    with pytest.raises(bc.check.GradcheckError, match=r"arg0\['b'\]"):
        bc.gradcheck(lambda p: bnp.sum(WRONG(p["b"])) + bnp.sum(p["w"]), p, order=1)
    with pytest.raises(TypeError, match=r"gradcheck: argument arg0\['n'\] has dtype int64"):
        bc.gradcheck(lambda p: p["n"] * 1.0, {"n": np.array(3)})
