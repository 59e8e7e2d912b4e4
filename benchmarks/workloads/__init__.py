"""The registry of workloads: one module per workload, found by name.

A workload is a module ``benchmarks/workloads/w*.py`` that defines
``WORKLOAD = Workload(...)``. Adding one (W3 CNN, W7 LSTM, W8 transformer once
their layers exist) is one new file; the runner, the table, the JSON and the
smoke test pick it up.
"""
import importlib
import pkgutil
import time
from dataclasses import dataclass, field
from typing import Callable, Optional


def time_steps(case, steps, warmup, budget=None):
    """Run ``warmup`` untimed steps, then time ``steps`` steps one by one; seconds per step.

    With ``budget`` (seconds), stop early once that much time was spent timing,
    after at least 3 steps (used by the scaling sweeps, whose step costs differ 1000-fold).
    """
    for _ in range(warmup):
        case.step()
    times = []
    clock = time.perf_counter
    spent = 0.0
    for k in range(steps):
        t = clock()
        case.step()
        t = clock() - t
        times.append(t)
        spent += t
        if budget is not None and k >= 2 and spent > budget:
            break
    return times


def default_measure(workload, case, size, steps, warmup, quick=False, budget=None, extras=True):
    """Time the steps; samples are in the workload's unit.

    ``quick`` (tiny counts), ``budget`` (seconds of timing at most) and ``extras``
    (False in scaling sweeps: skip a workload's additional runs) are passed on
    to a workload's own ``measure``.
    """
    times = time_steps(case, steps, warmup, budget)
    per = workload.per(size)
    return {"samples": [t * workload.scale / per for t in times], "seconds": times}


@dataclass
class Workload:
    """What to run, how to report it, and with which implementations.

    Parameters
    ----------
    name, title : str
        Short name (``"W1"``) and a one-line description.
    unit : str
        The unit of the reported figure; ``scale`` converts seconds per step into
        it after dividing by ``per(size)`` (e.g. 300 ops for microseconds per op).
    make : callable ``(impl, size) -> case``
        Builds a case with ``step()`` and ``grads()`` (a list of ndarrays, or None
        where there is nothing to check).
    impls : tuple of str
        Implementations, the baseline first.
    size : the default problem size (batch, chain length, width ...); ``quick_size`` with
        ``--quick`` (defaults to ``size``), ``smoke_size`` for the smoke test.
    steps, warmup, quick_steps, quick_warmup : int
        Timed and untimed steps, normally and with ``--quick``.
    measure : callable, optional
        ``(workload, case, size, steps, warmup, quick, budget, extras) -> dict`` with ``samples``
        (in ``unit``) and optionally ``extra`` (a dict of further figures).
    check : bool
        Compare every implementation's gradients with the baseline's.
    rtol : float
        Tolerance of that check, relative to the largest baseline gradient entry.
    flops : callable ``size -> float``, optional
        Floating point operations per step, to report GFLOP/s.
    sweep : tuple
        Sizes for the scaling table (``--scaling``); ``size_label`` names the size, and the
        table also shows the cost per ``sweep_per(size)`` ``per_label`` (per example, per node).
    """

    name: str
    title: str
    unit: str
    make: Callable
    impls: tuple
    size: object
    smoke_size: object
    steps: int
    warmup: int
    quick_steps: int
    quick_warmup: int
    scale: float = 1e3
    per: Callable = lambda size: 1
    measure: Callable = default_measure
    check: bool = True
    rtol: float = 1e-4
    flops: Optional[Callable] = None
    quick_size: object = None
    sweep: tuple = ()
    size_label: str = "size"
    sweep_per: Callable = lambda size: size
    per_label: str = ""
    baseline: str = "numpy"
    notes: dict = field(default_factory=dict)


def registry():
    """All workloads, by name, in the order of their module names."""
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("w"):
            module = importlib.import_module(f"{__name__}.{info.name}")
            w = module.WORKLOAD
            if w.name in found:
                raise ValueError(f"benchmarks: workload {w.name} is defined twice ({info.name})")
            found[w.name] = w
    return found
