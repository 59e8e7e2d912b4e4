"""bc.jit's cached kernels follow their sources (backchain/jit/_cachestamp.py): Numba keys a cached
function by its own file's time stamp only, so a kernel that inlines another module's function would
keep a stale copy of it after that module changed."""
import os

import pytest

pytest.importorskip("numba")
from backchain.jit import _cachestamp  # noqa: E402


def test_a_changed_source_removes_the_cached_kernels_once(tmp_path, monkeypatch):
    monkeypatch.setattr(_cachestamp, "_cache_dir", lambda: str(tmp_path))
    monkeypatch.setattr(_cachestamp, "_state", {})
    stale = ["_simd.rows_nn-128.py311.nbi", "_simd.rows_nn-128.py311.1.nbc", "_rnn_kernels._forward_part-9.py311.nbi"]
    other = ["_api.something-1.py311.nbi", "unrelated.txt"]
    for name in stale + other:
        (tmp_path / name).write_text("x")
    (tmp_path / "backchain-kernels.stamp").write_text("an older hash\n")
    _cachestamp.check()
    assert sorted(os.listdir(tmp_path)) == sorted(other + ["backchain-kernels.stamp"])
    assert (tmp_path / "backchain-kernels.stamp").read_text().strip() == _cachestamp.digest()
    # the same sources: what was cached since stays, in this process and the next
    (tmp_path / stale[0]).write_text("x")
    _cachestamp.check()
    monkeypatch.setattr(_cachestamp, "_state", {})
    _cachestamp.check()
    assert (tmp_path / stale[0]).exists()


def test_the_digest_follows_the_sources_and_a_missing_cache_is_left_alone(monkeypatch, tmp_path):
    monkeypatch.setattr(_cachestamp, "_state", {})
    d = _cachestamp.digest()
    assert len(d) == 16
    monkeypatch.setattr(_cachestamp, "_state", {})
    monkeypatch.setattr(_cachestamp, "_MODULES", _cachestamp._MODULES + ("_no_such_module",))
    assert _cachestamp.digest() != d
    monkeypatch.setattr(_cachestamp, "_state", {})
    monkeypatch.setattr(_cachestamp, "_cache_dir", lambda: str(tmp_path / "absent"))
    _cachestamp.check()   # no error, nothing made
    assert not (tmp_path / "absent").exists()


def test_numbas_cache_directory_of_the_kernels_is_found():
    path = _cachestamp._cache_dir()
    assert isinstance(path, str) and os.path.isabs(path)   # (Numba always has one: in the tree, or per user)
