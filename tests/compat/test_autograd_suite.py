"""HIPS autograd 1.9.1's own test suite, run against ``backchain.autograd``: the conformance run.

autograd's tests are the public specification of the behaviour that
``backchain.autograd`` mirrors. At test time the autograd 1.9.1 source
distribution is downloaded from PyPI (never committed): its sha256 must be the
digest PyPI publishes for it, pinned below. The archive is cached in
``$BACKCHAIN_CACHE`` (default ``~/.cache/backchain``); its ``tests/`` are
extracted into a temporary folder and run by pytest in a subprocess that calls
``backchain.autograd.install()`` before anything is collected, so that
``import autograd`` there gives ``backchain.autograd`` (the real autograd, a
test dependency of backchain, is never imported; a test below checks that).

Each of autograd's test files is one test here: every test of the file passes,
except the few in ``EXCLUDED``, which check autograd's own machinery rather
than a number (each with its reason). Without network access the tests skip,
saying so.

Per-file counts: ``python tests/compat/test_autograd_suite.py`` prints the table.
"""
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SDIST = "autograd-1.9.1.tar.gz"
# PyPI's published sha256 of the sdist (https://pypi.org/simple/autograd/); the download must match it.
SHA256 = "7818c5c69ddf9efb7da74097bd741a4c7920133f41966f68537223a15ef798bc"
INDEX = os.environ.get("BACKCHAIN_PYPI_SIMPLE", "https://pypi.org/simple").rstrip("/")

# autograd 1.9.1's test files (fixed by the digest above).
FILES = [
    "test_binary_ops.py", "test_builtins.py", "test_complex.py", "test_core.py", "test_dict.py", "test_direct.py",
    "test_fft.py", "test_graphs.py", "test_jacobian.py", "test_linalg.py", "test_list.py", "test_logic.py",
    "test_misc.py", "test_numpy.py", "test_scalar_ops.py", "test_scipy.py", "test_systematic.py", "test_tests.py",
    "test_truediv.py", "test_tuple.py", "test_ufunc_dispatch.py", "test_vspaces.py", "test_wrappers.py",
]

# The tests that check autograd's own machinery, not a derivative: test id -> why it does not apply.
EXCLUDED = {
    "tests/test_fft.py::test_rfftn_odd_not_implemented":
        "asserts autograd's NotImplementedError for rfftn of an odd last length; backchain differentiates it "
        "(tests/compat/test_autograd_namespaces.py compares that gradient with JAX's)",
}

# Runs in the subprocess: install() first, then pytest over autograd's tests; writes each test's outcome.
RUNNER = textwrap.dedent("""
    import json, sys
    import backchain.autograd
    backchain.autograd.install()  # before anything imports autograd
    import pytest

    class Outcomes:
        def __init__(self):
            self.tests, self.errors = {}, {}

        def pytest_collectreport(self, report):
            if report.failed:
                self.errors[report.nodeid] = str(report.longrepr)[-1500:]

        def pytest_runtest_logreport(self, report):
            seen = self.tests.get(report.nodeid)
            if seen is not None and seen[0] != "passed":
                return  # a failed setup or call stays failed
            if report.when == "call" or report.outcome != "passed":
                crash = getattr(report.longrepr, "reprcrash", None)
                why = crash.message if crash is not None else str(report.longrepr or "")
                self.tests[report.nodeid] = (report.outcome, why[-600:])

    out_path, args = sys.argv[1], sys.argv[2:]
    outcomes = Outcomes()
    pytest.main(args, plugins=[outcomes])
    real = sorted(n for n, m in sys.modules.items() if "site-packages" in (getattr(m, "__file__", "") or "")
                  and (n == "autograd" or n.startswith("autograd.")))
    with open(out_path, "w") as f:
        json.dump({"tests": outcomes.tests, "errors": outcomes.errors, "real_autograd": real,
                   "autograd_is": sys.modules["autograd"].__name__}, f)
""")


class Outcomes(dict):
    """The subprocess's outcomes (``tests``, ``errors``, ``real_autograd``, ``autograd_is``), with a short repr
    for pytest's tracebacks."""

    def __repr__(self):
        return f"<autograd's suite: {len(self['tests'])} tests, {len(self['errors'])} collection errors>"


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _download():
    """The sdist's bytes from the index, checked against the digest the index publishes and the pinned one."""
    request = urllib.request.Request(f"{INDEX}/autograd/", headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=30) as r:
        files = json.load(r)["files"]
    entry = next((f for f in files if f["filename"] == SDIST), None)
    if entry is None:
        raise LookupError(f"{INDEX}/autograd/ lists no {SDIST}")
    published = entry["hashes"]["sha256"]
    if published != SHA256:
        pytest.fail(f"autograd conformance: {INDEX} publishes sha256 {published} for {SDIST}, "
                    f"not the pinned {SHA256}")
    with urllib.request.urlopen(entry["url"], timeout=120) as r:
        data = r.read()
    if _sha256(data) != published:
        pytest.fail(f"autograd conformance: the downloaded {SDIST} has sha256 {_sha256(data)}, "
                    f"but the index publishes {published}")
    return data


def sdist_bytes():
    """The verified sdist, from the cache or downloaded into it; skips the caller when it cannot be had."""
    cache = Path(os.environ.get("BACKCHAIN_CACHE") or Path.home() / ".cache" / "backchain")
    path = cache / SDIST
    if path.is_file():
        data = path.read_bytes()
        if _sha256(data) == SHA256:
            return data
    try:
        data = _download()
    except (OSError, ValueError, LookupError, KeyError) as e:  # URLError and timeouts are OSErrors
        pytest.skip(f"autograd conformance: cannot download {SDIST} from {INDEX} ({type(e).__name__}: {e}); "
                    "offline? The run needs the package index once, then uses the cached copy in "
                    f"{cache}")
    try:
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=cache, delete=False) as f:
            f.write(data)
        os.chmod(f.name, 0o644)
        os.replace(f.name, path)
    except OSError:
        pass  # an unwritable cache: this run uses the bytes in memory
    return data


def run_suite(workdir):
    """Run autograd's tests under ``install()`` in a subprocess; return its outcomes (see ``RUNNER``)."""
    workdir = Path(workdir)
    archive = workdir / SDIST
    archive.write_bytes(sdist_bytes())
    with tarfile.open(archive) as tf:
        members = [m for m in tf.getmembers() if m.name.startswith("autograd-1.9.1/tests/")]
        tf.extractall(workdir, members=members, filter="data")
    top = workdir / "autograd-1.9.1"
    (top / "pytest.ini").write_text("[pytest]\n")  # not autograd's own options (xdist, coverage)
    out = workdir / "outcomes.json"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    args = ["tests", "-q", "-p", "no:cacheprovider", "--continue-on-collection-errors", "-c", "pytest.ini",
            "--rootdir", str(top)]
    proc = subprocess.run([sys.executable, "-c", RUNNER, str(out), *args], cwd=top, env=env,
                          capture_output=True, text=True, timeout=900)
    if not out.is_file():
        raise AssertionError(f"autograd's suite did not run (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n"
                             f"{proc.stderr[-3000:]}")
    return Outcomes(json.loads(out.read_text()))


def file_of(nodeid):
    return nodeid.split("::")[0].rsplit("/", 1)[-1]


def counts(results):
    """Per file: (passed, excluded, failed), failed counting failures, errors and skips outside ``EXCLUDED``."""
    table = {name: [0, 0, 0] for name in FILES}
    for nodeid, (outcome, _) in results["tests"].items():
        row = table.setdefault(file_of(nodeid), [0, 0, 0])
        row[0 if outcome == "passed" else 1 if nodeid in EXCLUDED else 2] += 1
    for nodeid in results["errors"]:
        table.setdefault(file_of(nodeid), [0, 0, 0])[2] += 1
    return table


def format_table(table):
    lines = [f"{'autograd 1.9.1 test file':<26} {'passed':>6} {'excluded':>8} {'failed':>6}"]
    for name, (p, e, f) in sorted(table.items()):
        lines.append(f"{name:<26} {p:>6} {e:>8} {f:>6}")
    total = [sum(col) for col in zip(*table.values())]
    lines.append(f"{'total':<26} {total[0]:>6} {total[1]:>8} {total[2]:>6}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def suite(request, tmp_path_factory):
    results = run_suite(tmp_path_factory.mktemp("autograd-suite"))
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # shown in every run, as live logs are
            reporter.write_line("")
            reporter.write_line(format_table(counts(results)))
    return results


def test_suite_runs_on_backchain(suite):
    assert suite["autograd_is"] == "backchain.autograd"
    assert suite["real_autograd"] == [], "HIPS autograd itself was imported in the conformance run"
    assert sorted({file_of(n) for n in suite["tests"]} | {file_of(n) for n in suite["errors"]}) == sorted(FILES)


@pytest.mark.parametrize("name", FILES)
def test_autograd_file(suite, name):
    errors = [f"{n}: {why}" for n, why in suite["errors"].items() if file_of(n) == name]
    tests = {n: v for n, v in suite["tests"].items() if file_of(n) == name}
    bad = [f"{n}: {outcome}: {why}" for n, (outcome, why) in tests.items() if outcome != "passed" and n not in EXCLUDED]
    assert tests or errors, f"no test of autograd's {name} ran"
    assert not errors and not bad, f"autograd's {name} under backchain.autograd:\n" + "\n".join(errors + bad)


def test_exclusions_still_needed(suite):
    # an excluded test that passes now comes off the list; one that no longer exists too
    stale = [n for n in EXCLUDED if suite["tests"].get(n, ("missing",))[0] in ("passed", "missing")]
    assert not stale, f"tests in EXCLUDED that pass or do not exist: {stale}"


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as d:
        print(format_table(counts(run_suite(d))))


# -- the harness itself, without the network ---------------------------------------------

class _FakeIndex:
    """``urllib.request.urlopen`` serving a simple-API page that lists the sdist with ``published`` as its
    digest, and ``data`` as its bytes; ``offline`` raises as a machine without network does."""

    def __init__(self, published, data, offline=False):
        self.published, self.data, self.offline = published, data, offline

    def __call__(self, request, timeout=None):
        if self.offline:
            raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
        if isinstance(request, urllib.request.Request):  # the index page
            page = {"files": [{"filename": SDIST, "url": "https://files.example/" + SDIST,
                               "hashes": {"sha256": self.published}}]}
            return io.BytesIO(json.dumps(page).encode())
        return io.BytesIO(self.data)


@pytest.mark.parametrize("published, data, expected", [
    (SHA256, b"not autograd", "the downloaded autograd-1.9.1.tar.gz has sha256 " + _sha256(b"not autograd")),
    ("0" * 64, b"not autograd", "publishes sha256 " + "0" * 64),
])
def test_download_refuses_a_wrong_digest(monkeypatch, tmp_path, published, data, expected):
    monkeypatch.setenv("BACKCHAIN_CACHE", str(tmp_path))
    monkeypatch.setattr(urllib.request, "urlopen", _FakeIndex(published, data))
    with pytest.raises(pytest.fail.Exception, match=expected):
        sdist_bytes()
    assert not (tmp_path / SDIST).exists()


def test_offline_skips_with_the_reason(monkeypatch, tmp_path):
    monkeypatch.setenv("BACKCHAIN_CACHE", str(tmp_path))
    (tmp_path / SDIST).write_bytes(b"a damaged cached copy")  # not used: its digest is wrong
    monkeypatch.setattr(urllib.request, "urlopen", _FakeIndex(SHA256, b"", offline=True))
    with pytest.raises(pytest.skip.Exception, match="cannot download autograd-1.9.1.tar.gz .* offline"):
        sdist_bytes()


def test_counts_and_table():
    results = {"tests": {"tests/test_fft.py::test_fft": ("passed", ""),
                         "tests/test_fft.py::test_rfftn_odd_not_implemented": ("failed", "DID NOT RAISE"),
                         "tests/test_numpy.py::test_r_basic": ("failed", "TypeError"),
                         "tests/test_numpy.py::test_sum": ("skipped", "xarray is required")},
               "errors": {"tests/test_logic.py": "ImportError"}}
    table = counts(results)
    assert table["test_fft.py"] == [1, 1, 0] and table["test_numpy.py"] == [0, 0, 2]
    assert table["test_logic.py"] == [0, 0, 1] and table["test_core.py"] == [0, 0, 0]
    lines = format_table(table).splitlines()
    assert lines[0].split() == ["autograd", "1.9.1", "test", "file", "passed", "excluded", "failed"]
    assert "test_fft.py 1 1 0" in [" ".join(line.split()) for line in lines]
    assert lines[-1].split() == ["total", "1", "1", "3"]
