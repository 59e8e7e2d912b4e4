"""Anomaly mode: the first op that makes NaN or inf from finite values is named, with the user's line."""
import threading
import warnings

import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
from backchain._core import primitive


def test_off_by_default_and_hook_uninstalled():
    assert not bc.is_anomaly_enabled()
    assert primitive._anomaly_hook is None
    with bc.detect_anomaly():
        assert bc.is_anomaly_enabled()
        assert primitive._anomaly_hook is not None
    assert primitive._anomaly_hook is None


def test_forward_nan_names_op_shapes_and_line():
    x = bc.tensor([-1.0, 4.0], requires_grad=True)
    with bc.detect_anomaly(), np.errstate(invalid="ignore"):
        y = x * 2  # finite: fine
        with pytest.raises(bc.AnomalyError) as info:
            bnp.log(y)  # MARK-forward
    msg = str(info.value)
    assert "forward of 'log' produced NaN" in msg
    assert "float64[2]" in msg
    assert "test_anomaly.py" in msg and "MARK-forward" in msg


def test_forward_inf_from_overflow():
    x = bc.tensor(np.array([1000.0], np.float64), requires_grad=True)
    with bc.detect_anomaly(), np.errstate(over="ignore"):
        with pytest.raises(bc.AnomalyError, match=r"'exp' produced inf"):
            bnp.exp(x)


def test_nan_propagated_from_input_is_not_blamed_on_later_ops():
    x = bc.tensor([np.nan, 1.0], requires_grad=True)
    with bc.detect_anomaly():
        y = bnp.sin(x) * 2 + 1  # NaN in, NaN out: not this op's doing
    assert np.isnan(y.data[0])


def test_backward_inf_names_rule_and_forward_line():
    x = bc.tensor([0.0, 1.0], requires_grad=True)
    with bc.detect_anomaly(), np.errstate(divide="ignore"):
        y = bnp.sqrt(x)  # MARK-sqrt
        loss = (y * 3).sum()
        with pytest.raises(bc.AnomalyError) as info:
            loss.backward()
    msg = str(info.value)
    assert "backward of 'sqrt' (rule for input 0) produced inf" in msg
    assert "sqrt.vjp[0]" in msg and "elementwise.py" in msg
    assert "MARK-sqrt" in msg
    assert "float64[2]" in msg


def test_backward_nan_through_module_names_user_line_not_library():
    lin = bc.nn.Linear(2, 1)
    x = bc.tensor(np.array([[0.0, 0.0]], np.float32))
    with bc.detect_anomaly(), np.errstate(all="ignore"):
        lin.weight.data[...] = 0
        lin.bias.data[...] = 0
        out = bnp.sqrt(lin(x) ** 2)  # MARK-module
        with pytest.raises(bc.AnomalyError) as info:
            out.sum().backward()
    assert "MARK-module" in str(info.value)


def test_warn_mode_warns_and_continues():
    x = bc.tensor([0.0], requires_grad=True)
    with bc.detect_anomaly(warn=True), np.errstate(divide="ignore"), warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        bnp.sqrt(x).sum().backward()
    assert np.isinf(x.grad[0])
    assert any(issubclass(r.category, bc.AnomalyWarning) and "sqrt" in str(r.message) for r in rec)


def test_global_flag_and_decorator():
    bc.set_detect_anomaly(True)
    try:
        assert bc.is_anomaly_enabled()
        with np.errstate(divide="ignore"), pytest.raises(bc.AnomalyError):
            bnp.log(bc.tensor([0.0], requires_grad=True))
    finally:
        bc.set_detect_anomaly(False)
    assert not bc.is_anomaly_enabled()

    @bc.detect_anomaly()
    def f():
        return bc.is_anomaly_enabled()

    assert f() and not bc.is_anomaly_enabled()


def test_results_unchanged_in_anomaly_mode():
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 4))
    x = rng.standard_normal((5, 3))

    def run():
        w = bc.tensor(w0, requires_grad=True)
        loss = bnp.tanh(bnp.asarray(x) @ w).max(axis=1).sum()
        loss.backward()
        return loss.item(), w.grad

    plain = run()
    with bc.detect_anomaly():
        checked = run()
    assert plain[0] == checked[0] and np.array_equal(plain[1], checked[1])
    g = bc.grad(lambda w: bnp.sum(bnp.sin(w) ** 2))
    with bc.detect_anomaly():
        np.testing.assert_allclose(g(w0), 2 * np.sin(w0) * np.cos(w0))


def test_higher_order_and_jvp_checked():
    with bc.detect_anomaly(), np.errstate(all="ignore"):
        with pytest.raises(bc.AnomalyError):
            bc.grad(bc.grad(bnp.sqrt))(0.0)
        with pytest.raises(bc.AnomalyError, match="sqrt"):
            bc.jvp(bnp.sqrt, (np.array([0.0, 1.0]),), (np.ones(2),))


def test_anomaly_block_is_per_thread():
    seen = {}
    ready = threading.Event()
    done = threading.Event()

    def other():
        seen["other"] = bc.is_anomaly_enabled()
        x = bc.tensor([0.0], requires_grad=True)
        with np.errstate(divide="ignore"):
            seen["value"] = float(bnp.log(x).data[0])  # no error: not in this thread's block
        ready.set()
        done.wait(5)

    with bc.detect_anomaly():
        t = threading.Thread(target=other)
        t.start()
        ready.wait(5)
        done.set()
        t.join()
        assert bc.is_anomaly_enabled()
    assert seen == {"other": False, "value": -np.inf}


def test_mutated_saved_ndarray_detected_in_anomaly_mode():
    a = np.array([1.0, 2.0])
    alias = a[:]  # a second view of a's buffer, made before the graph saved a: read-only flags miss it
    with bc.detect_anomaly():
        w = bc.tensor([3.0, 4.0], requires_grad=True)
        loss = (w * a).sum()  # MARK-mul
        alias[0] = 10.0
        with pytest.raises(bc.InplaceError) as info:
            loss.backward()
    msg = str(info.value)
    assert "'multiply'" in msg and "input 1" in msg and "float64[2]" in msg and "MARK-mul" in msg


def test_mutated_tensor_data_and_output_detected_in_anomaly_mode():
    with bc.detect_anomaly():
        w = bc.tensor([0.5, 1.0], requires_grad=True)
        alias = w.data[:]
        y = bnp.exp(w)
        loss = y.sum()
        alias[1] = 7.0  # a raw write through an older view: no version bump, but the fingerprint changed
        with pytest.raises(bc.InplaceError, match="'exp' saved its input 0"):
            loss.backward()
        w = bc.tensor([0.5, 1.0], requires_grad=True)
        y = bnp.exp(w)
        y.data.flags.writeable = True  # deliberately around the read-only lock
        y.data[0] = 0.0
        with pytest.raises(bc.InplaceError, match="'exp' saved its output"):
            y.backward(np.ones(2))
