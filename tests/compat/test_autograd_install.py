"""backchain.autograd.install(): an explicit opt-in that makes ``import autograd`` give backchain.autograd."""
import os
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(code, tmp_path=None):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [ROOT, str(tmp_path or ""),
                                                                    os.environ.get("PYTHONPATH")])))
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                         timeout=120, cwd=ROOT, env=env)
    return out


def test_import_autograd_gives_backchain_after_install(tmp_path):
    # a library that imports autograd itself, as a survival-analysis library does, with integer times
    (tmp_path / "survival_lib.py").write_text(textwrap.dedent("""
        import autograd.numpy as anp
        from autograd import elementwise_grad, value_and_grad
        from autograd.differential_operators import make_jvp_reversemode
        from autograd.scipy.stats import norm

        def hazard_derivative(params, times):
            return elementwise_grad(lambda p, t: anp.exp(-p * t) + norm.logpdf(t), argnum=1)(params, times)
    """))
    out = run("""
        import numpy as onp
        import backchain.autograd as bag
        bag.install()
        import autograd, autograd.numpy, autograd.scipy.stats.norm, autograd.misc.optimizers, autograd.extend
        import survival_lib
        assert autograd is bag and autograd.numpy is bag.numpy and autograd.extend is bag.extend
        assert autograd.scipy.stats.norm is bag.scipy.stats.norm
        assert survival_lib.anp is bag.numpy
        d = survival_lib.hazard_derivative(0.5, onp.arange(4))
        want = -0.5 * onp.exp(-0.5 * onp.arange(4)) - onp.arange(4)
        assert onp.allclose(d, want, rtol=0, atol=1e-12), d
        bag.install()  # again: nothing happens
        try:
            import autograd.numpy.numpy_wrapper
        except ModuleNotFoundError as e:
            print("missing:", e.name)
        print("ok")
    """, tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["missing:", "autograd.numpy.numpy_wrapper", "ok"]


def test_never_implicit():
    out = run("""
        import backchain, backchain.autograd
        import autograd
        print(autograd.__name__, "site-packages" in autograd.__file__)
    """)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["autograd", "True"]


def test_refused_once_autograd_is_imported():
    out = run("""
        import autograd.numpy
        import backchain.autograd as bag
        try:
            bag.install()
        except RuntimeError as e:
            print(e)
    """)
    assert out.returncode == 0, out.stderr
    assert "backchain.autograd.install: HIPS autograd is already imported (autograd" in out.stdout
    assert "call install() before anything imports autograd" in out.stdout


def test_pytest_imports_test_util_after_install(tmp_path):
    # pytest's assertion rewriter loads autograd.test_util itself (the file name matches test_*.py), as a module of
    # the top-level package "autograd": a relative import there left the package (autograd's suite hit it)
    (tmp_path / "test_uses_check_grads.py").write_text(textwrap.dedent("""
        import autograd.numpy as np
        from autograd.test_util import check_grads

        def test_sin():
            check_grads(np.sin, modes=["rev", "fwd"], order=2)(np.array([0.3, -1.2]))
    """))
    out = run(f"""
        import sys
        import backchain.autograd
        backchain.autograd.install()
        import pytest
        sys.exit(pytest.main([{str(tmp_path)!r}, "-q", "-p", "no:cacheprovider", "--rootdir", {str(tmp_path)!r}]))
    """)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "1 passed" in out.stdout
