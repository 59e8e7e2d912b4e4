"""The Fashion-MNIST CNN example runs end to end on small IDX files written here, and draws its curves."""
import gzip
import importlib.util
import pathlib
import struct

import numpy as np

PATH = pathlib.Path(__file__).resolve().parent.parent / "examples" / "fashion_mnist_cnn.py"


def _idx(path, array, code):
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(gzip.compress(header + array.astype(array.dtype.newbyteorder(">")).tobytes()))


def test_fashion_cnn_example_learns_on_synthetic_idx_files(tmp_path):
    rng = np.random.default_rng(0)
    root = tmp_path / "data"
    root.mkdir()
    for split, n in (("train", 256), ("t10k", 64)):
        y = rng.integers(0, 10, n).astype(np.uint8)
        x = np.zeros((n, 28, 28), np.uint8)
        for k in range(n):  # class k lights up its own band of rows: learnable in one epoch
            x[k, 2 * y[k]:2 * y[k] + 4, :] = 255
        x = np.clip(x + rng.integers(0, 40, x.shape), 0, 255).astype(np.uint8)
        _idx(root / f"{split}-images-idx3-ubyte.gz", x, 0x08)
        _idx(root / f"{split}-labels-idx1-ubyte.gz", y, 0x08)
    spec = importlib.util.spec_from_file_location("fashion_mnist_cnn", PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    accuracy, history, picture = mod.main(epochs=2, limit=None, batch_size=32, root=str(root),
                                          out=str(tmp_path / "out"), verbose=False)
    assert accuracy > 0.8
    assert pathlib.Path(picture).stat().st_size > 1000
    assert len(history.to_dict()["loss"]) == 2
