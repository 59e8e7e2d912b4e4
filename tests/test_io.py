"""bc.save / bc.load: nested state round trip, atomic writes, corrupt files, no code execution."""
import json
import os
import struct

import numpy as np
import pytest

import backchain as bc
import backchain.io as bio

pytest.importorskip("safetensors")


def nested_state():
    rng = np.random.default_rng(0)
    return {
        "model": {"fc1.weight": rng.standard_normal((3, 4)).astype(np.float32),
                  "fc1.bias": np.zeros(3, np.float32),
                  "bn.num_batches_tracked": np.array(7, np.int64)},
        "optimizer": {"state": {0: {"step": 3, "exp_avg": rng.standard_normal((3, 4))},
                                1: {"step": 3, "exp_avg": np.ones(3)}},
                      "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "amsgrad": False, "params": [0, 1],
                                        "foreach": None}]},
        "scheduler": {"milestones": {2: 1, 5: 2}, "best": float("inf"), "worst": -float("inf"), "nan": float("nan"),
                      "mode": "min", "_last_lr": [0.1, 0.01]},
        "epoch": 12,
        "rng": {"data": {"generator": np.random.default_rng(3).bit_generator.state}},
        "flags": [True, None, "text", 2 ** 70, -5, 1.5],
        "scalars": {"f32": np.float32(1.25), "i64": np.int64(-4)},
        "complex": np.array([1 + 2j, -3.5j]),
        "complex_grid": np.arange(6).reshape(2, 3).T * 1j,
        "complex_scalar": np.complex128(2 - 1j),
        "c64": np.array([1 + 1j], np.complex64),
        "bools": np.array([True, False]),
        "empty": np.zeros((0, 3)),
        "$odd": {"a.b": np.arange(3), "a": {"b": np.arange(4)}},
        "tensor": bc.tensor([1.0, 2.0], requires_grad=True),
    }


def assert_same(a, b, path="root"):
    if isinstance(a, bc.Tensor):
        a = a.data
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray), path
        assert a.dtype == b.dtype and a.shape == b.shape, path
        np.testing.assert_array_equal(a, b)
        assert b.flags.writeable, path
    elif isinstance(a, np.generic):
        assert type(a) is type(b) and a == b, path
    elif isinstance(a, dict):
        assert type(b) is dict and list(a) == list(b), (path, list(a), list(b))
        for k in a:
            assert_same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), path
        for k, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{k}]")
    elif isinstance(a, float) and np.isnan(a):
        assert isinstance(b, float) and np.isnan(b), path
    else:
        assert type(a) is type(b) and a == b, (path, a, b)


def test_nested_state_round_trip(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    state = nested_state()
    bc.save(state, path)
    assert_same(state, bc.load(path))


def test_arrays_are_stored_under_dotted_names(tmp_path):
    from safetensors.numpy import load_file

    path = tmp_path / "ckpt.safetensors"
    bc.save(nested_state(), path)
    names = set(load_file(str(path)))
    assert {"model.fc1.weight", "optimizer.state.0.exp_avg", "optimizer.state.1.exp_avg", "complex"} <= names
    # a flat state_dict keeps its own key names, readable by any safetensors reader
    flat = tmp_path / "weights.safetensors"
    bc.save(nested_state()["model"], flat)
    assert set(load_file(str(flat))) == {"fc1.weight", "fc1.bias", "bn.num_batches_tracked"}


def test_plain_safetensors_file_loads_as_flat_dict(tmp_path):
    from safetensors.numpy import save_file

    path = tmp_path / "foreign.safetensors"
    save_file({"a": np.arange(3.0), "b": np.ones((2, 2), np.float32)}, str(path))
    out = bc.load(path)
    assert sorted(out) == ["a", "b"] and out["b"].dtype == np.float32


def test_header_is_json_and_the_file_holds_no_pickle(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    bc.save({"epoch": 12, "w": np.ones(3)}, path)
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    doc = json.loads(header["__metadata__"]["backchain"])
    assert doc["tree"]["epoch"] == 12
    assert b"\x80\x04" not in raw[:8 + n] and b"pickle" not in raw


def test_overwrite_replaces_the_file(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    bc.save({"epoch": 1}, path)
    bc.save({"epoch": 2}, path)
    assert bc.load(path) == {"epoch": 2}
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]


def test_interrupted_save_leaves_the_old_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    old = {"w": np.arange(10.0), "epoch": 1}
    bc.save(old, path)
    before = path.read_bytes()
    calls = []
    real_write = bio._write_chunks

    def crash_midway(f, data):
        # write half of the new file, then die as a killed process or a full disk would
        f.write(memoryview(data)[: len(data) // 2])
        calls.append(len(data))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(bio, "_write_chunks", crash_midway)
    with pytest.raises(OSError, match="No space left"):
        bc.save({"w": np.ones(10_000), "epoch": 2}, path)
    assert calls, "the write was not attempted"
    assert path.read_bytes() == before
    assert_same(old, bc.load(path))
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]  # the temporary file was removed
    monkeypatch.setattr(bio, "_write_chunks", real_write)


def test_crash_before_fsync_also_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    bc.save({"epoch": 1}, path)

    def broken_fsync(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(bio.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="Input/output"):
        bc.save({"epoch": 2}, path)
    monkeypatch.undo()
    assert bc.load(path) == {"epoch": 1}
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]


@pytest.mark.parametrize("damage,match", [
    (lambda raw: raw[: len(raw) - 5], "not a valid safetensors file"),       # truncated data
    (lambda raw: raw[:20], "header"),                                          # truncated header
    (lambda raw: raw[:5], "too short"),
    (lambda raw: b"", "too short"),
    (lambda raw: raw[:8] + b"[" + raw[9:], "not valid JSON"),                    # corrupt JSON
    (lambda raw: b"\x80\x04\x95" + raw[3:], "header"),                         # pickle magic
    (lambda raw: struct.pack("<Q", 2 ** 40) + raw[8:], "header"),              # absurd header size
])
def test_corrupt_files_raise_checkpoint_error(tmp_path, damage, match):
    path = tmp_path / "ckpt.safetensors"
    bc.save({"model": {"w": np.arange(12.0).reshape(3, 4)}, "epoch": 3}, path)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(bio.CheckpointError, match=match):
        bc.load(path)


def test_corrupt_structure_raises_checkpoint_error(tmp_path):
    from safetensors.numpy import save_file

    path = tmp_path / "bad.safetensors"
    save_file({"a": np.ones(2)}, str(path), metadata={"backchain": json.dumps({"version": 1,
                                                                               "tree": {"x": {"$tensor": "zz"}}})})
    with pytest.raises(bio.CheckpointError, match="refers to an array 'zz'"):
        bc.load(path)
    save_file({"a": np.ones(2)}, str(path), metadata={"backchain": "{not json"})
    with pytest.raises(bio.CheckpointError, match="backchain header"):
        bc.load(path)
    save_file({"a": np.ones(2)}, str(path), metadata={"backchain": json.dumps({"version": 99, "tree": 1})})
    with pytest.raises(bio.CheckpointError, match="version 99"):
        bc.load(path)


def test_checkpoint_error_is_a_value_error():
    assert issubclass(bc.io.CheckpointError, ValueError)


def test_unsupported_values_are_refused_with_their_path(tmp_path):
    path = tmp_path / "x.safetensors"
    with pytest.raises(TypeError, match="at 'model.act'"):
        bc.save({"model": {"act": lambda x: x}}, path)
    with pytest.raises(TypeError, match="dtype <U1"):
        bc.save({"names": np.array(["a", "b"])}, path)
    with pytest.raises(TypeError, match="dict key"):
        bc.save({(1, 2): 3}, path)
    assert not path.exists()


def test_optimizer_state_survives_a_checkpoint_exactly(tmp_path):
    w = bc.tensor(np.linspace(-1, 1, 5).astype(np.float32), requires_grad=True)
    opt = bc.optim.AdamW([w], lr=0.01, amsgrad=True)
    for _ in range(3):
        w.grad = (w.data * 2).astype(np.float32)
        opt.step()
    bc.save(opt.state_dict(), tmp_path / "opt.safetensors")
    w2 = bc.tensor(w.data, requires_grad=True)
    opt2 = bc.optim.AdamW([w2], lr=0.5)
    opt2.load_state_dict(bc.load(tmp_path / "opt.safetensors"))
    assert opt2.param_groups[0]["lr"] == 0.01 and opt2.param_groups[0]["betas"] == (0.9, 0.999)
    for o, p in ((opt, w), (opt2, w2)):
        p.grad = (p.data * 2).astype(np.float32)
        o.step()
    np.testing.assert_array_equal(w.data, w2.data)


@pytest.mark.skipif(os.name != "posix", reason="file modes and the umask are POSIX")
@pytest.mark.parametrize("umask,expected", [(0o077, 0o600), (0o022, 0o644), (0o002, 0o664)])
def test_save_respects_the_umask_as_open_and_torch_do(tmp_path, umask, expected):
    torch = pytest.importorskip("torch")
    old = os.umask(umask)
    try:
        bc.save({"w": np.ones(3)}, tmp_path / "bc.safetensors")
        torch.save({"w": torch.ones(3)}, tmp_path / "torch.pt")
        with open(tmp_path / "plain", "wb"):
            pass
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert modes == {"bc.safetensors": expected, "torch.pt": expected, "plain": expected}


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_save_over_a_file_keeps_its_mode(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    bc.save({"epoch": 1}, path)
    os.chmod(path, 0o640)
    bc.save({"epoch": 2}, path)
    assert path.stat().st_mode & 0o777 == 0o640 and bc.load(path) == {"epoch": 2}
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]


def _crafted(path, body):
    path.write_bytes(struct.pack("<Q", len(body)) + body)
    return path


CRAFTED = {
    "empty objects": b'{"a":[' + b",".join([b"{}"] * 600_000) + b"]}",
    "empty lists": b'{"a":[' + b",".join([b"[]"] * 600_000) + b"]}",
    "floats": b'{"a":[' + b",".join([b"0.5"] * 450_000) + b"]}",
    "two-letter strings": b'{"a":[' + b",".join([b'"ab"'] * 350_000) + b"]}",
    "flat object": b"{" + b",".join(b'"k%d":0' % i for i in range(200_000)) + b"}",
    "valid entries": b"{" + b",".join(b'"t%d":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}' % i
                                      for i in range(40_000)) + b"}",
    "structure document": b'{"__metadata__":{"backchain":"{\\"version\\":1,\\"tree\\":['
                          + b",".join([b"{}"] * 500_000) + b']}"}}',
}


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_a_crafted_header_allocates_at_most_about_twice_the_file(tmp_path, name):
    import tracemalloc

    path = _crafted(tmp_path / "crafted.safetensors", CRAFTED[name])
    size = path.stat().st_size
    assert size > 1_500_000
    tracemalloc.start()
    try:
        with pytest.raises(bio.CheckpointError, match="would allocate more than"):
            bc.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2.2 * size + (1 << 20), (peak, size)   # was 25x for the empty objects


def test_many_tiny_arrays_need_header_memory_and_load_with_it(tmp_path):
    import math

    state = {f"layer{i}.bias": np.full(2, i, np.float32) for i in range(3000)}
    path = tmp_path / "tiny.safetensors"
    bc.save(state, path)
    with pytest.raises(bio.CheckpointError, match=r"header_memory=math.inf"):
        bc.load(path)
    loaded = bc.load(path, header_memory=math.inf)
    assert list(loaded) == list(state)
    for k, v in state.items():
        np.testing.assert_array_equal(loaded[k], v)
    with pytest.raises(bio.CheckpointError, match=r"more than 1000 bytes \(header_memory\)"):
        bc.load(tmp_path / "tiny.safetensors", header_memory=1000)


def test_arrays_are_read_straight_into_their_own_memory(tmp_path):
    """A large checkpoint loads in about its own size (it was read whole, then every array copied: twice)."""
    import tracemalloc

    state = {"w": np.arange(1_000_000, dtype=np.float32).reshape(1000, 1000), "c": np.array([1 + 2j, 3j]),
             "s": np.float64(2.5), "epoch": 3}
    path = tmp_path / "big.safetensors"
    bc.save(state, path)
    size = path.stat().st_size
    tracemalloc.start()
    try:
        out = bc.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.2 * size, (peak, size)
    assert out["w"].flags.writeable and out["w"].flags.owndata
    np.testing.assert_array_equal(out["w"], state["w"])
    np.testing.assert_array_equal(out["c"], state["c"])
    assert out["s"] == 2.5 and isinstance(out["s"], np.float64) and out["epoch"] == 3
