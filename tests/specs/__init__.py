"""The rule test table: one ``Spec`` row per primitive (or per public function
that exercises one), collected from the family files beside this one.

A row says how to call the function, which input shapes to try, where to
sample inputs and what to stay away from (kinks, poles), and to which order to
check. ``tests/test_rules.py`` turns every row into gradient checks.
"""
import dataclasses
import importlib
from typing import Callable, Optional

import numpy as np

FAMILIES = ["elementwise", "reductions", "shape", "indexing", "linalg", "fft", "scipy_special", "scipy_other",
            "transforms", "activations", "nn", "conv", "pool", "sampling", "dct", "rnn"]


@dataclasses.dataclass
class Spec:
    fn: Callable                      # array arguments -> array (written with backchain.numpy)
    shapes: list                      # cases: each a tuple with one shape per argument
    prims: tuple = ()                 # primitives this row covers (default: fn's name)
    id: Optional[str] = None
    domain: tuple = (-2.0, 2.0)       # uniform sampling interval, or a callable (rng, shape) -> array
    avoid: Optional[Callable] = None  # avoid(*args) -> True when a sample sits too near a kink/pole
    order: int = 2                    # highest order checked (1 or 2)
    rtol: float = 1e-5
    atol: float = 1e-7
    complex: bool = False             # also check complex128 inputs (first order)
    broadcast: bool = False           # n-ary elementwise: Hypothesis draws broadcastable shapes
    argnums: Optional[tuple] = None   # differentiable arguments (default: all)
    eps: float = 1e-6

    def name(self):
        return self.id or getattr(self.fn, "__name__", "fn")

    def covers(self):
        return tuple(self.prims) or (getattr(self.fn, "__name__", ""),)


def sample(spec, shapes, rng, dtype=np.float64):
    """Draw arguments for ``spec`` at ``shapes``, resampling points that ``avoid`` rejects."""
    for _ in range(200):
        args = []
        for shape in shapes:
            if callable(spec.domain):
                a = np.asarray(spec.domain(rng, shape), dtype=np.float64)
            else:
                lo, hi = spec.domain
                a = rng.uniform(lo, hi, size=shape)
            if dtype == np.complex128:
                a = a + 1j * (rng.uniform(-1, 1, size=shape) if not callable(spec.domain)
                              else np.asarray(spec.domain(rng, shape)))
            args.append(np.asarray(a, dtype=dtype))
        if spec.avoid is None or not spec.avoid(*args):
            return args
    raise RuntimeError(f"spec {spec.name()}: could not draw a sample away from its kinks")


def all_specs():
    specs = []
    for fam in FAMILIES:
        try:
            mod = importlib.import_module(f"tests.specs.{fam}")
        except ModuleNotFoundError as e:
            if e.name == f"tests.specs.{fam}":
                continue
            raise
        specs.extend(getattr(mod, "SPECS", []))
    return specs


def not_differentiable():
    """Registered primitives that need no spec row, with the reason."""
    names = {}
    for fam in FAMILIES:
        try:
            mod = importlib.import_module(f"tests.specs.{fam}")
        except ModuleNotFoundError as e:
            if e.name == f"tests.specs.{fam}":
                continue
            raise
        names.update(getattr(mod, "COVERED_ELSEWHERE", {}))
    return names
