"""Data-parallel training: the same model on every rank, gradients averaged by one fused allreduce.

Each step, every rank runs forward and backward on its own share of the batch;
before the optimizer updates, the gradients are packed into one flat buffer
per dtype (split into buckets of at most ``bucket_cap_mb`` for large models),
summed over the ranks by one MPI allreduce per bucket (all buckets in flight
at once), divided by the number of ranks and handed back as ``.grad``. Every
rank then applies the same update to the same parameters, so the replicas stay
identical without ever sending parameters again.

The reduction runs after backward, not overlapped with it: see
``docs/distributed.md`` ("Why no overlap with backward") for the reasons and
the measurements.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .._core.tensor import Tensor, enable_grad
from ..nn.module import Module
from ..optim.optimizer import Optimizer
from . import _comm

__all__ = ["DistributedDataParallel", "DistributedOptimizer", "wrap"]


def _param_list(model):
    seen, params = set(), []
    for p in model.parameters():
        if id(p) not in seen:
            seen.add(id(p))
            params.append(p)
    return params


class _Bucket:
    __slots__ = ("params", "dtype", "size", "offsets", "buffer")

    def __init__(self, dtype):
        self.params, self.dtype, self.size, self.offsets, self.buffer = [], np.dtype(dtype), 0, [], None

    def add(self, p):
        self.params.append(p)
        self.offsets.append(self.size)
        self.size += p._data.size


def _make_buckets(params, cap_bytes):
    """Group parameters by dtype, in reverse registration order (the order backward finishes them),
    into buckets of at most ``cap_bytes`` (a parameter larger than that gets a bucket of its own)."""
    open_buckets, done = {}, []
    for p in reversed(params):
        dt = p._data.dtype
        b = open_buckets.get(dt)
        nbytes = p._data.size * dt.itemsize
        if b is not None and b.size and (b.size * dt.itemsize + nbytes) > cap_bytes:
            done.append(b)
            b = None
        if b is None:
            b = open_buckets[dt] = _Bucket(dt)
        b.add(p)
    done.extend(open_buckets.values())
    return done


class DistributedDataParallel(Module):
    """Wrap a model so that its gradients are averaged across ranks (PyTorch's name and role).

    On construction, rank 0's parameters and buffers are broadcast to every
    rank, so the replicas start identical whatever their random initialisation.
    :meth:`sync_gradients` averages the gradients; a
    :class:`DistributedOptimizer` (see :func:`wrap`) calls it before each
    update, so a plain training loop or ``bc.fit`` needs no other change.
    Calling the wrapper calls the model; ``state_dict()`` and
    ``load_state_dict()`` are the model's own, without PyTorch's ``module.``
    prefix, so a checkpoint of a distributed run loads into the plain model.

    Parameters
    ----------
    module : Module
        The model (the same architecture on every rank).
    bucket_cap_mb : float
        Largest flat buffer reduced in one allreduce (default 25 MB, PyTorch's
        default). Models smaller than that use one allreduce per step.
    broadcast_buffers : bool
        Broadcast rank 0's buffers (BatchNorm's running statistics) after each
        synchronised step, as PyTorch broadcasts them before each forward
        (default True).

    Attributes
    ----------
    module : Module
        The wrapped model.
    buckets : list
        How the gradients are packed: ``[(dtype, number of values), ...]`` per allreduce.

    Examples
    --------
    Under ``mpiexec -n 2 python train.py``::

        bc.distributed.init()
        model = bc.distributed.DistributedDataParallel(bc.nn.Linear(4, 2))
        loss = model(x_local).sum(); loss.backward()
        model.sync_gradients()            # .grad now holds the average over both ranks

    In a group of one (no ``mpiexec``) the gradients are already the average:

    >>> import numpy as np, backchain as bc
    >>> bc.distributed.init()
    >>> net = bc.nn.Linear(4, 2)
    >>> model = bc.distributed.DistributedDataParallel(net)
    >>> model.buckets, model.module is net
    ([('float32', 10)], True)
    >>> model(np.ones((3, 4), np.float32)).sum().backward()
    >>> model.sync_gradients()
    >>> net.bias.grad
    array([3., 3.], dtype=float32)
    """

    def __init__(self, module: Module, *, bucket_cap_mb: float = 25.0, broadcast_buffers: bool = True) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected a bc.nn.Module, got {type(module).__name__}")
        if not bucket_cap_mb > 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be positive, got {bucket_cap_mb!r}")
        state = _comm._require("DistributedDataParallel")
        self.module = module
        object.__setattr__(self, "_params", [p for p in _param_list(module) if p.requires_grad])
        object.__setattr__(self, "_buckets", _make_buckets(self._params, bucket_cap_mb * 2 ** 20))
        object.__setattr__(self, "_broadcast_buffers", bool(broadcast_buffers))
        object.__setattr__(self, "_world", state.size)
        self._check_same_model()
        self.broadcast_parameters()

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    @property
    def buckets(self) -> list[tuple[str, int]]:
        return [(b.dtype.name, b.size) for b in self._buckets]

    def _check_same_model(self):
        shapes = [(tuple(p._data.shape), p._data.dtype.str) for p in _param_list(self.module)]
        ref = _comm.broadcast_object(shapes)
        if ref != shapes:
            first = next((k for k, (a, b) in enumerate(zip(ref, shapes)) if a != b), min(len(ref), len(shapes)))
            raise _comm.DistributedError(
                f"DistributedDataParallel: rank {_comm.rank()} has a different model from rank 0: {len(shapes)} "
                f"parameters against {len(ref)}, first difference at parameter {first}"
                + (f" ({shapes[first]} against {ref[first]})" if first < min(len(ref), len(shapes)) else ""))

    def broadcast_parameters(self) -> None:
        """Copy rank 0's parameters and buffers to every rank (done once on construction)."""
        arrays = [p._data for p in _param_list(self.module)] + self._buffer_arrays()
        _broadcast_arrays(arrays)

    def _buffer_arrays(self):
        return [b._data for b in self.module.buffers() if b is not None]

    def sync_gradients(self) -> None:
        """Average ``.grad`` of every trainable parameter over the ranks (one allreduce per bucket).

        A parameter without a gradient on this rank counts as a zero gradient,
        so ranks that skipped a branch of the model still agree. After the call
        every rank holds the same averaged gradients, as views into the bucket
        buffers (PyTorch's ``gradient_as_bucket_view=True``): they are valid until
        the next call, so copy a ``.grad`` that must outlive the step.
        """
        if self._world == 1:
            return
        flats = []
        for b in self._buckets:
            # One buffer per bucket for the whole run: a fresh one each step would be page-faulted in anew.
            if b.buffer is None:
                b.buffer = np.empty(b.size, dtype=b.dtype)
            flat = b.buffer
            for p, off in zip(b.params, b.offsets):
                g = p.grad
                seg = flat[off:off + p._data.size]
                if g is None:
                    seg[...] = 0
                else:
                    seg[...] = (g._data if isinstance(g, Tensor) else np.asarray(g)).reshape(-1)
            flats.append(flat)
        _comm._allreduce_inplace(flats, "gradient allreduce")
        scale = 1.0 / self._world
        for b, flat in zip(self._buckets, flats):
            flat *= flat.dtype.type(scale)
            for p, off in zip(b.params, b.offsets):
                p.grad = flat[off:off + p._data.size].reshape(p._data.shape)

    def after_step(self) -> None:
        """Broadcast rank 0's buffers, if any and ``broadcast_buffers`` (called by DistributedOptimizer)."""
        if self._world > 1 and self._broadcast_buffers:
            arrays = self._buffer_arrays()
            if arrays:
                _broadcast_arrays(arrays)

    def state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return self.module.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict: Mapping[str, Any], *args: Any, **kwargs: Any) -> Any:
        return self.module.load_state_dict(state_dict, *args, **kwargs)

    def extra_repr(self) -> str:
        return f"{self._world} ranks, {len(self._buckets)} bucket(s)"


def _broadcast_arrays(arrays):
    """Broadcast ndarrays from rank 0 in place, packed into one flat buffer per dtype."""
    by_dtype = {}
    for a in arrays:
        by_dtype.setdefault(a.dtype, []).append(a)
    for dtype, group in by_dtype.items():
        flat = np.concatenate([a.reshape(-1) for a in group]) if group else np.empty(0, dtype)
        _comm.broadcast(flat)
        off = 0
        for a in group:
            a[...] = flat[off:off + a.size].reshape(a.shape)
            off += a.size


class DistributedOptimizer(Optimizer):
    """An optimizer whose ``step()`` first averages the gradients of a :class:`DistributedDataParallel` model.

    It shares the wrapped optimizer's parameter groups and state (schedulers
    built on either object see the same learning rates), and its
    ``state_dict`` is the wrapped optimizer's, so checkpoints load into a
    plain optimizer. On construction, rank 0's optimizer state (step counts,
    moments, hyperparameters; non-empty after a resume) is broadcast.

    Parameters
    ----------
    optimizer : Optimizer
        Built over the wrapped model's parameters.
    model : DistributedDataParallel

    Examples
    --------
    Under ``mpiexec``, after ``bc.distributed.init()``::

        model = bc.distributed.DistributedDataParallel(net)
        opt = bc.distributed.DistributedOptimizer(bc.optim.Adam(net.parameters()), model)
        opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()   # averaged, then updated

    In a group of one it steps as the wrapped optimizer would:

    >>> import numpy as np, backchain as bc
    >>> bc.distributed.init()
    >>> net = bc.nn.Linear(2, 1)
    >>> _ = bc.nn.init.zeros_(net.weight), bc.nn.init.zeros_(net.bias)
    >>> model = bc.distributed.DistributedDataParallel(net)
    >>> opt = bc.distributed.DistributedOptimizer(bc.optim.SGD(net.parameters(), lr=0.5), model)
    >>> opt.zero_grad(); model(np.ones((1, 2), np.float32)).sum().backward(); opt.step()
    >>> net.weight.data, net.bias.data
    (array([[-0.5, -0.5]], dtype=float32), array([-0.5], dtype=float32))
    """

    def __init__(self, optimizer: Optimizer, model: DistributedDataParallel) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"DistributedOptimizer: expected a bc.optim optimizer, got {type(optimizer).__name__}")
        if isinstance(optimizer, DistributedOptimizer):
            raise TypeError("DistributedOptimizer: the optimizer is already distributed")
        if not isinstance(model, DistributedDataParallel):
            raise TypeError(f"DistributedOptimizer: model must be a DistributedDataParallel, got "
                            f"{type(model).__name__}; use bc.distributed.wrap(model, optimizer)")
        trained = {id(p) for p in model._params}
        for k, group in enumerate(optimizer.param_groups):
            for p in group["params"]:
                if id(p) not in trained:
                    raise ValueError(f"DistributedOptimizer: parameter group {k} holds a parameter of shape "
                                     f"{p.shape} that the model does not train; its gradient would not be averaged")
        # Shared, not copied: the scheduler and the user's reference see one set of groups and state.
        self.optimizer = optimizer
        self.model = model
        self.defaults = optimizer.defaults
        self.param_groups = optimizer.param_groups
        self.state = optimizer.state
        self._step_count = 0
        if model._world > 1:
            state = _comm.broadcast_object(optimizer.state_dict())
            if _comm.rank() != 0:
                optimizer.load_state_dict(state)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Run ``closure`` (if given), average the gradients over the ranks, then update."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self.model.sync_gradients()
        self.optimizer.step()
        self.model.after_step()
        self._step_count += 1
        self._opt_called = True
        return loss

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        raise TypeError("DistributedOptimizer: add parameter groups to the model and optimizer before wrapping them")

    def state_dict(self) -> dict[str, Any]:
        return self.optimizer.state_dict()

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        self.optimizer.load_state_dict(state_dict)
        self.state = self.optimizer.state

    def __repr__(self):
        return f"DistributedOptimizer({self.optimizer!r})"


def wrap(model: Module, optimizer: Optimizer, *, bucket_cap_mb: float = 25.0, broadcast_buffers: bool = True
         ) -> tuple[DistributedDataParallel, DistributedOptimizer]:
    """Make a model and its optimizer data-parallel: ``(DistributedDataParallel, DistributedOptimizer)``.

    Call :func:`init` first, build the model and optimizer as in a one-process
    program (any seed: rank 0's parameters and optimizer state are broadcast),
    and use the two returned objects in their place, with a
    :class:`DistributedSampler` for the data (``bc.fit`` adds one itself when
    it batches a dataset).

    Examples
    --------
    Run as ``mpiexec -n 2 python train.py``::

        import backchain as bc
        bc.distributed.init()
        train, test = bc.data.digits(flatten=True)
        net = bc.nn.Sequential(bc.nn.Linear(64, 128), bc.nn.ReLU(), bc.nn.Linear(128, 10))
        model, opt = bc.distributed.wrap(net, bc.optim.Adam(net.parameters(), lr=1e-3))
        bc.fit(model, train, "cross_entropy", opt, epochs=5, validation=test, batch_size=32)

    The same program runs in a single process (``python train.py``), as a group of one:

    >>> import numpy as np, backchain as bc
    >>> bc.distributed.init()
    >>> net = bc.nn.Linear(1, 1)
    >>> model, opt = bc.distributed.wrap(net, bc.optim.SGD(net.parameters(), lr=0.1))
    >>> type(model).__name__, type(opt).__name__, model.module is net
    ('DistributedDataParallel', 'DistributedOptimizer', True)
    >>> x = np.linspace(-1, 1, 16, dtype=np.float32)[:, None]
    >>> len(bc.fit(model, (x, 2 * x), "mse", opt, epochs=2, metrics=(), verbose=0))
    2
    """
    ddp = model if isinstance(model, DistributedDataParallel) else DistributedDataParallel(
        model, bucket_cap_mb=bucket_cap_mb, broadcast_buffers=broadcast_buffers)
    return ddp, DistributedOptimizer(optimizer, ddp)
