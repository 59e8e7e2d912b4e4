"""DataLoader, datasets, random_split, collate, the IDX reader and the bundled datasets."""
import gzip
import struct
from collections import namedtuple

import numpy as np
import pytest

import backchain as bc
from backchain.data import (DataLoader, Dataset, Subset, TensorDataset, default_collate, digits, fashion_mnist,
                            random_split, read_idx)


def arrays(n=10):
    return np.arange(n * 2, dtype=np.float32).reshape(n, 2), np.arange(n)


def test_batches_in_order_with_a_short_last_batch():
    x, y = arrays(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0][0].dtype == np.float32 and batches[0][0].shape == (4, 2)


def test_drop_last():
    loader = DataLoader(TensorDataset(*arrays(10)), batch_size=4, drop_last=True)
    assert len(loader) == 2 and [len(b[1]) for b in loader] == [4, 4]
    assert len(DataLoader(TensorDataset(*arrays(3)), batch_size=4, drop_last=True)) == 0
    assert list(DataLoader(TensorDataset(*arrays(3)), batch_size=4, drop_last=True)) == []


def test_default_batch_size_is_one():
    assert len(DataLoader(TensorDataset(*arrays(5)))) == 5


def test_shuffle_with_a_seed_is_reproducible_and_changes_every_epoch():
    ds = TensorDataset(*arrays(20))
    a = DataLoader(ds, batch_size=5, shuffle=True, seed=1)
    b = DataLoader(ds, batch_size=5, shuffle=True, seed=1)
    ea1, ea2 = [np.concatenate([y for _, y in a]) for _ in range(2)]
    eb1, eb2 = [np.concatenate([y for _, y in b]) for _ in range(2)]
    np.testing.assert_array_equal(ea1, eb1)
    np.testing.assert_array_equal(ea2, eb2)
    assert sorted(ea1) == list(range(20)) and not np.array_equal(ea1, ea2)
    assert not np.array_equal(ea1, np.arange(20))
    c = np.concatenate([y for _, y in DataLoader(ds, batch_size=5, shuffle=True, seed=2)])
    assert not np.array_equal(ea1, c)


def test_shuffle_with_a_generator_and_state_dict_resume():
    ds = TensorDataset(*arrays(12))
    gen = np.random.default_rng(7)
    loader = DataLoader(ds, batch_size=4, shuffle=True, generator=gen)
    assert loader.generator is gen
    list(loader)
    saved = loader.state_dict()
    expected = [y.tolist() for _, y in loader]
    fresh = DataLoader(ds, batch_size=4, shuffle=True, seed=123)
    fresh.load_state_dict(saved)
    assert [y.tolist() for _, y in fresh] == expected
    with pytest.raises(TypeError, match="Generator"):
        DataLoader(ds, shuffle=True, generator=np.random.RandomState(0))


def test_collate_of_tuples_dicts_and_numbers():
    class Samples(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {"image": np.full((2, 2), i, np.float32), "label": i, "meta": (float(i), "name%d" % i, i > 2)}

    batch = next(iter(DataLoader(Samples(), batch_size=3)))
    assert batch["image"].shape == (3, 2, 2) and batch["image"].dtype == np.float32
    np.testing.assert_array_equal(batch["label"], [0, 1, 2])
    values, names, flags = batch["meta"]
    np.testing.assert_array_equal(values, [0.0, 1.0, 2.0])
    assert names == ["name0", "name1", "name2"] and flags.dtype == bool and not flags.any()


def test_collate_keeps_lists_and_namedtuples_and_unwraps_tensors():
    Pair = namedtuple("Pair", "x y")
    out = default_collate([Pair(np.zeros(2), 1), Pair(np.ones(2), 2)])
    assert isinstance(out, Pair) and out.x.shape == (2, 2)
    out = default_collate([[bc.tensor([1.0]), 3], [bc.tensor([2.0]), 4]])
    assert isinstance(out, list) and isinstance(out[0], np.ndarray) and out[0].shape == (2, 1)


def test_collate_errors_name_the_problem():
    with pytest.raises(ValueError, match="different shapes"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(TypeError, match="cannot batch samples of type object"):
        default_collate([object(), object()])
    with pytest.raises(ValueError, match="different lengths"):
        default_collate([(1, 2), (1,)])


def test_custom_collate_fn():
    loader = DataLoader(TensorDataset(*arrays(4)), batch_size=2, collate_fn=lambda s: len(s))
    assert list(loader) == [2, 2]


def test_generic_dataset_without_get_batch():
    class Squares(Dataset):
        def __len__(self):
            return 7

        def __getitem__(self, i):
            return np.array([i * i], np.float64), i

    xs, ys = zip(*DataLoader(Squares(), batch_size=3))
    np.testing.assert_array_equal(np.concatenate(xs)[:, 0], np.arange(7) ** 2)


def test_tensor_dataset_checks_lengths_and_accepts_tensors():
    with pytest.raises(ValueError, match="same length"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="0-dimensional"):
        TensorDataset(np.float32(1.0))
    ds = TensorDataset(bc.tensor(np.ones((3, 2))), np.arange(3))
    assert isinstance(ds.tensors[0], np.ndarray) and len(ds) == 3 and ds[2][1] == 2


def test_dataloader_accepts_a_tuple_of_arrays_and_validates_batch_size():
    loader = DataLoader(arrays(6), batch_size=3)
    assert len(loader) == 2
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(arrays(6), batch_size=0)
    with pytest.raises(TypeError, match="__len__ and __getitem__"):
        DataLoader(iter(range(3)))


def test_random_split_with_lengths_and_fractions():
    ds = TensorDataset(*arrays(10))
    parts = random_split(ds, [3, 7], seed=0)
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(np.concatenate([p.indices for p in parts])) == list(range(10))
    again = random_split(ds, [3, 7], generator=np.random.default_rng(0))
    np.testing.assert_array_equal(parts[0].indices, again[0].indices)
    assert [len(p) for p in random_split(TensorDataset(*arrays(11)), [0.5, 0.3, 0.2], seed=0)] == [6, 3, 2]
    with pytest.raises(ValueError, match="sum to 9"):
        random_split(ds, [3, 6])
    # a subset batches through its parent's get_batch
    x, y = next(iter(DataLoader(parts[1], batch_size=7)))
    np.testing.assert_array_equal(y, parts[1].indices)
    assert isinstance(parts[0], Subset) and parts[0][0][1] == parts[0].indices[0]


def _write_idx(path, array, code, compress=False):
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    body = array.astype(array.dtype.newbyteorder(">")).tobytes()
    data = header + body
    path.write_bytes(gzip.compress(data) if compress else data)


@pytest.mark.parametrize("dtype,code", [(np.uint8, 0x08), (np.int8, 0x09), (np.int16, 0x0B), (np.int32, 0x0C),
                                        (np.float32, 0x0D), (np.float64, 0x0E)])
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx(tmp_path, dtype, code, compress):
    a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype) if np.dtype(dtype).kind != "u" else \
        np.arange(24, dtype=dtype).reshape(2, 3, 4)
    path = tmp_path / ("a.idx" + (".gz" if compress else ""))
    _write_idx(path, a, code, compress)
    out = read_idx(path)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, a)


def test_read_idx_rejects_malformed_files(tmp_path):
    path = tmp_path / "bad"
    path.write_bytes(b"\x01\x02\x08\x01")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(path)
    path.write_bytes(b"\x00\x00\x07\x01" + struct.pack(">I", 2) + b"ab")
    with pytest.raises(ValueError, match="unknown IDX type code 0x07"):
        read_idx(path)
    path.write_bytes(b"\x00\x00\x08\x02" + struct.pack(">I", 2))
    with pytest.raises(ValueError, match="truncated inside its header"):
        read_idx(path)
    path.write_bytes(b"\x00\x00\x08\x01" + struct.pack(">I", 5) + b"abc")
    with pytest.raises(ValueError, match=r"declares shape \(5,\).*holds 3 bytes"):
        read_idx(path)


def _fake_fashion(folder, n_train=6, n_test=4, compress=True):
    rng = np.random.default_rng(0)
    for stem, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28)).astype(np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        ext = ".gz" if compress else ""
        _write_idx(folder / f"{stem}-images-idx3-ubyte{ext}", images, 0x08, compress)
        _write_idx(folder / f"{stem}-labels-idx1-ubyte{ext}", labels, 0x08, compress)
    return images, labels


@pytest.mark.parametrize("compress", [True, False])
def test_fashion_mnist_from_a_folder(tmp_path, compress):
    images, labels = _fake_fashion(tmp_path, compress=compress)
    train, test = fashion_mnist(tmp_path)
    assert len(train) == 6 and len(test) == 4
    x, y = test.tensors
    assert x.shape == (4, 1, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(x[:, 0], images / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, labels)
    flat, _ = fashion_mnist(str(tmp_path), flatten=True)
    assert flat.tensors[0].shape == (6, 784)


def test_fashion_mnist_missing_files_say_how_to_get_them(tmp_path):
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        fashion_mnist(tmp_path)


def test_digits():
    pytest.importorskip("sklearn")
    train, test = digits()
    (x, y), (xt, yt) = train.tensors, test.tensors
    assert x.shape == (1437, 1, 8, 8) and xt.shape == (360, 1, 8, 8)
    assert x.dtype == np.float32 and y.dtype == np.int64 and 0 <= x.min() and x.max() == 1.0
    # stratified: every class is in the test set in proportion
    assert np.bincount(yt).min() >= 35
    # fixed: the same split every time
    again, _ = digits(flatten=True)
    np.testing.assert_array_equal(again.tensors[0], x.reshape(-1, 64))


def test_digits_without_scikit_learn_names_the_pip_command(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("No module named 'sklearn'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    with pytest.raises(ImportError, match=r"pip install 'backchain\[data\]'"):
        digits()


def test_a_sampler_without_a_length_is_iterated_and_the_loader_says_it_has_none():
    """The docs allow any iterable of indices (as PyTorch): iterating works; len() says why it can't."""
    ds = bc.data.TensorDataset(np.arange(16.0).reshape(8, 2))
    dl = bc.data.DataLoader(ds, batch_size=3, sampler=iter(range(7, -1, -1)))
    firsts = [np.asarray(b[0])[:, 0].tolist() for b in dl]
    assert firsts == [[14.0, 12.0, 10.0], [8.0, 6.0, 4.0], [2.0, 0.0]]
    with pytest.raises(TypeError, match="sampler .*has no length"):
        len(bc.data.DataLoader(ds, batch_size=3, sampler=iter(range(8))))
    assert len(bc.data.DataLoader(ds, batch_size=3, sampler=range(8), drop_last=True)) == 2
