"""Random programs of Tensor operations run on backchain and on PyTorch side by side (a Hypothesis
state machine): in-place ops, views, ``detach``, ``no_grad``, ``retain_graph``, backward twice and
``.grad`` accumulation must give the same values, gradients and errors.

Documented differences (docs/reliability.md). Backward releases every node it ran, so a second
backward through one raises even where PyTorch could run again (nodes that saved nothing). And
where PyTorch
raises because a recorded in-place op overwrote a value that a rule needed, backchain kept a copy
of the old value and differentiates. There the gradients are compared with the same program run
functionally in PyTorch (every in-place op replaced by its out-of-place form), which is what
backchain's graph computes.

Examples: a fixed seed and ``BACKCHAIN_ORACLE_EXAMPLES`` programs (default 60).
"""
import os

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, settings, strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

import backchain as bc
import backchain.numpy as bnp

SHAPE = (4,)
_UNARY = {
    "sin": (bnp.sin, torch.sin),
    "exp": (bnp.exp, torch.exp),
    "tanh": (bnp.tanh, torch.tanh),
    "square": (lambda t: t * t, lambda t: t * t),
    "scale": (lambda t: t * 1.5, lambda t: t * 1.5),
    "shift": (lambda t: t + 0.25, lambda t: t + 0.25),
    "sum_bcast": (lambda t: t - bnp.sum(t) * 0.1, lambda t: t - t.sum() * 0.1),
}
_BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
}
_INPLACE = ("add_", "sub_", "mul_", "copy_")


class Pair:
    """One tensor in the three runs: backchain, PyTorch, and PyTorch run functionally."""

    def __init__(self, b, t, f, alias_of=None):
        self.b, self.t, self.f = b, t, f
        # True once a recorded in-place op wrote this tensor's storage through another tensor:
        # PyTorch rewrites its history (a view's base becomes part of the graph), backchain raises
        # if it is used in a graph afterwards (documented); later steps leave it alone
        self.divergent = False
        self.group = alias_of.group if alias_of is not None else [self]
        if alias_of is not None:
            self.group.append(self)


def _leaf_of(pair, leaves):
    return next(lf for lf in leaves if lf.b is pair.b)


class TensorPrograms(RuleBasedStateMachine):
    tensors = Bundle("tensors")

    def _new(self, p):
        self.all.append(p)
        return p

    @initialize()
    def setup(self):
        self.leaves = []
        self.rng = np.random.default_rng(0)
        self.all = []
        self.functional_ok = True  # False once storage is shared by a write: the functional run stops modelling it

    @rule(target=tensors, requires_grad=st.booleans(), seed=st.integers(0, 2**16))
    def leaf(self, requires_grad, seed):
        x = np.random.default_rng(seed).uniform(-1.5, 1.5, SHAPE)
        p = Pair(bc.tensor(x, requires_grad=requires_grad), torch.tensor(x, requires_grad=requires_grad),
                 torch.tensor(x, requires_grad=requires_grad))
        self.leaves.append(p)
        return self._new(p)

    @rule(target=tensors, x=tensors, op=st.sampled_from(sorted(_UNARY)))
    def unary(self, x, op):
        assume(not x.divergent)
        fb, ft = _UNARY[op]
        return self._new(Pair(fb(x.b), ft(x.t), ft(x.f)))

    @rule(target=tensors, x=tensors, y=tensors, op=st.sampled_from(sorted(_BINARY)))
    def binary(self, x, y, op):
        assume(not x.divergent and not y.divergent)
        fb, ft = _BINARY[op]
        return self._new(Pair(fb(x.b, y.b), ft(x.t, y.t), ft(x.f, y.f)))

    @rule(target=tensors, x=tensors, kind=st.sampled_from(["view", "detach"]))
    def alias(self, x, kind):
        assume(not x.divergent)
        if kind == "view":
            return self._new(Pair(x.b[:], x.t[:], x.f[:], alias_of=x))
        return self._new(Pair(x.b.detach(), x.t.detach(), x.f.detach(), alias_of=x))

    @rule(x=tensors, y=st.one_of(tensors, st.floats(-2, 2)), op=st.sampled_from(_INPLACE), grad_on=st.booleans())
    def inplace(self, x, y, op, grad_on):
        assume(not x.divergent and not (isinstance(y, Pair) and y.divergent))
        yb, yt = (y.b, y.t) if isinstance(y, Pair) else (y, y)
        if op == "copy_" and not isinstance(y, Pair):
            yb = yt = torch.full(SHAPE, y, dtype=torch.float64)
            yb = bc.tensor(yt.numpy())
        errors = []
        for t, other, mode in ((x.b, yb, bc.set_grad_enabled), (x.t, yt, torch.set_grad_enabled)):
            try:
                with mode(grad_on):
                    getattr(t, op)(other)
                errors.append(None)
            except RuntimeError as e:
                errors.append(e)
        assert (errors[0] is None) == (errors[1] is None), errors
        if errors[0] is not None:
            return
        if x.t.requires_grad and grad_on:
            for m in x.group:
                if m is not x:
                    m.divergent = True
        if len(x.group) > 1 or (isinstance(y, Pair) and y.b is x.b):
            # a write into shared storage, or an operand that is the output: not modelled functionally
            self.functional_ok = self.functional_ok and not len(x.group) > 1
        yf = y.f if isinstance(y, Pair) else (torch.full(SHAPE, y, dtype=torch.float64) if op == "copy_" else y)
        with torch.set_grad_enabled(grad_on):
            f = x.f
            if op == "copy_":
                x.f = yf * 1.0 if isinstance(yf, torch.Tensor) else yf
                if not grad_on and isinstance(x.f, torch.Tensor):
                    x.f = x.f.detach()
            else:
                x.f = getattr(f, op[:-1])(yf if not (isinstance(y, Pair) and y.b is x.b) else f)
            if not grad_on and f.requires_grad and not x.f.requires_grad:
                self.functional_ok = False  # torch keeps the graph of a no_grad write; not modelled

    @rule(x=tensors, retain=st.booleans(), seed=st.integers(0, 2**16))
    def backward(self, x, retain, seed):
        assume(x.b.requires_grad and not x.divergent)
        w = np.random.default_rng(seed).uniform(-1, 1, SHAPE)
        before = {id(lf): (None if lf.b.grad is None else np.array(lf.b.grad)) for lf in self.leaves}
        errors = []
        for t, wt in ((x.b, bc.tensor(w)), (x.t, torch.tensor(w))):
            try:
                (t * wt).sum().backward(retain_graph=retain)
                errors.append(None)
            except RuntimeError as e:
                errors.append(e)
        eb, et = errors
        if eb is None and et is None:
            self._compare_grads()
        elif eb is not None and et is not None:
            pass  # both refuse (released graph, modified saved value, ...)
        elif eb is None and "inplace operation" in str(et):
            # the documented difference: compare with the functional run
            if self.functional_ok:
                for lf in self.leaves:
                    if lf.f.requires_grad:
                        lf.f.grad = None
                if x.f.requires_grad:
                    (x.f * torch.tensor(w)).sum().backward(retain_graph=True)
                    for lf in self.leaves:
                        if lf.b.requires_grad and lf.b.grad is not None and lf.f.grad is not None:
                            got = lf.b.grad - (0 if before[id(lf)] is None else before[id(lf)])
                            np.testing.assert_allclose(got, lf.f.grad.numpy(), rtol=1e-10, atol=1e-12)
            self._reset_grads()
        elif isinstance(eb, bc.GraphReleasedError) and et is None:
            # documented: backward releases every node it ran; PyTorch can run again through
            # nodes that saved nothing (views, sums)
            self._reset_grads()
        else:
            raise AssertionError(f"backchain: {eb!r}; torch: {et!r}")

    @rule()
    def zero_grads(self):
        self._reset_grads()

    def _reset_grads(self):
        for lf in self.leaves:
            lf.b.grad = None
            lf.t.grad = None

    def _compare_grads(self):
        for lf in self.leaves:
            gb, gt = lf.b.grad, lf.t.grad
            assert (gb is None) == (gt is None), (gb, gt)
            if gb is not None:
                np.testing.assert_allclose(gb, gt.numpy(), rtol=1e-10, atol=1e-12)

    @invariant()
    def same_values(self):
        for p in getattr(self, "all", ()):
            np.testing.assert_allclose(p.b.data, p.t.detach().numpy(), rtol=1e-12, atol=1e-14)
            if p.divergent:
                continue
            assert p.b.requires_grad == p.t.requires_grad, (p.b, p.t)
            assert p.b.is_leaf == p.t.is_leaf, (p.b, p.t)


_N = int(os.environ.get("BACKCHAIN_ORACLE_EXAMPLES", "60"))
TensorPrograms.TestCase.settings = settings(max_examples=_N, stateful_step_count=12, deadline=None,
                                            derandomize="BACKCHAIN_ORACLE_EXAMPLES" not in os.environ,
                                            suppress_health_check=list(HealthCheck))
test_tensor_programs_agree_with_torch = TensorPrograms.TestCase
