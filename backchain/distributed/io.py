"""Checkpoints in a distributed run: rank 0 writes, atomically; the others wait for it."""
from __future__ import annotations

import os
from typing import Any

from . import _comm

__all__ = ["save"]


def save(obj: Any, path: str | os.PathLike[str]) -> None:
    """Save like :func:`backchain.save` (atomic safetensors), on rank 0 only; every rank returns after the write.

    The replicas hold the same parameters, so one copy is enough; writing it
    from one rank avoids N processes racing to replace the same file. The
    barrier afterwards means that any rank may read ``path`` once this returns.

    Parameters
    ----------
    obj : what :func:`backchain.save` accepts
    path : str or os.PathLike

    Examples
    --------
    After ``bc.distributed.init()``::

        bc.distributed.save(model.state_dict(), "model.safetensors")

    In a group of one the process is rank 0 and writes the file:

    >>> import os, tempfile, numpy as np, backchain as bc
    >>> bc.distributed.init()
    >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
    >>> bc.distributed.save({"w": np.arange(3.0)}, path)
    >>> bc.load(path)
    {'w': array([0., 1., 2.])}
    """
    from ..io import save as _save

    state = _comm._require("save()")
    if state.rank == 0:
        _save(obj, path)
    _comm.barrier()
