"""``bc.jit``: trace a function once, replay its program of primitive calls.

``jit`` records the same primitives that the eager engine runs (forward, and backward
when the function differentiates), so every rule and kink convention applies unchanged;
the :class:`Program` can be printed like a jaxpr. Buffers and fusion are replay
concerns (``_replay.py``, ``_fuse.py``), invisible to the rules.
"""
from ._api import EmptyProgramWarning, Jitted, JitError, RetraceWarning, SideEffectWarning, jit
from ._program import Call, Guard, Program, Slot

__all__ = ["jit", "Jitted", "JitError", "RetraceWarning", "SideEffectWarning", "EmptyProgramWarning", "Program", "Call", "Guard", "Slot"]
