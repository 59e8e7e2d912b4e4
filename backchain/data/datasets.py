"""Small real datasets: scikit-learn's 8x8 digits and Fashion-MNIST from its IDX files.

Neither is downloaded: the digits ship inside scikit-learn (an optional extra,
``pip install 'backchain[data]'``), and Fashion-MNIST is read from the files
that Debian's package ``dataset-fashion-mnist`` installs under
``/usr/share/datasets/fashion-mnist``, or from any folder that holds them.
"""
from __future__ import annotations

import gzip
import os
import struct
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .loader import TensorDataset

__all__ = ["digits", "fashion_mnist", "read_idx", "FASHION_MNIST_CLASSES"]

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                         "Ankle boot")

# IDX type codes (http://yann.lecun.com/exdb/mnist/): all big-endian.
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _images(x, n, side, flatten):
    x = x.astype(np.float32) / np.float32(255.0) if x.dtype == np.uint8 else x.astype(np.float32)
    return x.reshape(n, side * side) if flatten else x.reshape(n, 1, side, side)


def digits(flatten: bool = False, test_size: float = 0.2) -> tuple[TensorDataset, TensorDataset]:
    """scikit-learn's 8x8 handwritten digits (1,797 images, 10 classes), split for training and testing.

    The split is stratified and fixed (the same on every machine), so test
    accuracies are comparable.

    Parameters
    ----------
    flatten : bool
        Images as rows of 64 features instead of ``(1, 8, 8)`` arrays.
    test_size : float
        Fraction of the samples held out for testing (default 0.2: 1,437
        training and 360 test images).

    Returns
    -------
    (TensorDataset, TensorDataset)
        ``(train, test)``; each holds ``x`` (float32 in [0, 1], shape
        ``(n, 1, 8, 8)`` or ``(n, 64)``) and ``y`` (int64 class labels).

    Raises
    ------
    ImportError
        When scikit-learn is not installed; the message gives the pip command.

    Examples
    --------
    >>> import backchain as bc
    >>> train, test = bc.data.digits()          # doctest: +SKIP
    >>> x, y = train.tensors; x.shape, x.dtype   # doctest: +SKIP
    ((1437, 1, 8, 8), dtype('float32'))
    """
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError:
        raise ImportError("backchain.data.digits needs scikit-learn, which ships the digits data; install it with "
                          "pip install 'backchain[data]' (or pip install scikit-learn)") from None
    bunch = load_digits()
    x, y = bunch.data, bunch.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=test_size, stratify=y, random_state=0)
    # The digits' pixels are counts from 0 to 16.
    scale = lambda a: (a.astype(np.float32) / np.float32(16.0)).reshape((len(a), 64) if flatten else (len(a), 1, 8, 8))
    return TensorDataset(scale(x_train), y_train), TensorDataset(scale(x_test), y_test)


def read_idx(path: str | os.PathLike[str]) -> NDArray[Any]:
    """Read an IDX file (the MNIST format), gzipped or not, into an ndarray.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    numpy.ndarray
        With the file's shape and dtype (converted to native byte order).

    Raises
    ------
    ValueError
        If the file is not a well-formed IDX file; the message says what is wrong.

    Examples
    --------
    >>> import os, struct, tempfile, numpy as np, backchain as bc
    >>> path = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(struct.pack(">BBBBI", 0, 0, 0x08, 1, 3) + bytes([7, 2, 1]))
    >>> bc.data.read_idx(path)
    array([7, 2, 1], dtype=uint8)
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        head = f.read(2)
        f.seek(0)
        raw = gzip.decompress(f.read()) if head == b"\x1f\x8b" else f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"read_idx: '{path}' is not an IDX file (it should start with two zero bytes, a type "
                         "code and the number of dimensions)")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_TYPES:
        raise ValueError(f"read_idx: '{path}' has unknown IDX type code 0x{code:02x}; expected one of "
                         + ", ".join(f"0x{c:02x}" for c in _IDX_TYPES))
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(f"read_idx: '{path}' is truncated inside its header ({len(raw)} bytes, {ndim} dimensions)")
    shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    dtype = np.dtype(_IDX_TYPES[code])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    body = raw[4 + 4 * ndim:]
    if len(body) != expected:
        raise ValueError(f"read_idx: '{path}' declares shape {shape} of {dtype.newbyteorder('=')} "
                         f"({expected} bytes of data) but holds {len(body)} bytes")
    return np.frombuffer(body, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def _find(root, stem):
    for name in (stem, stem + ".gz"):
        path = os.path.join(root, name)
        if os.path.exists(path):
            return path
    return None


def fashion_mnist(root: str | os.PathLike[str] | None = None, flatten: bool = False
                  ) -> tuple[TensorDataset, TensorDataset]:
    """Fashion-MNIST (Zalando): 60,000 training and 10,000 test 28x28 grey images of 10 kinds of clothing.

    Parameters
    ----------
    root : str or os.PathLike, optional
        A folder holding ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
        ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (each may be
        gzipped, ``.gz``). Default: ``/usr/share/datasets/fashion-mnist``,
        where ``apt-get install dataset-fashion-mnist`` puts them.
    flatten : bool
        Images as rows of 784 features instead of ``(1, 28, 28)`` arrays.

    Returns
    -------
    (TensorDataset, TensorDataset)
        ``(train, test)``; ``x`` float32 in [0, 1], ``y`` int64 labels (names in
        ``FASHION_MNIST_CLASSES``).

    Raises
    ------
    FileNotFoundError
        When the files are absent; the message says how to get them.

    Examples
    --------
    >>> import backchain as bc
    >>> train, test = bc.data.fashion_mnist()   # doctest: +SKIP
    >>> len(train), len(test)                   # doctest: +SKIP
    (60000, 10000)
    """
    folder = os.fspath(root) if root is not None else FASHION_MNIST_DIR
    stems = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    paths = [_find(folder, stem) for stem in stems]
    missing = [stem for stem, path in zip(stems, paths) if path is None]
    if missing:
        raise FileNotFoundError(
            f"fashion_mnist: {', '.join(missing)} (or .gz) not found in {folder}. Install the data with "
            "`sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu, files in "
            f"{FASHION_MNIST_DIR}), or download the four IDX files from "
            "https://github.com/zalandoresearch/fashion-mnist into a folder and pass it as root=")
    x_train, y_train, x_test, y_test = (read_idx(p) for p in paths)
    out = []
    for x, y, part in ((x_train, y_train, "train"), (x_test, y_test, "t10k")):
        if x.ndim != 3 or x.shape[1] != x.shape[2] or y.ndim != 1 or len(x) != len(y):
            raise ValueError(f"fashion_mnist: the {part} files in {folder} hold images of shape {x.shape} and labels "
                             f"of shape {y.shape}; expected (n, side, side) images and n labels")
        out.append(TensorDataset(_images(x, len(x), x.shape[1], flatten), y.astype(np.int64)))
    return tuple(out)
