"""A Keras-style training loop for PyTorch-style models: ``fit``, ``evaluate``, ``predict``.

``fit`` runs the loop that PyTorch users write by hand (zero the gradients,
forward, loss, backward, optimizer step, scheduler step), shows a live
progress bar per epoch (tqdm: batches done, loss, metrics, samples/s, ETA),
validates, calls callbacks (early stopping, checkpoints) and returns a
:class:`History`. A run can be resumed from a checkpoint written by
:class:`ModelCheckpoint`; the result is bit-for-bit the run that was never
interrupted (same model, optimizer, scheduler, shuffling, Dropout masks and
history).

The model is anything callable on a batch of inputs with PyTorch's Module
interface: ``parameters()``, ``state_dict()``/``load_state_dict()`` and,
if present, ``train()``/``eval()``.
"""
from __future__ import annotations

import importlib
import importlib.util
import math
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, SupportsFloat

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._core.tensor import Tensor, no_grad
from .random import get_rng_state, set_rng_state

if TYPE_CHECKING:
    from .nn.module import Module
    from .optim.optimizer import Optimizer

__all__ = ["fit", "evaluate", "predict", "History", "Callback", "EarlyStopping", "ModelCheckpoint", "GradientFlow",
           "ActivationStats", "KinkHits"]


def __dir__() -> list[str]:  # what the module offers, for dir() and tab completion (not np, sys, time)
    return sorted(__all__)

_LOSS_ALIASES = {
    "mse": "mse_loss", "mean_squared_error": "mse_loss", "l1": "l1_loss", "mae": "l1_loss",
    "mean_absolute_error": "l1_loss", "huber": "huber_loss", "smooth_l1": "smooth_l1_loss",
    "cross_entropy": "cross_entropy", "crossentropy": "cross_entropy",
    "categorical_crossentropy": "cross_entropy", "sparse_categorical_crossentropy": "cross_entropy",
    "nll": "nll_loss", "bce": "binary_cross_entropy", "binary_crossentropy": "binary_cross_entropy",
    "bce_with_logits": "binary_cross_entropy_with_logits", "kl_div": "kl_div",
}


# -- losses and metrics -----------------------------------------------------------
def _resolve_loss(loss):
    if callable(loss):
        return loss
    if not isinstance(loss, str):
        raise TypeError(f"fit: loss should be a callable loss(outputs, targets) or a name such as 'cross_entropy' "
                        f"or 'mse', got {type(loss).__name__}")
    name = _LOSS_ALIASES.get(loss, loss)
    try:
        functional = importlib.import_module("backchain.nn.functional")
    except ImportError as e:
        raise ImportError(f"fit: loss={loss!r} is looked up in backchain.nn.functional, which could not be "
                          f"imported ({e}); pass a callable loss instead") from None
    fn = getattr(functional, name, None)
    if fn is None or not callable(fn):
        known = sorted(k for k, v in _LOSS_ALIASES.items() if hasattr(functional, v))
        raise ValueError(f"fit: unknown loss {loss!r}; give a callable or one of {known}")
    return fn


def _resolve_optimizer(optimizer, model):
    """An optimizer, or one made by name ("adam", "sgd", "rmsprop", ... as in Keras) with its class's
    defaults over the model's parameters."""
    if not isinstance(optimizer, str):
        if not callable(getattr(optimizer, "step", None)) or not callable(getattr(optimizer, "zero_grad", None)):
            raise TypeError(f"fit: optimizer should be an optimizer (backchain.optim.Adam(model.parameters())) or "
                            f"a name such as 'adam', got {type(optimizer).__name__}")
        return optimizer
    optim = importlib.import_module("backchain.optim")
    classes = {name.lower(): cls for name, cls in vars(optim).items()
               if isinstance(cls, type) and issubclass(cls, optim.Optimizer) and cls is not optim.Optimizer}
    cls = classes.get(optimizer.lower().replace("_", ""))
    if cls is None:
        raise ValueError(f"fit: unknown optimizer {optimizer!r}; give an optimizer or one of {sorted(classes)}")
    if not callable(getattr(model, "parameters", None)):
        raise TypeError(f"fit: optimizer={optimizer!r} needs a model with parameters(); pass an optimizer instead")
    return cls(model.parameters())


def _split_validation(train_data, validation, fraction):
    """Keras's ``validation_split``: the last ``fraction`` of an (x, y) pair of arrays, before shuffling."""
    if not 0 < fraction < 1:
        raise ValueError(f"fit: validation_split should be between 0 and 1, got {fraction!r}")
    if validation is not None:
        raise ValueError("fit: give validation= or validation_split=, not both")
    if not (isinstance(train_data, tuple) and len(train_data) == 2 and all(hasattr(a, "shape") for a in train_data)):
        raise TypeError(f"fit: validation_split needs train_data as an (x, y) pair of arrays, got "
                        f"{type(train_data).__name__}; split a dataset with backchain.data.random_split")
    x, y = train_data
    n = len(x)
    cut = n - int(n * fraction)
    if cut in (0, n):
        raise ValueError(f"fit: validation_split={fraction} of {n} samples leaves an empty part")
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])


def accuracy(outputs: ArrayLike | Tensor, targets: ArrayLike | Tensor) -> float:
    """Fraction of correct predictions: the arg-max of the class scores (axis 1) against
    integer labels, or against the arg-max of one-hot/probability targets of the same
    shape. With one output per sample, a prediction is ``output > 0`` (logits).

    >>> import numpy as np
    >>> from backchain.train import accuracy
    >>> accuracy(np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([0, 0]))
    0.5
    """
    out, y = np.asarray(outputs), np.asarray(targets)
    if out.ndim >= 2 and out.shape[1] > 1:
        pred = out.argmax(axis=1)
        if y.shape == out.shape:
            y = y.argmax(axis=1)
    else:
        pred = (out > 0).reshape(y.shape)
        y = y > 0.5
    return float(np.mean(pred == y.reshape(pred.shape)))


def binary_accuracy(outputs: ArrayLike | Tensor, targets: ArrayLike | Tensor) -> float:
    """Fraction of correct predictions for probabilities: ``output > 0.5`` against 0/1 targets.

    >>> import numpy as np
    >>> from backchain.train import binary_accuracy
    >>> binary_accuracy(np.array([0.9, 0.2, 0.6]), np.array([1, 0, 0]))
    0.6666666666666666
    """
    out, y = np.asarray(outputs), np.asarray(targets)
    return float(np.mean((out.reshape(y.shape) > 0.5) == (y > 0.5)))


_METRICS = {"accuracy": accuracy, "acc": accuracy, "binary_accuracy": binary_accuracy}


def _resolve_metrics(metrics):
    if metrics is None:
        return []
    if isinstance(metrics, str) or callable(metrics):
        metrics = (metrics,)
    out = []
    for m in metrics:
        if isinstance(m, str):
            if m not in _METRICS:
                raise ValueError(f"fit: unknown metric {m!r}; give a callable metric(outputs, targets) -> float or "
                                 f"one of {sorted(_METRICS)}")
            out.append(("accuracy" if m == "acc" else m, _METRICS[m]))
        elif callable(m):
            out.append((getattr(m, "__name__", type(m).__name__), m))
        else:
            raise TypeError(f"fit: a metric must be a name or a callable, got {type(m).__name__}")
    return out


# -- distributed hooks (inactive unless backchain.distributed was initialised with several ranks) --
def _distributed():
    """backchain.distributed when this process is one of several ranks, else None (never imports it)."""
    dist = sys.modules.get("backchain.distributed")
    if dist is None or not dist.is_initialized() or dist.world_size() == 1:
        return None
    return dist


def _all_sum(values):
    """Per-rank sums added up over the ranks (unchanged in a single process)."""
    dist = _distributed()
    return list(values) if dist is None else [float(v) for v in dist.all_sum(np.asarray(values, dtype=np.float64))]


# -- data --------------------------------------------------------------------------
def _batches(dataset, batch_size, shuffle, seed, training):
    """A DataLoader over ``dataset``; with several ranks, over this rank's share (a DistributedSampler)."""
    from .data import DataLoader

    dist = _distributed()
    if dist is None:
        return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, seed=seed)
    # Training shares are padded to equal length (every rank runs the same number of steps);
    # evaluation shares cover each sample once, and the sums are reduced over the ranks.
    sampler = dist.DistributedSampler(dataset, shuffle=shuffle, seed=0 if seed is None else seed, pad=training)
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler)


def _loader(data, batch_size, shuffle, seed, what, training=False):
    from .data import DataLoader, TensorDataset

    if isinstance(data, DataLoader):
        return data
    if isinstance(data, (tuple, list)) and len(data) >= 2 and all(isinstance(a, (np.ndarray, Tensor)) for a in data):
        return _batches(TensorDataset(*data), batch_size, shuffle, seed, training)
    if hasattr(data, "__getitem__") and hasattr(data, "__len__") and not isinstance(data, (np.ndarray, Tensor)):
        return _batches(data, batch_size, shuffle, seed, training)
    if hasattr(data, "__iter__") and not isinstance(data, (np.ndarray, Tensor)):
        if iter(data) is data:
            raise TypeError(f"{what}: got a one-shot iterator, which would be empty after the first epoch; pass a "
                            "DataLoader, a dataset, an (inputs, targets) pair of arrays, or a list of batches")
        return data
    raise TypeError(f"{what}: expected a DataLoader, a dataset, an (inputs, targets) pair of arrays or an iterable of "
                    f"batches, got {type(data).__name__}")


def _split(batch, what):
    if isinstance(batch, (tuple, list)) and len(batch) >= 2:
        return batch[0], batch[1]
    if isinstance(batch, dict) and "x" in batch and "y" in batch:
        return batch["x"], batch["y"]
    raise TypeError(f"{what}: each batch should be (inputs, targets), or a dict with 'x' and 'y'; got "
                    f"{type(batch).__name__}" + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else ""))


def _array(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _count(y):
    a = _array(y)
    return int(a.shape[0]) if a.ndim else 1


def _set_mode(model, training):
    if training and callable(getattr(model, "train", None)):
        model.train()
    elif not training and callable(getattr(model, "eval", None)):
        model.eval()


# -- history and callbacks ---------------------------------------------------------
class History:
    """What ``fit`` measured, one value per epoch: ``history["loss"]``, ``history["val_accuracy"]``, ...

    Attributes
    ----------
    epoch : list of int
        The epochs (counted from 1) that the values belong to.
    history : dict of str to list of float

    Examples
    --------
    >>> from backchain import History
    >>> h = History(); h.append(1, {"loss": 0.5}); h.append(2, {"loss": 0.25})
    >>> h["loss"], h.to_dict()
    ([0.5, 0.25], {'epoch': [1, 2], 'loss': [0.5, 0.25]})
    """

    epoch: list[int]
    history: dict[str, list[float]]
    interrupted: tuple[int, int] | None

    def __init__(self) -> None:
        self.epoch = []
        self.history = {}
        self.interrupted = None  # (epoch, step) where Ctrl-C stopped fit, counted from 1

    def append(self, epoch: int, logs: Mapping[str, SupportsFloat]) -> None:
        """Record the values of one epoch."""
        self.epoch.append(int(epoch))
        for key, value in logs.items():
            column = self.history.setdefault(key, [math.nan] * (len(self.epoch) - 1))
            column.append(float(value))
        for column in self.history.values():
            if len(column) < len(self.epoch):
                column.append(math.nan)

    def __getitem__(self, key: str) -> list[float]:
        if key not in self.history:
            raise KeyError(f"History has no {key!r}; it holds {sorted(self.history)}")
        return self.history[key]

    def __contains__(self, key: object) -> bool:
        return key in self.history

    def __len__(self) -> int:
        return len(self.epoch)

    def to_dict(self) -> dict[str, list[float]]:
        """``{"epoch": [...], name: [...], ...}`` as plain lists (what checkpoints store)."""
        return {"epoch": list(self.epoch), **{k: list(v) for k, v in self.history.items()}}

    @classmethod
    def from_dict(cls, d: Mapping[str, Sequence[float]]) -> History:
        """Rebuild a History from ``to_dict()``."""
        h = cls()
        h.epoch = [int(e) for e in d.get("epoch", [])]
        h.history = {k: [float(x) for x in v] for k, v in d.items() if k != "epoch"}
        return h

    def plot(self, path: str | os.PathLike[str] | None = None, metrics: Sequence[str] | None = None) -> Any:
        """Draw the curves per epoch, training and validation in one panel per quantity (needs matplotlib).

        See :func:`backchain.viz.plot_history`; returns the matplotlib Figure.

        >>> import os, tempfile
        >>> from backchain import History
        >>> h = History(); h.append(1, {"loss": 0.5, "val_loss": 0.6}); h.append(2, {"loss": 0.25, "val_loss": 0.4})
        >>> path = os.path.join(tempfile.mkdtemp(), "curves.svg")
        >>> _ = h.plot(path)
        >>> "validation" in open(path).read()
        True
        """
        from .viz.training import plot_history

        return plot_history(self, path=path, metrics=metrics)

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.history.items() if v)
        return f"History({len(self.epoch)} epochs{': ' + last if last else ''})"


class Callback:
    """Base class of callbacks; ``fit`` sets ``self.trainer`` before ``on_train_begin``.

    ``self.trainer`` gives ``model``, ``optimizer``, ``scheduler``, ``history``,
    ``epochs``, ``stop_training`` (set it to True to stop after this epoch)
    and ``checkpoint()`` (the full training state, for :func:`backchain.save`).
    Override any of the ``on_*`` methods; ``logs`` is a dict of the current
    values (``loss``, ``accuracy``, ``val_loss``, ...). A callback with state
    that must survive a resume defines ``state_dict``/``load_state_dict``.

    Examples
    --------
    A callback that records what each epoch logged and stops training after two epochs:

    >>> import numpy as np, backchain as bc
    >>> class StopAfter(bc.train.Callback):
    ...     def __init__(self, epochs):
    ...         self.epochs, self.seen = epochs, []
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         self.seen.append((epoch, sorted(logs)))
    ...         if epoch + 1 == self.epochs:
    ...             self.trainer.stop_training = True
    >>> x = np.linspace(-1, 1, 16, dtype=np.float32)[:, None]
    >>> net, stop = bc.nn.Linear(1, 1), StopAfter(2)
    >>> history = bc.fit(net, (x, 2 * x), "mse", bc.optim.SGD(net.parameters(), lr=0.1), epochs=10,
    ...                  metrics=(), callbacks=[stop], verbose=0)
    >>> stop.seen, len(history)
    ([(0, ['loss', 'lr']), (1, ['loss', 'lr'])], 2)
    """

    trainer: Any = None  # the running fit (model, optimizer, history, stop_training, ...)

    def set_trainer(self, trainer: Any) -> None:
        self.trainer = trainer

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        pass

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        pass

    def on_batch_begin(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        pass

    def on_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        pass

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        pass

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        pass


def _mode_for(monitor, mode):
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode should be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "auto":
        return "max" if ("acc" in monitor or monitor.endswith("auc")) else "min"
    return mode


def _monitored(logs, monitor, who):
    if monitor not in logs:
        raise KeyError(f"{who}: monitor={monitor!r} is not among this epoch's values {sorted(logs)}"
                       + ("; pass validation= to fit, or monitor 'loss'" if monitor.startswith("val_") else ""))
    return float(logs[monitor])


class EarlyStopping(Callback):
    """Stop training when a monitored value has stopped improving (Keras's ``EarlyStopping``).

    Parameters
    ----------
    monitor : str
        The value to watch (default ``"val_loss"``).
    min_delta : float
        Smallest change that counts as an improvement.
    patience : int
        Epochs without improvement after which training stops.
    mode : {"auto", "min", "max"}
        Whether lower or higher is better; "auto" picks "max" for accuracies.
    baseline : float, optional
        Stop unless the value gets better than this.
    restore_best_weights : bool
        At the end, load the weights of the best epoch back into the model.

    Examples
    --------
    >>> import backchain as bc
    >>> stop = bc.train.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0, mode: str = "auto",
                 baseline: float | None = None, restore_best_weights: bool = False) -> None:
        self.monitor = monitor
        self.min_delta = abs(min_delta)
        self.patience = patience
        self.mode = _mode_for(monitor, mode)
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self._reset()

    def _reset(self):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = math.inf if self.mode == "min" else -math.inf
        if self.baseline is not None:
            self.best = float(self.baseline)
        self.best_epoch = 0
        self.best_weights = None

    def _improved(self, value):
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        if self.trainer is None or self.trainer.start_epoch == 0:
            self._reset()

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        value = _monitored(logs, self.monitor, "EarlyStopping")
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch + 1, 0
            if self.restore_best_weights:
                self.best_weights = {k: np.array(v, copy=True) for k, v in self.trainer.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch + 1
            self.trainer.stop_training = True

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            self.trainer.model.load_state_dict(self.best_weights)

    def state_dict(self) -> dict[str, Any]:
        state = {"wait": self.wait, "best": self.best, "best_epoch": self.best_epoch,
                 "stopped_epoch": self.stopped_epoch}
        if self.best_weights is not None:
            state["best_weights"] = self.best_weights
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.wait, self.best = int(state["wait"]), float(state["best"])
        self.best_epoch, self.stopped_epoch = int(state["best_epoch"]), int(state["stopped_epoch"])
        self.best_weights = state.get("best_weights")


class ModelCheckpoint(Callback):
    """Save a checkpoint with :func:`backchain.save` at the end of epochs.

    By default the file holds everything needed to resume (``fit(...,
    resume=path)``): the model's and optimizer's state, the scheduler's, the
    epoch, the random generators' states (shuffling, Dropout), the history and
    the callbacks' state. With ``weights_only=True`` it holds only ``model.state_dict()``.
    Writes are atomic, so a crash while saving keeps the previous file.

    Parameters
    ----------
    filepath : str or os.PathLike
        May contain format fields: ``{epoch}`` (counted from 1) and any logged
        value, e.g. ``"ckpt-{epoch:03d}-{val_loss:.3f}.safetensors"``.
    monitor : str
        The value compared when ``save_best_only`` (default ``"val_loss"``).
    save_best_only : bool
        Save only when the monitored value improves.
    mode : {"auto", "min", "max"}
    weights_only : bool
        Save ``model.state_dict()`` only.
    every : int
        Save every ``every`` epochs (default 1).

    Examples
    --------
    >>> import backchain as bc
    >>> ckpt = bc.train.ModelCheckpoint("run.safetensors")
    """

    def __init__(self, filepath: str | os.PathLike[str], monitor: str = "val_loss", save_best_only: bool = False,
                 mode: str = "auto", weights_only: bool = False, every: int = 1) -> None:
        import os

        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.save_best_only = save_best_only
        self.mode = _mode_for(monitor, mode)
        self.weights_only = weights_only
        self.every = int(every)
        self.best = math.inf if self.mode == "min" else -math.inf
        self.last_path = None

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        from .io import save

        if (epoch + 1) % self.every:
            return
        if self.save_best_only:
            value = _monitored(logs, self.monitor, "ModelCheckpoint")
            better = value < self.best if self.mode == "min" else value > self.best
            if not better:
                return
            self.best = value
        path = self.filepath.format(epoch=epoch + 1, **logs)
        state = self.trainer.model.state_dict() if self.weights_only else self.trainer.checkpoint()
        dist = _distributed()
        if dist is None:
            save(state, path)
        else:  # the replicas are identical: rank 0 writes, the others wait for the file
            dist.save(state, path)
        self.last_path = path

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.best = float(state["best"])


def _layer_label(model, path):
    """``"fc1 (Linear)"``: a module's path and class, as layers are named in the pictures."""
    module = model
    for part in path.split(".") if path else ():
        module = getattr(module, "_modules", {}).get(part)
        if module is None:
            return path
    return f"{path} ({type(module).__name__})" if path else type(module).__name__


class GradientFlow(Callback):
    """Record the gradient norm of every layer during training, for :func:`backchain.viz.gradient_flow`.

    After each batch's backward pass the norm of each layer's gradient (all
    its parameters together, or each parameter with ``by="parameter"``) is
    taken; per epoch the batches' norms are averaged. A parameter that
    received no gradient counts as zero. Layers are kept in the order of
    ``model.named_parameters()``, from the input to the output.

    Parameters
    ----------
    every : {"epoch", "batch"}
        One value per epoch (the mean over its batches) or one per batch.
    by : {"layer", "parameter"}
        Group the parameters by the module that holds them, or not at all.

    Attributes
    ----------
    records : dict of str to list of float
        ``{"0 (Linear)": [norm at epoch 1, ...], ...}``.

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> model = bc.nn.Sequential(bc.nn.Linear(2, 4), bc.nn.Tanh(), bc.nn.Linear(4, 1))
    >>> x, y = np.ones((8, 2), np.float32), np.zeros((8, 1), np.float32)
    >>> flow = bc.train.GradientFlow()
    >>> _ = bc.fit(model, (x, y), "mse", bc.optim.SGD(model.parameters(), lr=0.1), epochs=3, metrics=(),
    ...            callbacks=[flow], verbose=0)
    >>> list(flow.records), len(flow.records["0 (Linear)"])
    (['0 (Linear)', '2 (Linear)'], 3)
    """

    def __init__(self, every: str = "epoch", by: str = "layer") -> None:
        if every not in ("epoch", "batch"):
            raise ValueError(f"GradientFlow: every should be 'epoch' or 'batch', got {every!r}")
        if by not in ("layer", "parameter"):
            raise ValueError(f"GradientFlow: by should be 'layer' or 'parameter', got {by!r}")
        self.every, self.by = every, by
        self.records = {}
        self._sums, self._batches = {}, 0

    def norms(self, model: Module) -> dict[str, float]:
        """The gradient norm of each layer (or parameter) of ``model`` now, after a backward pass."""
        if hasattr(model, "named_parameters"):
            named = list(model.named_parameters())
        else:
            named = [(f"parameter {i}", p) for i, p in enumerate(model.parameters())]
        squares = {}
        for name, p in named:
            if self.by == "layer" and hasattr(model, "named_parameters"):
                key = _layer_label(model, name.rpartition(".")[0])
            else:
                key = name
            g = getattr(p, "grad", None)
            sq = 0.0 if g is None else float(np.sum(np.square(np.asarray(g, dtype=np.float64))))
            squares[key] = squares.get(key, 0.0) + sq
        return {k: math.sqrt(v) for k, v in squares.items()}

    def record(self, model: Module) -> dict[str, float]:
        """Take the norms now (call it after ``loss.backward()`` in a hand-written loop)."""
        norms = self.norms(model)
        if self.every == "batch":
            for k, v in norms.items():
                self.records.setdefault(k, []).append(v)
        else:
            for k, v in norms.items():
                self._sums[k] = self._sums.get(k, 0.0) + v
            self._batches += 1
        return norms

    def end_epoch(self) -> None:
        """Close an epoch (with ``every="epoch"``): append the mean of its batches' norms."""
        if self.every == "epoch" and self._batches:
            for k, v in self._sums.items():
                self.records.setdefault(k, []).append(v / self._batches)
        self._sums, self._batches = {}, 0

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._sums, self._batches = {}, 0

    def on_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        self.record(self.trainer.model)

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        self.end_epoch()

    def state_dict(self) -> dict[str, Any]:
        return {"records": {k: list(v) for k, v in self.records.items()}}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.records = {k: [float(x) for x in v] for k, v in state.get("records", {}).items()}


class KinkHits(Callback):
    """Count, per layer and epoch, how many elements sat exactly on a kink in training's forward passes.

    A kink is a point where an operation is not differentiable and its derivative is a
    convention (``bc.kinks.table()``): a ReLU input at exactly 0, a tie in a max-pooling
    window, a clipped value at its bound. Hits are attributed to the innermost layer and keyed
    by its module path and type (``"features.0 (ReLU)"``), so layers of one type stay apart;
    validation passes are not counted. :func:`backchain.viz.kink_hits` draws the records.

    Attributes
    ----------
    records : dict of str to list of int
        Per layer, the hits of each epoch.
    by_op : dict of str to dict of str to int
        Per layer, the hits of the last epoch by operation (``{"1 (ReLU)": {"relu": 12}}``).

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> model = bc.nn.Sequential(bc.nn.Linear(2, 4), bc.nn.ReLU(), bc.nn.MaxPool1d(2))
    >>> x, y = np.zeros((8, 1, 2), np.float32), np.zeros((8, 1, 2), np.float32)
    >>> hits = bc.train.KinkHits()
    >>> _ = bc.fit(model, (x, y), "mse", bc.optim.SGD(model.parameters()), epochs=2, metrics=(),
    ...            callbacks=[hits], verbose=0)
    >>> sorted(hits.records)
    ['1 (ReLU)', '2 (MaxPool1d)']
    """

    def __init__(self) -> None:
        self.records = {}
        self.by_op = {}
        self._counting = None
        self._epoch = {}

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._epoch = {}

    def on_batch_begin(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        from . import kinks

        self._counting = kinks.count(self.trainer.model)
        counts = self._counting.__enter__()
        self._types = {path or type(m).__name__: type(m).__name__ for path, m in _modules(self.trainer.model)}
        self._counts = counts

    def on_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        if self._counting is None:
            return
        self._counting.__exit__(None, None, None)
        self._counting = None
        for (layer, op), n in self._counts.by_layer.items():
            key = f"{layer} ({self._types.get(layer, layer)})"
            ops = self._epoch.setdefault(key, {})
            ops[op] = ops.get(op, 0) + n

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        done = len(next(iter(self.records.values()), []))
        for key in self._epoch:
            if key not in self.records:  # a layer met for the first time (in forward order) hit nothing before
                self.records[key] = [0] * done
        for key, hits in self.records.items():
            hits.append(sum(self._epoch.get(key, {}).values()))
        self.by_op = self._epoch

    def plot(self, path: str | os.PathLike[str] | None = None) -> Any:
        """The picture of :func:`backchain.viz.kink_hits`."""
        from .viz import kink_hits

        return kink_hits(self.records, path)


class ActivationStats(Callback):
    """Record what each layer outputs during training, for :func:`backchain.viz.activation_histograms`.

    Forward hooks on the chosen layers keep, per epoch, a uniform random
    sample of at most ``max_values`` output values per layer and the exact
    share of outputs that are exactly zero (dead ReLU units pass no gradient).
    Only forward passes in training mode are recorded unless
    ``training_only=False``, so validation does not mix in. Outside ``fit``,
    call ``attach(model)``, run the model, read ``values``, then ``detach()``.

    Parameters
    ----------
    layers : sequence of str or type, optional
        Module paths (``"0"``, ``"encoder.fc1"``) or layer classes
        (``bc.nn.ReLU``); default: every module without children.
    max_values : int
        Size of the sample kept per layer.
    seed : int
        Seed of the sampling (its own generator: training's randomness is not touched).
    training_only : bool
        Record only while the layer is in training mode.

    Attributes
    ----------
    values : dict of str to ndarray
        The sample of the current (or last) epoch, per layer.
    fraction_zero : dict of str to float
        The exact share of zeros among all outputs of the current (or last) epoch.
    history : dict of str to list of float
        ``fraction_zero`` at the end of each epoch.

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> model = bc.nn.Sequential(bc.nn.Linear(3, 16), bc.nn.ReLU(), bc.nn.Linear(16, 2))
    >>> stats = bc.train.ActivationStats().attach(model)
    >>> _ = model(np.random.default_rng(0).normal(size=(32, 3)).astype(np.float32))
    >>> stats.detach(); sorted(stats.values)
    ['0 (Linear)', '1 (ReLU)', '2 (Linear)']
    >>> stats.values["1 (ReLU)"].shape, 0 < stats.fraction_zero["1 (ReLU)"] < 1
    ((512,), True)
    """

    def __init__(self, layers: Sequence[str | type[Module]] | None = None, max_values: int = 20000, seed: int = 0,
                 training_only: bool = True) -> None:
        self.layers = None if layers is None else list(layers)
        self.max_values = int(max_values)
        self.training_only = training_only
        self._rng = np.random.default_rng(seed)
        self._handles = []
        self.history = {}
        self.reset()

    def reset(self) -> None:
        """Forget the current epoch's sample and counts."""
        self.values, self._keys, self._count, self._zeros = {}, {}, {}, {}

    @property
    def fraction_zero(self) -> dict[str, float]:
        return {k: self._zeros[k] / self._count[k] for k in self._count if self._count[k]}

    def _chosen(self, model):
        modules = list(model.named_modules())
        if self.layers is None:
            return [(p, m) for p, m in modules if not m._modules and p] or [("", model)]
        names = [x for x in self.layers if isinstance(x, str)]
        types = tuple(x for x in self.layers if isinstance(x, type))
        known = {p for p, _ in modules}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise KeyError(f"ActivationStats: no layer {unknown} in the model; its layers are {sorted(known - {''})}")
        return [(p, m) for p, m in modules if p in names or (types and isinstance(m, types))]

    def attach(self, model: Module) -> ActivationStats:
        """Put forward hooks on the chosen layers of ``model``; returns ``self``."""
        self.detach()
        for path, module in self._chosen(model):
            label = _layer_label(model, path)
            self._handles.append(module.register_forward_hook(self._hook(label)))
        return self

    def detach(self) -> None:
        """Remove the hooks."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def _hook(self, label):
        def hook(module, args, output):
            if self.training_only and not getattr(module, "training", True):
                return None
            self.add(label, output)
            return None

        return hook

    def add(self, label: str, output: Any) -> None:
        """Add the values of one output of the layer ``label`` to the statistics."""
        a = output._data if isinstance(output, Tensor) else output
        if not isinstance(a, np.ndarray) or a.dtype.kind not in "fiu":
            return
        flat = a.ravel()
        self._count[label] = self._count.get(label, 0) + flat.size
        self._zeros[label] = self._zeros.get(label, 0) + int(np.count_nonzero(flat == 0))
        # A uniform sample of everything seen: every value gets a random key; the smallest keys stay.
        keys = self._rng.random(flat.size)
        if label in self.values:
            flat = np.concatenate([self.values[label], flat])
            keys = np.concatenate([self._keys[label], keys])
        if flat.size > self.max_values:
            keep = np.argpartition(keys, self.max_values - 1)[:self.max_values]
            flat, keys = flat[keep], keys[keep]
        self.values[label] = np.array(flat, dtype=np.float64, copy=True)
        self._keys[label] = keys

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        self.attach(self.trainer.model)

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        self.reset()

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        for k, v in self.fraction_zero.items():
            self.history.setdefault(k, []).append(v)

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        self.detach()


# -- progress ----------------------------------------------------------------------
def _format_logs(logs):
    return "  ".join(f"{k} {v:.4f}" for k, v in logs.items() if k != "lr")


class _Progress:
    """One epoch's display: a tqdm bar (interactive), a line per epoch, or nothing."""

    def __init__(self, verbose, epoch, epochs, total):
        if verbose == "auto":
            interactive = getattr(sys.stderr, "isatty", lambda: False)() or "ipykernel" in sys.modules
            verbose = 1 if interactive else 2
        dist = _distributed()
        self.verbose = int(verbose) if dist is None or dist.rank() == 0 else 0
        self.ranks = 1 if dist is None else dist.world_size()  # ranks step together: rate = ranks x local rate
        self.title = f"Epoch {epoch + 1}/{epochs}"
        self.start = time.perf_counter()
        self.bar = None
        self.last = 0.0
        if self.verbose == 1:
            if "ipykernel" in sys.modules and importlib.util.find_spec("ipywidgets") is not None:
                from tqdm.auto import tqdm
            else:  # a terminal, or a notebook without ipywidgets: the text bar (tqdm.auto would warn)
                from tqdm import tqdm
            # a short bar, so that the metrics after it fit in 80 columns; the epoch's last line
            # (validation included) is printed whole when the bar closes
            self.bar = tqdm(total=total, desc=self.title, unit="batch", leave=False, file=sys.stderr,
                            dynamic_ncols=True, mininterval=0.1,
                            bar_format="{desc} {n_fmt}/{total_fmt} |{bar:12}| {elapsed}<{remaining} {postfix}")

    def update(self, seen, logs, force=False):
        if self.bar is None:
            return
        self.bar.update(1)
        now = time.perf_counter()
        if force or now - self.last >= 0.1:
            self.last = now
            self.bar.set_postfix_str(_format_logs(logs), refresh=False)  # the rate is on the epoch's line

    def close(self, seen, logs):
        """The epoch's line, with every metric (it wraps rather than being cut at the terminal's width)."""
        elapsed = time.perf_counter() - self.start
        rate = seen * self.ranks / max(elapsed, 1e-9)
        line = f"{self.title}  {_format_logs(logs)}  {elapsed:.2f} s  {rate:,.0f} samples/s"
        if self.bar is not None:
            self.bar.close()
            print(line, file=sys.stderr, flush=True)
        elif self.verbose >= 2:
            print(line, flush=True)

    def interrupt(self, message):
        if self.bar is not None:
            self.bar.close()
        if self.verbose:
            print(message, file=sys.stderr if self.bar is not None else sys.stdout, flush=True)


class _Interrupts:
    """Ctrl-C during ``fit``: the first one asks the loop to stop after the step in progress (so the
    model and optimizer are never left half-updated); a second one interrupts at once. Only the
    main thread receives signals; elsewhere this does nothing."""

    def __init__(self):
        self.requested = False
        self.previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        return False


# -- the loop ----------------------------------------------------------------------
class _Trainer:
    """The state of one ``fit`` call, as seen by callbacks."""

    def __init__(self, model, optimizer, scheduler, loader, history, epochs, callbacks):
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.loader, self.history, self.epochs, self.callbacks = loader, history, epochs, callbacks
        self.epochs_done = 0
        self.start_epoch = 0
        self.stop_training = False

    def checkpoint(self):
        """The full training state after ``epochs_done`` epochs (see ``fit(resume=...)``).

        ``"rng"`` holds every random stream training draws from: the loader's shuffling
        generator, backchain's default generator (Dropout without a generator of its own) and the
        generator of each module that has one (``module.generator``, by module path).
        """
        rng = {"backchain": get_rng_state()}
        if hasattr(self.loader, "state_dict"):
            rng["data"] = self.loader.state_dict()
        own = {path: m.generator.bit_generator.state for path, m in _modules(self.model)
               if isinstance(getattr(m, "generator", None), np.random.Generator)}
        if own:
            rng["modules"] = own
        return {
            "format": "backchain.fit",
            "epoch": self.epochs_done,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
            "rng": rng,
            "history": self.history.to_dict(),
            "callbacks": [cb.state_dict() for cb in self.callbacks],
        }

    def restore(self, state, where):
        if not isinstance(state, dict) or state.get("format") != "backchain.fit":
            raise ValueError(f"fit: {where} is not a training checkpoint written by ModelCheckpoint "
                             "(weights_only=False); load weights with model.load_state_dict(bc.load(path))")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None:
            if state.get("scheduler") is None:
                raise ValueError(f"fit: {where} holds no scheduler state, but a scheduler was given")
            self.scheduler.load_state_dict(state["scheduler"])
        rng = state.get("rng") or {}
        if "data" in rng and hasattr(self.loader, "load_state_dict"):
            self.loader.load_state_dict(rng["data"])
        if "backchain" in rng:
            set_rng_state(rng["backchain"])
        modules = dict(_modules(self.model))
        for path, gen_state in (rng.get("modules") or {}).items():
            gen = getattr(modules.get(path), "generator", None)
            if not isinstance(gen, np.random.Generator):
                raise ValueError(f"fit: {where} holds the random state of module '{path}', but the model has no "
                                 "module with a generator there; resume with the model the checkpoint was written by")
            gen.bit_generator.state = gen_state
        saved = state.get("callbacks") or []
        for cb, cb_state in zip(self.callbacks, saved):
            cb.load_state_dict(cb_state)
        self.history = History.from_dict(state.get("history") or {})
        self.epochs_done = self.start_epoch = int(state["epoch"])


def _modules(model):
    """``(path, module)`` of the model, named as its ``state_dict`` names them (a distributed wrapper's
    inner model, without ``module.``), so that a checkpoint resumes with or without several ranks."""
    if not callable(getattr(model, "named_modules", None)):
        return []
    dist = sys.modules.get("backchain.distributed")
    if dist is not None and isinstance(model, dist.DistributedDataParallel):
        model = model.module
    return list(model.named_modules())


def _forward_loss(model, loss_fn, x, y):
    out = model(x)
    value = loss_fn(out, y)
    if not isinstance(value, Tensor):
        raise TypeError(f"fit: the loss returned a {type(value).__name__}; it must return a scalar Tensor computed "
                        "from the model's output (use backchain.numpy functions)")
    if np.size(value._data) != 1:  # not value.size: a backchain.torch Tensor's size is a method
        raise ValueError(f"fit: the loss returned shape {value.shape}; it must be a scalar (use reduction='mean')")
    return out, value


def fit(model: Module, train_data: Any, loss: Callable[[Any, Any], Any] | str, optimizer: Optimizer | str,
        epochs: int = 1, validation: Any = None, metrics: Sequence[str | Callable[[Any, Any], float]] = ("accuracy",),
        scheduler: Any = None, callbacks: Sequence[Callback] = (), verbose: str | int = "auto", *,
        batch_size: int = 32, shuffle: bool = True, seed: int | None = None,
        resume: str | os.PathLike[str] | dict[str, Any] | None = None, validation_split: float | None = None,
        jit: bool = False) -> History:
    """Train a model: the PyTorch loop, with a progress bar, validation, callbacks and resume.

    Each batch: ``optimizer.zero_grad()``, ``loss(model(x), y).backward()``,
    ``optimizer.step()`` (and ``scheduler.step()`` for per-batch schedules
    such as ``OneCycleLR``). Each epoch: validation in eval mode without
    recording, ``scheduler.step()`` (``ReduceLROnPlateau`` gets ``val_loss``,
    or ``loss`` without validation), the history, the callbacks.

    Parameters
    ----------
    model : callable Module
        Called on a batch of inputs; needs ``parameters``/``state_dict``/``load_state_dict``.
    train_data : DataLoader, dataset, (x, y) pair of arrays, or iterable of (x, y) batches
        A dataset or arrays are batched with ``batch_size``, shuffled with ``seed``.
    loss : callable or str
        ``loss(outputs, targets)`` returning a scalar Tensor, or the name of a
        function in ``backchain.nn.functional`` ("cross_entropy", "mse", "l1",
        "bce_with_logits", ...), looked up when ``fit`` is called.
    optimizer : backchain.optim.Optimizer or str
        An optimizer, or the name of one in ``backchain.optim`` ("adam", "sgd",
        "rmsprop", "adamw", ...; any case), made with that class's defaults over
        ``model.parameters()``.
    epochs : int
        The epoch to train up to (counted from 0 even when resuming).
    validation : same kinds as ``train_data``, optional
        Evaluated after every epoch; its values are logged with a ``val_`` prefix.
    metrics : sequence of str or callable
        "accuracy", "binary_accuracy", or ``metric(outputs, targets) -> float``.
    scheduler : learning-rate scheduler, optional
    callbacks : sequence of Callback
    verbose : "auto", 0, 1 or 2
        1: a live tqdm bar per epoch; 2: one line per epoch; 0: silent.
        "auto" (default): a bar in a terminal or a notebook, otherwise (logs,
        CI) one line per epoch.
    batch_size : int
        Batch size when ``train_data`` is not already a DataLoader.
    shuffle : bool
        Shuffle when ``train_data`` is not already a DataLoader.
    seed : int, optional
        Seed of the shuffling when ``train_data`` is not already a DataLoader.
    validation_split : float, optional
        As in Keras: hold out the last fraction of an ``(x, y)`` pair of arrays
        (before shuffling) as the validation data.
    jit : bool
        Compile the training step with :func:`backchain.jit` (traced on the first batch of each
        shape, replayed after; the optimizer's step runs as it is within the replay).
    resume : str or os.PathLike or dict, optional
        A checkpoint from :class:`ModelCheckpoint` (or its loaded dict): the
        model, optimizer, scheduler, history and callback states and every
        random stream (the shuffling generator, backchain's default generator
        that Dropout draws from, each module's own ``generator``) are restored
        and training continues after its epoch, bit for bit.

    Notes
    -----
    Ctrl-C stops training cleanly: the step in progress finishes (the model and optimizer are
    never left half-updated), one line says where it stopped (and the last checkpoint a
    ``ModelCheckpoint`` wrote), and ``fit`` returns the ``History`` of the epochs done, with
    ``history.interrupted = (epoch, step)``. A second Ctrl-C interrupts at once.

    Under ``mpiexec`` after ``bc.distributed.init()``, ``fit`` trains data-parallel:
    it wraps the model and optimizer with ``bc.distributed.wrap`` unless the
    optimizer already is a ``DistributedOptimizer``, gives each rank its share of
    a dataset it batches itself (a ``DistributedSampler``, reshuffled each epoch;
    a DataLoader that is passed in is used as it is), sums the logged values over
    the ranks (every rank gets the same logs, so callbacks agree), shows the
    progress on rank 0 only, and ``ModelCheckpoint`` writes from rank 0 only.

    Returns
    -------
    History
        Per-epoch ``loss``, metrics, ``val_*`` values and ``lr``.

    Examples
    --------
    >>> import numpy as np, backchain as bc, backchain.numpy as bnp
    >>> class Line:                                   # any callable with the Module interface
    ...     def __init__(self): self.w = bc.tensor(np.zeros(1), requires_grad=True)
    ...     def __call__(self, x): return x * self.w
    ...     def parameters(self): return [self.w]
    ...     def state_dict(self): return {"w": self.w.data.copy()}
    ...     def load_state_dict(self, d): self.w.data[...] = d["w"]
    >>> x = np.linspace(-1, 1, 64); y = 3 * x
    >>> model = Line()
    >>> mse = lambda out, t: bnp.mean((out - t) ** 2)
    >>> h = bc.fit(model, (x, y), mse, bc.optim.SGD(model.parameters(), lr=0.5), epochs=10,
    ...            metrics=(), verbose=0, seed=0)
    >>> round(float(model.w.data[0]), 2), len(h["loss"])
    (3.0, 10)
    """
    loss_fn = _resolve_loss(loss)
    metric_fns = _resolve_metrics(metrics)
    optimizer = _resolve_optimizer(optimizer, model)
    if validation_split is not None:
        train_data, validation = _split_validation(train_data, validation, validation_split)
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"fit: epochs should be a non-negative integer, got {epochs!r}")
    loader = _loader(train_data, batch_size, shuffle, seed, "fit(train_data)", training=True)
    dist = _distributed()
    if dist is not None and not isinstance(optimizer, dist.DistributedOptimizer):
        # Several ranks: rank 0's weights are broadcast and gradients averaged (the model is updated in place).
        model, optimizer = dist.wrap(model, optimizer)
    val_loader = None if validation is None else _loader(validation, max(batch_size, 256), False, None,
                                                         "fit(validation)")
    callbacks = list(callbacks)
    trainer = _Trainer(model, optimizer, scheduler, loader, History(), int(epochs), callbacks)
    if resume is not None:
        from .io import load

        state = load(resume) if not isinstance(resume, dict) else resume
        trainer.restore(state, f"'{resume}'" if not isinstance(resume, dict) else "the resume state")
    per_batch = bool(getattr(scheduler, "per_batch", False))
    plateau = scheduler is not None and type(scheduler).__name__ == "ReduceLROnPlateau"
    total = len(loader) if hasattr(loader, "__len__") else None
    for cb in callbacks:
        cb.set_trainer(trainer)
    for cb in callbacks:
        cb.on_train_begin({})
    with _Interrupts() as interrupts:
        logs = _epochs(trainer, model, loss_fn, metric_fns, optimizer, scheduler, loader, val_loader, epochs,
                       verbose, total, per_batch, plateau, callbacks, interrupts, jit)
    for cb in callbacks:
        cb.on_train_end(logs)
    return trainer.history


def _train_step(model, loss_fn, optimizer):
    """One training step on a batch: zero_grad, forward, backward, step; returns (output, loss)."""
    def step(x, y):
        optimizer.zero_grad()
        out, value = _forward_loss(model, loss_fn, x, y)
        value.backward()
        optimizer.step()
        return out, value
    return step


def _epochs(trainer, model, loss_fn, metric_fns, optimizer, scheduler, loader, val_loader, epochs, verbose, total,
            per_batch, plateau, callbacks, interrupts, jit=False):
    """``fit``'s loop over epochs; returns the last epoch's logs."""
    logs = {}
    step = _train_step(model, loss_fn, optimizer)
    if jit:  # bc.jit of the step: traced on the first batch of each shape, replayed after
        from .jit import jit as _jit

        compiled = _jit(step)

        def step(x, y):
            out, value = compiled(x, y)
            return out, (value if isinstance(value, Tensor) else Tensor(np.asarray(value)))
    for epoch in range(trainer.start_epoch, int(epochs)):
        for cb in callbacks:
            cb.on_epoch_begin(epoch, {})
        _set_mode(model, True)
        progress = _Progress(verbose, epoch, epochs, total)
        if callable(getattr(getattr(loader, "sampler", None), "set_epoch", None)):
            loader.sampler.set_epoch(epoch)
        seen, loss_sum, metric_sums, running = 0, 0.0, [0.0] * len(metric_fns), {}
        for k, batch in enumerate(loader):
            for cb in callbacks:
                cb.on_batch_begin(k, running)
            x, y = _split(batch, "fit")
            out, value = step(x, y)
            if per_batch:
                scheduler.step()
            n = _count(y)
            seen += n
            loss_value = float(value._data)
            if not math.isfinite(loss_value):
                warnings.warn(f"fit: the loss is {loss_value} at epoch {epoch + 1}, batch {k + 1}", RuntimeWarning,
                              stacklevel=2)
            loss_sum += loss_value * n
            out_data, y_data = _array(out), _array(y)
            for j, (_, fn) in enumerate(metric_fns):
                metric_sums[j] += fn(out_data, y_data) * n
            running = {"loss": loss_sum / seen, **{name: s / seen for (name, _), s in zip(metric_fns, metric_sums)}}
            progress.update(seen, running)
            for cb in callbacks:
                cb.on_batch_end(k, running)
            if interrupts.requested:
                trainer.history.interrupted = (epoch + 1, k + 1)
                saved = [cb.last_path for cb in callbacks if getattr(cb, "last_path", None)]
                progress.interrupt(f"fit: interrupted in epoch {epoch + 1}, step {k + 1}; the history holds the "
                                   f"{trainer.epochs_done} epochs done" + (f"; last checkpoint {saved[-1]}" if saved
                                                                            else ""))
                return logs
        if seen == 0:
            raise ValueError("fit: the training data gave no batches (empty dataset, or drop_last with fewer samples "
                             "than batch_size)")
        if _distributed() is not None:  # the logs of all samples on all ranks, identical on every rank
            seen, loss_sum, *metric_sums = _all_sum([seen, loss_sum, *metric_sums])
            running = {"loss": loss_sum / seen, **{name: s / seen for (name, _), s in zip(metric_fns, metric_sums)}}
        logs = dict(running)
        if val_loader is not None:
            val = evaluate(model, val_loader, loss_fn, [fn for _, fn in metric_fns], _names=[n for n, _ in metric_fns])
            logs.update({f"val_{k}": v for k, v in val.items()})
        logs["lr"] = float(optimizer.param_groups[0]["lr"])
        if scheduler is not None and not per_batch:
            if plateau:
                scheduler.step(logs["val_loss"] if "val_loss" in logs else logs["loss"])
            else:
                scheduler.step()
        trainer.history.append(epoch + 1, logs)
        trainer.epochs_done = epoch + 1
        progress.close(seen, logs)
        for cb in callbacks:
            cb.on_epoch_end(epoch, logs)
        if trainer.stop_training:
            break
        if interrupts.requested:  # during validation or the callbacks: the epoch is complete
            trainer.history.interrupted = (epoch + 1, k + 1)
            progress.interrupt(f"fit: interrupted after epoch {epoch + 1}; the history holds the "
                               f"{trainer.epochs_done} epochs done")
            break
    return logs


def evaluate(model: Module, data: Any, loss: Callable[[Any, Any], Any] | str | None = None,
             metrics: Sequence[str | Callable[[Any, Any], float]] = ("accuracy",), *, batch_size: int = 256,
             _names: Any = None) -> dict[str, float]:
    """The mean loss and metrics of a model over a dataset, in eval mode, recording nothing.

    Parameters
    ----------
    model : callable Module
    data : DataLoader, dataset, (x, y) pair of arrays, or iterable of (x, y) batches
    loss : callable or str, optional
        As in :func:`fit`; without it only the metrics are computed.
    metrics : sequence of str or callable
    batch_size : int
        Batch size when ``data`` is not already batched.

    Returns
    -------
    dict
        ``{"loss": ..., "accuracy": ..., ...}``, averaged over samples.

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> model = lambda x: x                          # scores are the inputs themselves
    >>> bc.evaluate(model, (np.array([[2.0, 1.0], [0.0, 1.0]]), np.array([0, 0])))
    {'accuracy': 0.5}
    """
    loss_fn = None if loss is None else _resolve_loss(loss)
    metric_fns = list(zip(_names, metrics)) if _names is not None else _resolve_metrics(metrics)
    loader = _loader(data, batch_size, False, None, "evaluate(data)")
    was_training = getattr(model, "training", None)
    _set_mode(model, False)
    seen, loss_sum, sums = 0, 0.0, [0.0] * len(metric_fns)
    try:
        with no_grad():
            for batch in loader:
                x, y = _split(batch, "evaluate")
                out = model(x)
                n = _count(y)
                seen += n
                if loss_fn is not None:
                    loss_sum += float(_array(loss_fn(out, y))) * n
                out_data, y_data = _array(out), _array(y)
                for j, (_, fn) in enumerate(metric_fns):
                    sums[j] += fn(out_data, y_data) * n
    finally:
        if was_training:
            _set_mode(model, True)
    if _distributed() is not None:
        seen, loss_sum, *sums = _all_sum([seen, loss_sum, *sums])
    if seen == 0:
        raise ValueError("evaluate: the data gave no batches")
    result = {} if loss_fn is None else {"loss": loss_sum / seen}
    result.update({name: s / seen for (name, _), s in zip(metric_fns, sums)})
    return result


def predict(model: Module, data: Any, *, batch_size: int = 256) -> NDArray[Any]:
    """The model's outputs for all inputs, concatenated, in eval mode, recording nothing.

    Parameters
    ----------
    model : callable Module
    data : array, Tensor, DataLoader or iterable of batches
        Batches may be inputs or ``(inputs, targets, ...)`` (targets are ignored).
    batch_size : int
        Batch size when ``data`` is an array.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> bc.predict(lambda x: 2 * x, np.arange(5.0), batch_size=2)
    array([0., 2., 4., 6., 8.])
    """
    if isinstance(data, (np.ndarray, Tensor)):
        x = _array(data)
        batches = (x[k:k + batch_size] for k in range(0, len(x), batch_size))
    else:
        batches = (b[0] if isinstance(b, (tuple, list)) else b for b in data)
    was_training = getattr(model, "training", None)
    _set_mode(model, False)
    outs = []
    try:
        with no_grad():
            for xb in batches:
                outs.append(_array(model(xb)))
    finally:
        if was_training:
            _set_mode(model, True)
    if not outs:
        raise ValueError("predict: the data gave no batches")
    return np.concatenate(outs)
