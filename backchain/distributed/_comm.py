"""The process group: MPI (through mpi4py) loaded on first use, collectives with timeouts.

Nothing here imports mpi4py at backchain import time: ``from mpi4py import MPI``
initialises MPI, which must only happen in a program that asked for it
(:func:`init`). Every collective is started non-blocking and waited for with a
deadline, so a rank that stopped or hangs turns into a clear
:class:`DistributedTimeoutError` on the others instead of a silent hang; an
uncaught exception on any rank aborts the whole job (``MPI_Abort``) after its
traceback is printed.
"""
from __future__ import annotations

import os
import pickle
import sys
import time
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["init", "is_initialized", "rank", "world_size", "barrier", "all_sum", "broadcast",
           "broadcast_object", "DistributedError", "DistributedTimeoutError"]

_INSTALL_HINT = ("pip install backchain[mpi]  (installs mpi4py and the MPICH wheel, which provides mpiexec; "
                 "from a checkout: pip install -e \".[mpi]\")")
DEFAULT_TIMEOUT = 300.0


class DistributedError(RuntimeError):
    """A distributed operation could not run: the group is not initialised, or the ranks disagree.

    Raised by the collectives, :class:`DistributedDataParallel` and
    :class:`DistributedSampler` (without ``num_replicas``) before :func:`init`,
    and by :class:`DistributedDataParallel` when the ranks hold different models.
    :class:`DistributedTimeoutError` is a subclass.

    Examples
    --------
    In a fresh process, before :func:`init`:

    >>> import backchain as bc
    >>> try:
    ...     bc.distributed.rank()
    ... except bc.distributed.DistributedError as e:
    ...     print(e)
    distributed.rank(): the process group is not initialised; call bc.distributed.init() first
    (and launch with mpiexec -n N)
    """


class DistributedTimeoutError(DistributedError):
    """A collective did not complete in time: another rank stopped, crashed or is stuck.

    Every collective waits at most the ``timeout`` given to :func:`init` (default
    300 s, or ``BACKCHAIN_DISTRIBUTED_TIMEOUT``). It can only happen with more than
    one rank: in a group of one nothing waits. A subclass of :class:`DistributedError`.

    Examples
    --------
    Catch it to save what can be saved before stopping; in one process the barrier
    returns at once:

    >>> import backchain as bc
    >>> bc.distributed.init(timeout=60)
    >>> try:
    ...     bc.distributed.barrier()
    ... except bc.distributed.DistributedTimeoutError as e:
    ...     print("another rank is gone:", e)
    ...     raise
    >>> issubclass(bc.distributed.DistributedTimeoutError, bc.distributed.DistributedError)
    True
    """


class _State:
    __slots__ = ("MPI", "comm", "rank", "size", "timeout", "previous_hook")


_state = None


def _load_mpi():
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(f"backchain.distributed needs mpi4py and an MPI library ({e}); install them with "
                          f"{_INSTALL_HINT}") from None
    except RuntimeError as e:  # mpi4py is there but finds no MPI library to load
        raise ImportError(f"backchain.distributed: mpi4py could not load an MPI library ({e}); install one with "
                          f"{_INSTALL_HINT}") from None
    return MPI


def init(*, timeout: float | None = None, abort_on_exception: bool = True) -> None:
    """Start (or join) the process group of this program; safe to call more than once.

    Launch the program with ``mpiexec -n N python script.py``; each of the N
    processes calls ``init()`` and learns its :func:`rank` among
    :func:`world_size` processes. Run without ``mpiexec``, the program is a
    group of one. backchain communicates over a duplicate of
    ``MPI.COMM_WORLD``, so its messages never mix with the program's own.

    Parameters
    ----------
    timeout : float, optional
        Seconds that any collective (gradient averaging, broadcasts, barriers)
        may wait for the other ranks before raising
        :class:`DistributedTimeoutError`. Default: the environment variable
        ``BACKCHAIN_DISTRIBUTED_TIMEOUT``, or 300.
    abort_on_exception : bool
        Install a ``sys.excepthook`` that prints the traceback, names the rank
        and calls ``MPI_Abort``, so that an uncaught exception on one rank
        stops every rank instead of leaving them waiting (default True; only
        with more than one rank).

    Raises
    ------
    ImportError
        If mpi4py or an MPI library is missing; the message says to
        ``pip install backchain[mpi]``.

    Examples
    --------
    A script run as ``mpiexec -n 2 python script.py``::

        import backchain as bc
        bc.distributed.init()
        print(f"rank {bc.distributed.rank()} of {bc.distributed.world_size()}")

    prints ``rank 0 of 2`` and ``rank 1 of 2``. Run as ``python script.py``, the
    program is a group of one:

    >>> import backchain as bc
    >>> bc.distributed.init()
    >>> bc.distributed.is_initialized(), bc.distributed.rank(), bc.distributed.world_size()
    (True, 0, 1)
    """
    global _state
    if timeout is None:
        timeout = float(os.environ.get("BACKCHAIN_DISTRIBUTED_TIMEOUT", DEFAULT_TIMEOUT))
    if not timeout > 0:
        raise ValueError(f"distributed.init: timeout must be a positive number of seconds, got {timeout!r}")
    if _state is not None:
        _state.timeout = float(timeout)
        return
    MPI = _load_mpi()
    state = _State()
    state.MPI = MPI
    state.comm = MPI.COMM_WORLD.Dup()
    state.rank = state.comm.Get_rank()
    state.size = state.comm.Get_size()
    state.timeout = float(timeout)
    state.previous_hook = None
    if abort_on_exception and state.size > 1:
        state.previous_hook = sys.excepthook
        sys.excepthook = _abort_on_exception
    _state = state


def _abort_on_exception(exc_type, exc, tb):
    state = _state
    (state.previous_hook or sys.__excepthook__)(exc_type, exc, tb)
    sys.stderr.write(f"backchain.distributed: rank {state.rank} of {state.size} stopped with "
                     f"{exc_type.__name__}; aborting all {state.size} ranks (MPI_Abort)\n")
    sys.stderr.flush()
    sys.stdout.flush()
    state.comm.Abort(1)


def is_initialized() -> bool:
    """Whether :func:`init` has been called in this process.

    >>> import backchain as bc
    >>> bc.distributed.is_initialized() in (True, False)
    True
    """
    return _state is not None


def _require(what):
    if _state is None:
        raise DistributedError(f"distributed.{what}: the process group is not initialised; call "
                               "bc.distributed.init() first (and launch with mpiexec -n N)")
    return _state


def rank() -> int:
    """This process's rank, 0 to ``world_size() - 1`` (rank 0 prints and writes checkpoints).

    Raises
    ------
    DistributedError
        Before :func:`init`.

    Examples
    --------
    Under ``mpiexec -n 2``, after ``bc.distributed.init()``::

        if bc.distributed.rank() == 0:
            print("only once")

    Without ``mpiexec`` the one process is rank 0:

    >>> import backchain as bc
    >>> bc.distributed.init()
    >>> bc.distributed.rank()
    0
    """
    return _require("rank()").rank


def world_size() -> int:
    """The number of processes in the group (1 when not launched by ``mpiexec``).

    Raises
    ------
    DistributedError
        Before :func:`init`.

    Examples
    --------
    Without ``mpiexec``, a group of one:

    >>> import backchain as bc
    >>> bc.distributed.init()
    >>> global_batch = 64
    >>> global_batch // bc.distributed.world_size()
    64
    """
    return _require("world_size()").size


def _wait(requests, what, state):
    """Wait for MPI requests until the group's timeout; raise DistributedTimeoutError past it.

    MPI moves a non-blocking collective forward only inside MPI calls, so this
    tests without sleeping (a sleep between tests stalls a large allreduce,
    whose pieces each need a call: 27x slower at 4 MB in our measurements); it
    yields the core between tests (``time.sleep(0)``) once a wait lasts longer
    than 50 us, so that oversubscribed ranks leave the cores to ranks still computing.
    """
    MPI = state.MPI
    if MPI.Request.Testall(requests):
        return
    start = time.perf_counter()
    deadline = start + state.timeout
    k = 0
    while not MPI.Request.Testall(requests):
        k += 1
        if k & 63:
            continue
        now = time.perf_counter()
        if now > deadline:
            for r in requests:
                try:
                    r.Cancel()
                except Exception:  # MPI may refuse to cancel a collective; the job is aborted anyway
                    pass
            raise DistributedTimeoutError(
                f"distributed: {what} on rank {state.rank} of {state.size} did not complete within "
                f"{state.timeout:g} s; another rank has stopped, crashed or is stuck (set the limit with "
                "bc.distributed.init(timeout=...) or BACKCHAIN_DISTRIBUTED_TIMEOUT)")
        if now - start > 5e-5:
            time.sleep(0)


def barrier() -> None:
    """Wait until every rank reaches this call (or raise :class:`DistributedTimeoutError`).

    Examples
    --------
    After ``bc.distributed.init()``::

        if bc.distributed.rank() == 0:
            prepare_files()
        bc.distributed.barrier()          # the others wait for rank 0

    In a group of one there is no one to wait for: it returns at once.

    >>> import backchain as bc
    >>> bc.distributed.init()
    >>> bc.distributed.barrier()
    """
    state = _require("barrier()")
    if state.size > 1:
        _wait([state.comm.Ibarrier()], "barrier()", state)


_MPI_SUM_DTYPES = ("float32", "float64", "int32", "int64", "complex64", "complex128")


def all_sum(values: ArrayLike, *, average: bool = False) -> Any:
    """Sum an array (or a list of numbers) over all ranks, element by element; every rank gets the result.

    Parameters
    ----------
    values : array_like
        Same shape and dtype on every rank (float32/64, int32/64, complex).
    average : bool
        Divide the sum by the number of ranks.

    Returns
    -------
    numpy.ndarray
        A new array; the input is not modified.

    Examples
    --------
    After ``bc.distributed.init()``::

        seen, correct = bc.distributed.all_sum([n_local, correct_local])

    In a group of one the sum is a copy of the values (the average too, as floats):

    >>> import backchain as bc
    >>> bc.distributed.init()
    >>> bc.distributed.all_sum([3, 4]), bc.distributed.all_sum([3, 4], average=True)
    (array([3, 4]), array([3., 4.]))
    """
    state = _require("all_sum()")
    a = np.array(values, copy=True)
    if a.dtype.name not in _MPI_SUM_DTYPES:
        a = a.astype(np.float64 if a.dtype.kind in "biuf" else a.dtype)
        if a.dtype.name not in _MPI_SUM_DTYPES:
            raise TypeError(f"distributed.all_sum: cannot sum dtype {np.asarray(values).dtype} over ranks; "
                            f"expected one of {_MPI_SUM_DTYPES}")
    a = np.ascontiguousarray(a)
    if state.size > 1:
        _wait([state.comm.Iallreduce(state.MPI.IN_PLACE, a, op=state.MPI.SUM)],
              f"all_sum of {a.size} {a.dtype} values", state)
    if average:
        a = a / state.size
    return a


def _allreduce_inplace(buffers, what):
    """Sum every buffer over the ranks in place: one non-blocking allreduce each, waited for together."""
    state = _require(what)
    if state.size == 1:
        return
    MPI = state.MPI
    requests = [state.comm.Iallreduce(MPI.IN_PLACE, b, op=MPI.SUM) for b in buffers]
    total = sum(b.size for b in buffers)
    _wait(requests, f"{what} ({len(buffers)} buffer(s), {total} values)", state)


def broadcast(array: NDArray[Any], root: int = 0) -> NDArray[Any]:
    """Overwrite ``array`` in place with rank ``root``'s copy (same shape and dtype on every rank).

    Returns
    -------
    numpy.ndarray
        ``array`` itself.

    Examples
    --------
    After ``bc.distributed.init()``::

        w = np.random.default_rng().normal(size=10)   # differs per rank
        bc.distributed.broadcast(w)                   # now rank 0's everywhere

    In a group of one, rank 0's copy is the array itself:

    >>> import numpy as np, backchain as bc
    >>> bc.distributed.init()
    >>> w = np.arange(3.0)
    >>> bc.distributed.broadcast(w) is w, w
    (True, array([0., 1., 2.]))
    """
    state = _require("broadcast()")
    if not isinstance(array, np.ndarray) or not array.flags.c_contiguous or not array.flags.writeable:
        raise TypeError("distributed.broadcast: expected a writeable C-contiguous ndarray, got "
                        f"{type(array).__name__}")
    if state.size > 1:
        _wait([state.comm.Ibcast(array, root=root)], f"broadcast of {array.size} {array.dtype} values", state)
    return array


def broadcast_object(obj: Any, root: int = 0) -> Any:
    """Rank ``root``'s ``obj`` on every rank (pickled; for small state such as an optimizer's settings).

    Pickle only crosses between the ranks of one job, which run the same
    program; nothing is read from files.

    Examples
    --------
    After ``bc.distributed.init()``::

        config = bc.distributed.broadcast_object(config if bc.distributed.rank() == 0 else None)

    In a group of one the object comes back as it is (not even pickled):

    >>> import backchain as bc
    >>> bc.distributed.init()
    >>> config = {"lr": 0.1, "epochs": 5}
    >>> bc.distributed.broadcast_object(config) is config
    True
    """
    state = _require("broadcast_object()")
    if state.size == 1:
        return obj
    payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL) if state.rank == root else b""
    n = np.array([len(payload)], dtype=np.int64)
    broadcast(n, root)
    buf = np.frombuffer(payload, dtype=np.uint8).copy() if state.rank == root else np.empty(int(n[0]), np.uint8)
    broadcast(buf, root)
    return obj if state.rank == root else pickle.loads(buf.tobytes())
