"""``backchain.nn.utils.parametrize``: a module's tensor computed from other parameters on every access.

``register_parametrization(module, "weight", P())`` replaces the parameter ``module.weight`` by
``P()(original)``: the original moves to ``module.parametrizations.weight.original`` (or
``original0``, ``original1``, ... when ``P.right_inverse`` returns several tensors), and reading
``module.weight`` evaluates the parametrization, so the gradient reaches the original through it.
The names, the ``state_dict`` keys and the behaviour follow ``torch.nn.utils.parametrize``, so
checkpoints move between the two by name.

>>> import numpy as np, backchain as bc
>>> class Symmetric(bc.nn.Module):
...     def forward(self, x):
...         return bc.numpy.triu(x) + bc.numpy.triu(x, 1).T
>>> lin = bc.nn.Linear(3, 3)
>>> _ = bc.nn.utils.parametrize.register_parametrization(lin, "weight", Symmetric())
>>> bool(np.allclose(lin.weight.data, lin.weight.data.T))
True
>>> sorted(lin.state_dict())
['bias', 'parametrizations.weight.original']
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..._core.tensor import Tensor, make_const, no_grad
from ..module import Module, ModuleDict, ModuleList, Parameter

__all__ = ["register_parametrization", "remove_parametrizations", "is_parametrized", "cached",
           "type_before_parametrizations", "ParametrizationList"]

_CACHE: dict[tuple[int, str], Any] | None = None  # while ``cached()`` is active: (id(module), name) -> value
_CLASSES: dict[type, type] = {}  # original class -> its parametrized subclass


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order, and the ``original`` tensor(s) they read.

    ``forward()`` gives the parametrized value; ``right_inverse(value)`` writes ``value`` back into
    the originals (through each parametrization's ``right_inverse``, last to first).

    >>> import backchain as bc
    >>> m = bc.nn.utils.parametrizations.weight_norm(bc.nn.Linear(3, 2))
    >>> plist = m.parametrizations.weight
    >>> type(plist).__name__, len(plist), plist().shape
    ('ParametrizationList', 1, (2, 3))
    """

    def __init__(self, modules: list[Module], original: Tensor, unsafe: bool = False) -> None:
        super().__init__(modules)
        self.unsafe = unsafe
        with no_grad():
            new = original
            for m in reversed(modules):
                inverse = getattr(m, "right_inverse", None)
                if inverse is not None:
                    new = inverse(new)
        if isinstance(new, (tuple, list)):
            self.is_tensor = False
            self.ntensors = len(new)
            make = type(original) if isinstance(original, Parameter) else None
            for i, t in enumerate(new):
                array = np.array(t._data if isinstance(t, Tensor) else t)
                if make is not None:
                    self.register_parameter(f"original{i}", make(array, requires_grad=original.requires_grad))
                else:
                    self.register_buffer(f"original{i}", make_const(array, type(original)._result))
        else:
            # the same object, holding the right inverse's value: an optimizer that holds it still trains it
            self.is_tensor = True
            self.ntensors = 1
            if new is not original:
                original._data = np.array(new._data if isinstance(new, Tensor) else new, dtype=original._data.dtype)
            if isinstance(original, Parameter):
                self.register_parameter("original", original)
            else:
                self.register_buffer("original", original)

    def _originals(self) -> tuple[Any, ...]:
        if self.is_tensor:
            return (self.original,)
        return tuple(getattr(self, f"original{i}") for i in range(self.ntensors))

    def forward(self) -> Any:  # type: ignore[override]
        modules = list(self)
        x = modules[0](*self._originals())
        for m in modules[1:]:
            x = m(x)
        return x

    def right_inverse(self, value: Any) -> None:
        """Set the originals so that ``forward()`` gives ``value``, through every parametrization's
        ``right_inverse`` (last to first); a parametrization without one refuses."""
        with no_grad():
            for m in reversed(list(self)):
                inverse = getattr(m, "right_inverse", None)
                if inverse is None:
                    raise RuntimeError(f"parametrization {type(m).__name__} does not implement right_inverse, "
                                       "so the tensor it parametrizes cannot be assigned")
                value = inverse(value)
            values = (value,) if self.is_tensor else tuple(value)
            if len(values) != self.ntensors:
                raise ValueError(f"parametrize: right_inverse returned {len(values)} tensors; the "
                                 f"parametrization was registered with {self.ntensors}")
            for t, v in zip(self._originals(), values):
                v = v._data if isinstance(v, Tensor) else v
                if t.shape != v.shape and not self.unsafe:
                    raise ValueError(f"parametrize: right_inverse gave shape {v.shape} for an original of shape "
                                     f"{t.shape}")
                t._data = v.astype(t._data.dtype, copy=True)


def _get(name):
    def get(self):
        key = (id(self), name)
        if _CACHE is not None and key in _CACHE:
            return _CACHE[key]
        value = self.parametrizations[name]()
        if _CACHE is not None:
            _CACHE[key] = value
        return value

    def set(self, value):
        self.parametrizations[name].right_inverse(value)

    return property(get, set)


def _parametrized_class(cls: type) -> type:
    sub = _CLASSES.get(cls)
    if sub is None:
        def __setattr__(self, name, value):
            if name in type(self).__dict__ and isinstance(type(self).__dict__[name], property):
                type(self).__dict__[name].__set__(self, value)
            else:
                cls.__setattr__(self, name, value)

        sub = type(f"Parametrized{cls.__name__}", (cls,), {"__setattr__": __setattr__, "__module__": cls.__module__})
        _CLASSES[cls] = sub
    # a class per parametrized module: the properties of one module do not appear on another
    return type(sub.__name__, (sub,), {"__module__": cls.__module__})


def register_parametrization(module: Module, tensor_name: str, parametrization: Module, *,
                             unsafe: bool = False) -> Module:
    """Make ``module.<tensor_name>`` the value of ``parametrization`` applied to the original tensor.

    A second call for the same name appends to its list (applied after the first). Returns ``module``.

    >>> import numpy as np, backchain as bc
    >>> class Positive(bc.nn.Module):
    ...     def forward(self, x):
    ...         return bc.numpy.exp(x)
    ...     def right_inverse(self, w):
    ...         return bc.numpy.log(w)
    >>> lin = bc.nn.Linear(2, 2)
    >>> lin.weight.data[...] = 0.5  # registering applies right_inverse (log) to the current weight
    >>> lin = bc.nn.utils.parametrize.register_parametrization(lin, "weight", Positive())
    >>> lin.weight.data.tolist()
    [[0.5, 0.5], [0.5, 0.5]]
    >>> lin.weight = np.full((2, 2), 3.0, dtype=np.float32)  # through right_inverse
    >>> round(float(lin.parametrizations.weight.original.data[0, 0]), 4)  # log 3
    1.0986
    """
    if not isinstance(parametrization, Module):
        raise TypeError(f"register_parametrization: the parametrization must be a Module, got "
                        f"{type(parametrization).__name__}")
    if is_parametrized(module, tensor_name):
        plist = module.parametrizations[tensor_name]
        if not unsafe:
            with no_grad():
                before = plist()
                after = parametrization(before)
            if getattr(after, "shape", None) != getattr(before, "shape", None):
                raise ValueError(f"register_parametrization: the new parametrization changes the shape of "
                                 f"'{tensor_name}' from {before.shape} to {getattr(after, 'shape', None)}")
        plist.append(parametrization)
        return module
    if tensor_name in module._parameters:
        original = module._parameters[tensor_name]
    elif tensor_name in module._buffers:
        original = module._buffers[tensor_name]
    else:
        raise ValueError(f"register_parametrization: {type(module).__name__} has no parameter or buffer "
                         f"'{tensor_name}'")
    if original is None:
        raise ValueError(f"register_parametrization: '{tensor_name}' of {type(module).__name__} is None")
    plist = ParametrizationList([parametrization], original, unsafe=unsafe)
    if not unsafe:
        with no_grad():
            value = plist()
        if getattr(value, "shape", None) != original.shape:
            raise ValueError(f"register_parametrization: the parametrization of '{tensor_name}' gives shape "
                             f"{getattr(value, 'shape', None)}, the original has {original.shape} "
                             "(pass unsafe=True to allow it)")
    module._parameters.pop(tensor_name, None)
    module._buffers.pop(tensor_name, None)
    if not is_parametrized(module):
        module.__class__ = _parametrized_class(type(module))
        module.parametrizations = ModuleDict()
    module.parametrizations[tensor_name] = plist
    setattr(type(module), tensor_name, _get(tensor_name))
    return module


def restore(module: Module, names: list[str]) -> None:
    """Give ``module``, rebuilt with its ``parametrizations`` child already in place (a loaded module
    file), the class and properties that read ``names`` through it."""
    module.__class__ = _parametrized_class(type(module))
    for name in names:
        setattr(type(module), name, _get(name))


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has a parametrization (of ``tensor_name``, when given).

    >>> import backchain as bc
    >>> m = bc.nn.utils.parametrizations.weight_norm(bc.nn.Linear(3, 2))
    >>> bc.nn.utils.parametrize.is_parametrized(m), bc.nn.utils.parametrize.is_parametrized(m, "bias")
    (True, False)
    """
    p = module.__dict__.get("_modules", {}).get("parametrizations")
    if not isinstance(p, ModuleDict):
        return False
    return len(p) > 0 if tensor_name is None else tensor_name in p


def type_before_parametrizations(module: Module) -> type:
    """The class ``module`` had before its first parametrization.

    >>> import backchain as bc
    >>> m = bc.nn.utils.parametrizations.weight_norm(bc.nn.Linear(3, 2))
    >>> type(m).__name__, bc.nn.utils.parametrize.type_before_parametrizations(m).__name__
    ('ParametrizedLinear', 'Linear')
    """
    cls = type(module)
    return cls.__mro__[2] if is_parametrized(module) else cls


def remove_parametrizations(module: Module, tensor_name: str, leave_parametrized: bool = True) -> Module:
    """Undo the parametrizations of ``tensor_name``: it becomes a parameter again, holding the
    parametrized value (``leave_parametrized=True``) or the original (only when there is one).

    >>> import backchain as bc
    >>> m = bc.nn.utils.parametrizations.weight_norm(bc.nn.Linear(3, 2))
    >>> m = bc.nn.utils.parametrize.remove_parametrizations(m, "weight")
    >>> type(m).__name__, list(m.state_dict())
    ('Linear', ['bias', 'weight'])
    """
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"remove_parametrizations: {type(module).__name__} has no parametrization on "
                         f"'{tensor_name}'")
    plist = module.parametrizations[tensor_name]
    if leave_parametrized:
        with no_grad():
            value = plist()
        array = value._data if isinstance(value, Tensor) else value
        if plist.is_tensor:
            original = plist.original
            original._data = array.astype(original._data.dtype, copy=True)
        else:
            make = type(plist.original0) if isinstance(plist.original0, Parameter) else Parameter
            original = make(array.copy(), requires_grad=True)
    else:
        if not plist.is_tensor:
            raise ValueError("remove_parametrizations: leave_parametrized=False needs a parametrization "
                             f"of '{tensor_name}' with one original tensor; it has {plist.ntensors}")
        original = plist.original
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    if isinstance(original, Parameter):
        module.register_parameter(tensor_name, original)
    else:
        module.register_buffer(tensor_name, original)
    if not is_parametrized(module):
        del module._modules["parametrizations"]
        module.__class__ = type(module).__mro__[2]
    return module


@contextlib.contextmanager
def cached() -> Iterator[None]:
    """Evaluate each parametrized tensor once inside the block (a weight read by every step of an RNN
    is computed once, not once per read). Entering it again inside is allowed.

    >>> import backchain as bc
    >>> m = bc.nn.utils.parametrizations.weight_norm(bc.nn.Linear(3, 2))
    >>> with bc.nn.utils.parametrize.cached():
    ...     m.weight is m.weight
    True
    """
    global _CACHE
    outer = _CACHE
    if outer is None:
        _CACHE = {}
    try:
        yield
    finally:
        if outer is None:
            _CACHE = None
