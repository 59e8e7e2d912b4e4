"""Module, Parameter and the containers (Sequential, ModuleList, ModuleDict), with PyTorch semantics.

A Module owns Parameters (trainable leaf Tensors), buffers (non-trainable
state such as BatchNorm's running statistics) and child Modules, registered by
attribute assignment. ``state_dict`` uses PyTorch's dotted key names, so
weights move between the two libraries by name.
"""
from __future__ import annotations

import collections
import itertools
from collections.abc import Callable, ItemsView, Iterable, Iterator, KeysView, Mapping, Sequence, ValuesView
from typing import TYPE_CHECKING, Any, ContextManager

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .._core.tensor import Tensor, bump_version, no_grad

if TYPE_CHECKING:
    from typing import Self

__all__ = ["Parameter", "Module", "Sequential", "ModuleList", "ModuleDict", "functional_call",
           "RemovableHandle"]


class Parameter(Tensor):
    """A Tensor that a Module registers as trainable (``requires_grad=True`` by default).

    ``Parameter(t)`` shares the data of a Tensor or array ``t``.

    >>> import numpy as np, backchain as bc
    >>> p = bc.nn.Parameter(np.zeros(3, dtype=np.float32))
    >>> p.requires_grad, p.shape
    (True, (3,))
    """

    __slots__ = ()

    def __init__(self, data: ArrayLike | Tensor | None = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.zeros((0,), dtype=np.float32)
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo: dict[int, Any]) -> Parameter:
        out = Parameter(self._data.copy(), requires_grad=self.requires_grad)
        memo[id(self)] = out
        return out

    def __reduce_ex__(self, protocol: object) -> Any:
        raise TypeError("Parameter: backchain never pickles; use bc.save(model.state_dict(), path)")


def _copy_tensor(t, memo):
    out = Tensor(np.array(t._data, copy=True), requires_grad=t.requires_grad and t.is_leaf)
    memo[id(t)] = out
    return out


class RemovableHandle:
    """Returned by ``register_forward_hook``; ``remove()`` unregisters the hook.

    Also a context manager that removes the hook on leaving the ``with`` block.

    Examples
    --------
    >>> import numpy as np, backchain as bc
    >>> layer, shapes = bc.nn.Linear(2, 1), []
    >>> handle = layer.register_forward_hook(lambda module, args, out: shapes.append(out.shape))
    >>> _ = layer(np.ones((3, 2), np.float32))
    >>> handle.remove()
    >>> with layer.register_forward_hook(lambda module, args, out: shapes.append(out.shape)):
    ...     _ = layer(np.ones((5, 2), np.float32))
    >>> _ = layer(np.ones((1, 2), np.float32))     # no hook any more
    >>> shapes
    [(3, 1), (5, 1)]
    """

    _ids = itertools.count()

    def __init__(self, hooks: dict[int, Callable[..., Any]]) -> None:
        self.hooks = hooks
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        self.hooks.pop(self.id, None)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


# Called as ``hook(module)`` around every Module call when set; returns a context manager.
# backchain.kinks sets it to attribute kink counts to layers (per-layer counting).
_call_hook = None


def set_call_hook(hook: Callable[[Module], ContextManager[Any]] | None
                  ) -> Callable[[Module], ContextManager[Any]] | None:
    """Install ``hook(module) -> context manager`` around every Module call (None removes it).

    Returns the previous hook, so that callers can restore it.
    """
    global _call_hook
    prev = _call_hook
    _call_hook = hook
    return prev


def _as_buffer(value, name):
    if value is None or isinstance(value, Tensor):
        return value
    a = np.asarray(value)
    if a.dtype == object:
        raise TypeError(f"register_buffer('{name}'): expected an array or Tensor, got {type(value).__name__}")
    return Tensor(a)


_ACCELERATORS = ("cuda", "mps", "xpu", "hip", "xla", "meta", "vulkan", "ipu", "hpu", "mtia")


def _no_accelerator(what):
    return RuntimeError(f"{what}: backchain runs on the CPU with NumPy; there is no GPU or other device. "
                        "Leave the model where it is (or use 'cpu')")


def _refuse_foreign(module, args, kwargs, err):
    """After a forward failed: if an input is another library's tensor (a torch.Tensor, a JAX array),
    say so instead of the error it caused deep inside."""
    for a in (*args, *kwargs.values()):
        mod = type(a).__module__.split(".")[0]
        if mod in ("torch", "jax", "jaxlib", "tensorflow"):
            raise TypeError(
                f"{type(module).__name__}: got a {mod} {type(a).__name__} (shape {tuple(getattr(a, 'shape', ()))}); "
                f"backchain models take NumPy arrays or backchain Tensors: pass t.detach().numpy() (torch) or "
                f"np.asarray(t), or use backchain.torch, whose tensors work with these models") from err


class Module:
    """Base class of every layer and model (PyTorch semantics).

    Subclasses create their parameters and submodules in ``__init__`` (after
    ``super().__init__()``) and compute in ``forward``; calling the module
    calls ``forward``.

    >>> import backchain as bc
    >>> class Net(bc.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = bc.nn.Linear(3, 2)
    ...     def forward(self, x):
    ...         return bc.nn.functional.relu(self.fc(x))
    >>> net = Net()
    >>> [name for name, _ in net.named_parameters()]
    ['fc.weight', 'fc.bias']
    """

    _version = 1

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = {}
        d["_forward_hooks"] = {}
        d["_forward_pre_hooks"] = {}

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}: subclasses of Module must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._forward_pre_hooks:
            for hook in list(self._forward_pre_hooks.values()):
                res = hook(self, args)
                if res is not None:
                    args = res if isinstance(res, tuple) else (res,)
        hook = _call_hook
        try:
            if hook is None:
                out = self.forward(*args, **kwargs)
            else:
                with hook(self):
                    out = self.forward(*args, **kwargs)
        except (TypeError, AttributeError, ValueError) as e:
            _refuse_foreign(self, args, kwargs, e)
            raise
        if self._forward_hooks:
            for fh in list(self._forward_hooks.values()):
                res = fh(self, args, out)
                if res is not None:
                    out = res
        return out

    # -- registration ---------------------------------------------------------------
    def _check_init(self, what):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {what} before Module.__init__() call "
                                 f"(call super().__init__() first in {type(self).__name__}.__init__)")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (a :class:`Parameter` or None) under ``name``."""
        self._check_init("parameters")
        if not isinstance(name, str) or "." in name or name == "":
            raise KeyError(f"register_parameter: invalid parameter name {name!r} (a non-empty string without '.')")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"register_parameter: attribute '{name}' already exists on {type(self).__name__}")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter('{name}'): expected a Parameter or None, got "
                            f"{type(param).__name__}; wrap it as bc.nn.Parameter(...)")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: ArrayLike | Tensor | None, persistent: bool = True) -> None:
        """Add a buffer: state saved in ``state_dict`` (unless ``persistent=False``) but not trained."""
        self._check_init("buffers")
        if not isinstance(name, str) or "." in name or name == "":
            raise KeyError(f"register_buffer: invalid buffer name {name!r} (a non-empty string without '.')")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"register_buffer: attribute '{name}' already exists on {type(self).__name__}")
        self._buffers[name] = _as_buffer(tensor, name)
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name``."""
        self._check_init("modules")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module('{name}'): {type(module).__name__} is not a Module")
        if not isinstance(name, str) or "." in name or name == "":
            raise KeyError(f"add_module: invalid module name {name!r} (a non-empty string without '.')")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"add_module: attribute '{name}' already exists on {type(self).__name__}")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            self._check_init("parameters")
            _remove(d, name, exclude="_parameters")
            params[name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter '{name}' "
                                "(a bc.nn.Parameter or None expected)")
            params[name] = None
        elif isinstance(value, Module):
            self._check_init("modules")
            _remove(d, name, exclude="_modules")
            d["_modules"][name] = value
        elif d.get("_modules") is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module '{name}' (a Module or None expected)")
            d["_modules"][name] = None
        elif d.get("_buffers") is not None and name in d["_buffers"]:
            d["_buffers"][name] = _as_buffer(value, name)
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            s = d.get(store)
            if s is not None and name in s:
                return s[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if name in d.get(store, ()):
                del d[store][name]
                d["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    # -- traversal (iterative) ------------------------------------------------------
    def named_modules(self, memo: set[int] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """Yield ``(path, module)`` for this module and every descendant, depth first.

        With ``remove_duplicate=False`` a module registered under several names is yielded under each
        (as ``state_dict`` needs); a module that contains itself raises ValueError.
        """
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        on_path = set()  # ids of the modules from the root to the current one (remove_duplicate=False)
        while stack:
            path, m = stack.pop()
            if m is None:  # leaving the module whose id is ``path``
                on_path.discard(path)
                continue
            if remove_duplicate:
                if id(m) in memo:
                    continue
                memo.add(id(m))
            elif id(m) in on_path:
                raise ValueError(f"named_modules: {type(m).__name__} at '{path}' contains itself")
            else:
                on_path.add(id(m))
                stack.append((id(m), None))
            yield path, m
            kids = [(f"{path}.{n}" if path else n, c) for n, c in m._modules.items() if c is not None]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator[Module]:
        """This module and every descendant."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """``(name, module)`` for the direct children."""
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, store, prefix="", recurse=True, remove_duplicate=True):
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for path, m in mods:
            for name, v in getattr(m, store).items():
                if v is None or (remove_duplicate and id(v) in seen):
                    continue
                seen.add(id(v))
                yield (f"{path}.{name}" if path else name), v

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Yield ``(dotted name, Parameter)``; a parameter shared by two layers appears once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every Parameter of this module and its descendants (each once)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> Module:
        """The descendant at dotted path ``target`` ('' is this module)."""
        m = self
        for part in target.split(".") if target else []:
            if part not in m._modules or m._modules[part] is None:
                raise AttributeError(f"get_submodule: {type(m).__name__} has no submodule '{part}' (path '{target}')")
            m = m._modules[part]
        return m

    def get_parameter(self, target: str) -> Parameter:
        mod, _, name = target.rpartition(".")
        m = self.get_submodule(mod)
        if name not in m._parameters:
            raise AttributeError(f"get_parameter: {type(m).__name__} has no parameter '{name}' (path '{target}')")
        return m._parameters[name]

    # -- modes, gradients, dtype ----------------------------------------------------
    def train(self, mode: bool = True) -> Self:
        """Set training mode (Dropout active, BatchNorm uses batch statistics) on this module and its descendants."""
        if not isinstance(mode, bool):
            raise ValueError(f"train: mode is expected to be a bool, got {type(mode).__name__}")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self) -> Self:
        """Set evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Self:
        """Set ``requires_grad`` on every parameter (freeze with ``False``)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every parameter (to None by default, like PyTorch)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none or not isinstance(p.grad, np.ndarray):
                p.grad = None
            else:
                p.grad[...] = 0

    def apply(self, fn: Callable[[Module], object]) -> Self:
        """Call ``fn(m)`` on every descendant (children first) and then on this module; return self."""
        # post-order, children in registration order (PyTorch's recursion, written iteratively)
        stack = [(self, False)]
        while stack:
            m, expanded = stack.pop()
            if expanded:
                fn(m)
            else:
                stack.append((m, True))
                stack.extend((c, False) for c in reversed(list(m.children())))
        return self

    def to(self, *args: Any, dtype: DTypeLike | None = None, **kwargs: Any) -> Self:
        """Cast floating-point parameters and buffers to ``dtype`` in place (a device such as "cpu" is accepted)."""
        for a in (*args, kwargs.get("device")):
            if a is None or isinstance(a, str) and a.split(":")[0] == "cpu" or getattr(a, "type", None) == "cpu":
                continue
            if isinstance(a, str) and a.split(":")[0] in _ACCELERATORS:
                raise _no_accelerator(f"{type(self).__name__}.to({a!r})")
            if dtype is None:
                dtype = a
        if dtype is None:
            return self
        dtype = np.dtype(dtype)
        if dtype.kind not in "fc":
            raise TypeError(f"Module.to: only floating point or complex dtypes are supported, got {dtype}")
        with no_grad():
            for m in self.modules():
                for store in (m._parameters, m._buffers):
                    for t in store.values():
                        if t is not None and t._data.dtype.kind in "fc" and t._data.dtype != dtype:
                            t._data = t._data.astype(dtype)
                            if t.grad is not None:
                                t.grad = np.asarray(t.grad).astype(dtype)
        return self

    def float(self) -> Self:
        return self.to(np.float32)

    def double(self) -> Self:
        return self.to(np.float64)

    def half(self) -> Self:
        return self.to(np.float16)

    def cpu(self) -> Self:
        return self

    def cuda(self, device: object = None) -> Self:
        raise _no_accelerator(f"{type(self).__name__}.cuda()")

    # -- hooks ----------------------------------------------------------------------
    def register_forward_hook(self, hook: Callable[[Module, tuple[Any, ...], Any], Any]) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after every forward; a non-None result replaces the output."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    def register_forward_pre_hook(self, hook: Callable[[Module, tuple[Any, ...]], Any]) -> RemovableHandle:
        """Call ``hook(module, args)`` before every forward; a non-None result replaces the arguments."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    # -- state ----------------------------------------------------------------------
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.data  # the flavour's .data: an ndarray, or a torch Tensor
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.data

    def state_dict(self, destination: dict[str, Any] | None = None, prefix: str = "",
                   keep_vars: bool = False) -> dict[str, Any]:
        """An ordered dict of every parameter and persistent buffer, with PyTorch's dotted names.

        The values are the live ndarrays (not copies), as PyTorch shares storage;
        ``keep_vars=True`` gives the Parameters and buffer Tensors themselves.

        >>> import backchain as bc
        >>> m = bc.nn.Sequential(bc.nn.Linear(2, 3), bc.nn.BatchNorm1d(3))
        >>> list(m.state_dict())
        ['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked']
        """
        destination = collections.OrderedDict() if destination is None else destination
        # every name of a submodule registered under several, as PyTorch
        for path, m in self.named_modules(prefix=prefix.rstrip(".") if prefix else "", remove_duplicate=False):
            m._save_to_state_dict(destination, f"{path}." if path else "", keep_vars)
        return destination

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True,
                        assign: bool = False) -> Any:
        """Copy values from ``state_dict`` into the parameters and buffers, in place.

        With ``strict=True`` (the default), missing or unexpected keys raise a
        ``RuntimeError`` that lists them; a shape mismatch always raises.
        Returns ``(missing_keys, unexpected_keys)`` as a named tuple.
        """
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        for k, target in own.items():
            if k not in state_dict:
                continue
            v = state_dict[k]
            v = np.asarray(v._data if isinstance(v, Tensor) else v)
            if v.dtype.kind not in "biufc":
                errors.append(f"dtype mismatch for {k}: copying a value of dtype {v.dtype} (shape {v.shape}) "
                              f"from checkpoint, the parameter in current model is {target._data.dtype}.")
            elif v.shape != target._data.shape:
                errors.append(f"size mismatch for {k}: copying a param with shape {v.shape} from checkpoint, "
                              f"the shape in current model is {target._data.shape}.")
        if strict:
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors))
        for k, target in own.items():
            if k in state_dict:
                v = state_dict[k]
                v = np.asarray(v._data if isinstance(v, Tensor) else v)
                if assign:
                    target._data = np.array(v, copy=True)
                elif target._data.shape == () or not target._data.flags.writeable:  # read-only: saved by a graph
                    target._data = np.asarray(v, dtype=target._data.dtype).copy()
                else:
                    np.copyto(target._data, v, casting="unsafe")
                bump_version(target, "load_state_dict")  # a graph that saved the old value must not use it
        return _IncompatibleKeys(missing, unexpected)

    # -- printing -------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's one-line ``repr``."""
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for name, m in self._modules.items():
            body = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {body}")
        main = self._get_name() + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __deepcopy__(self, memo: dict[int, Any]) -> Module:
        import copy

        out = type(self).__new__(type(self))
        memo[id(self)] = out
        for k, v in self.__dict__.items():
            out.__dict__[k] = _deep(v, memo, copy)
        return out

    def __reduce_ex__(self, protocol: object) -> Any:
        raise TypeError("Module: backchain never pickles; use bc.save(model.state_dict(), path)")


def _deep(v, memo, copy):
    if id(v) in memo:
        return memo[id(v)]
    if isinstance(v, Parameter):
        return v.__deepcopy__(memo)
    if isinstance(v, Tensor):
        return _copy_tensor(v, memo)
    if isinstance(v, dict):
        out = type(v)() if type(v) in (dict, collections.OrderedDict) else dict()
        memo[id(v)] = out
        for k, x in v.items():
            out[k] = _deep(x, memo, copy)
        return out
    return copy.deepcopy(v, memo)


_IncompatibleKeys = collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _remove(d, name, exclude):
    for store in ("_parameters", "_buffers", "_modules"):
        if store != exclude and name in d.get(store, ()):
            del d[store][name]
    if exclude != "_buffers":
        d.get("_non_persistent_buffers_set", set()).discard(name)
    d.pop(name, None)


# -- containers -----------------------------------------------------------------------

class Sequential(Module):
    """Modules applied in order; indexable, sliceable, with ``len`` and ``append``.

    ``Sequential(m0, m1, ...)`` names the children "0", "1", ...;
    ``Sequential(OrderedDict(name=module, ...))`` uses the given names.

    >>> import backchain as bc, numpy as np
    >>> net = bc.nn.Sequential(bc.nn.Linear(4, 8), bc.nn.ReLU(), bc.nn.Linear(8, 2))
    >>> net(np.ones((5, 4), dtype=np.float32)).shape, len(net)
    ((5, 2), 3)
    """

    def __init__(self, *args: Module | Mapping[str, Module]) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], (dict, collections.OrderedDict)):
            for name, m in args[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(args):
                self.add_module(str(i), m)

    def forward(self, input: Any) -> Any:
        for m in self._modules.values():
            input = m(input)
        return input

    def _index(self, idx):
        n = len(self._modules)
        idx = int(idx)
        if not -n <= idx < n:
            raise IndexError(f"Sequential: index {idx} is out of range for {n} modules")
        return idx % n

    def __getitem__(self, idx: int | slice) -> Module:
        if isinstance(idx, slice):
            return type(self)(collections.OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[self._index(idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        key = list(self._modules)[self._index(idx)]
        self.add_module(key, module)

    def __delitem__(self, idx: int | slice) -> None:
        keys = list(self._modules)
        if isinstance(idx, slice):
            for k in keys[idx]:
                del self._modules[k]
        else:
            del self._modules[keys[self._index(idx)]]
        items = list(self._modules.values())
        self._modules.clear()
        for i, m in enumerate(items):
            self._modules[str(i)] = m

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Self:
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Self:
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> Self:
        items = list(self._modules.values())
        items.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(items):
            self.add_module(str(i), m)
        return self


class ModuleList(Module):
    """A list of modules, registered so that their parameters are found.

    >>> import backchain as bc
    >>> layers = bc.nn.ModuleList([bc.nn.Linear(2, 2) for _ in range(3)])
    >>> len(layers), len(list(layers.parameters()))
    (3, 6)
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _index(self, idx):
        n = len(self._modules)
        idx = int(idx)
        if not -n <= idx < n:
            raise IndexError(f"ModuleList: index {idx} is out of range for {n} modules")
        return str(idx % n)

    def __getitem__(self, idx: int | slice) -> Module:
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[self._index(idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        self.add_module(self._index(idx), module)

    def __delitem__(self, idx: int | slice) -> None:
        items = list(self._modules.values())
        del items[idx if isinstance(idx, slice) else int(self._index(idx))]
        self._modules.clear()
        for i, m in enumerate(items):
            self._modules[str(i)] = m

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __iadd__(self, modules: Iterable[Module]) -> Self:
        return self.extend(modules)

    def append(self, module: Module) -> Self:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Self:
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        items = list(self._modules.values())
        items.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(items):
            self.add_module(str(i), m)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("ModuleList has no forward(); iterate over it in your module's forward")


class ModuleDict(Module):
    """A dict of modules, registered so that their parameters are found (insertion order kept).

    >>> import backchain as bc
    >>> heads = bc.nn.ModuleDict({"a": bc.nn.Linear(2, 1), "b": bc.nn.Linear(2, 3)})
    >>> list(heads.keys()), "a" in heads
    (['a', 'b'], True)
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> KeysView[str]:
        return self._modules.keys()

    def values(self) -> ValuesView[Module]:
        return self._modules.values()

    def items(self) -> ItemsView[str, Module]:
        return self._modules.items()

    def pop(self, key: str) -> Module:
        return self._modules.pop(key)

    def clear(self) -> None:
        self._modules.clear()

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        items = modules.items() if hasattr(modules, "items") else modules
        for k, m in items:
            self[k] = m

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("ModuleDict has no forward(); index it in your module's forward")


# -- functional use -------------------------------------------------------------------

def functional_call(module: Module, parameter_and_buffer_dicts: Mapping[str, Any] | Sequence[Mapping[str, Any]],
                    args: Any = None, kwargs: Mapping[str, Any] | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """Call ``module(*args, **kwargs)`` with some parameters and buffers replaced by the given values.

    PyTorch's ``torch.func.functional_call``: the replacements (a dict, or a list of dicts, from dotted
    names as in ``named_parameters`` to arrays or Tensors) are in place only during the call, so a
    transform can differentiate the result with respect to a dict of parameters.

    Parameters
    ----------
    module : Module
    parameter_and_buffer_dicts : dict or sequence of dict
        Dotted name -> value. Several dicts must not share a key.
    args : tuple or any
        The positional inputs: a tuple is unpacked (``module(*args)``), anything else is the one input.
    kwargs : dict, optional
        Keyword inputs of ``module``.
    tie_weights : bool
        A parameter or buffer that the module holds under several names (a submodule registered twice,
        or one Parameter in two layers) is replaced everywhere it appears (default, as PyTorch); the
        names must then not be given different values. With False only the named place is replaced.
    strict : bool
        Every parameter and buffer must be given.

    >>> import numpy as np, backchain as bc, backchain.numpy as bnp
    >>> model = bc.nn.Linear(3, 1)
    >>> params = {k: v.detach().numpy() for k, v in model.named_parameters()}
    >>> x = np.ones((4, 3), dtype=np.float32)
    >>> bc.nn.functional_call(model, params, (x,)).shape
    (4, 1)
    >>> loss = lambda p: bnp.sum(bc.nn.functional_call(model, p, x) ** 2)
    >>> sorted(bc.grad(loss)(params))
    ['bias', 'weight']
    """
    name = type(module).__name__
    if isinstance(parameter_and_buffer_dicts, dict):
        given = dict(parameter_and_buffer_dicts)
    else:
        given = {}
        for d in parameter_and_buffer_dicts:
            twice = sorted(set(given) & set(d))
            if twice:
                raise ValueError(f"functional_call: {twice} appear in more than one of the dicts")
            given.update(d)
    if kwargs is not None and not isinstance(kwargs, dict):
        raise TypeError(f"functional_call: kwargs must be a dict of keyword inputs, got {type(kwargs).__name__}; "
                        "pass several positional inputs as one tuple: functional_call(module, params, (x, y))")
    args = args if isinstance(args, tuple) else () if args is None else (args,)
    # every place (store, name) of each parameter and buffer, by identity: a tied one has several
    places, names = {}, {}
    for path, m in module.named_modules(remove_duplicate=False):
        for store in (m._parameters, m._buffers):
            for key, v in store.items():
                if v is not None:
                    places.setdefault(id(v), []).append((store, key))
                    names[f"{path}.{key}" if path else key] = v
    unknown = [k for k in given if k not in names]
    if unknown:
        raise KeyError(f"functional_call: {', '.join(map(repr, unknown))} is not a parameter or buffer of {name}; "
                       f"known names: {list(names)}")
    if strict:
        missing = [k for k in names if k not in given and not (tie_weights and _tied_given(k, names, given))]
        if missing:
            raise KeyError(f"functional_call(strict=True): missing parameters or buffers {missing} of {name}")
    targets = {}  # (id(store), key) -> (store, key, value, given name)
    for k, value in given.items():
        v = names[k]
        where = places[id(v)] if tie_weights else [_place(module, k)]
        for store, key in where:
            prev = targets.get((id(store), key))
            if prev is not None and prev[2] is not value:
                raise ValueError(f"functional_call: '{prev[3]}' and '{k}' name the same tied tensor of {name} and "
                                 "were given different values; give one of them"
                                 + (", or pass tie_weights=False" if tie_weights else ""))
            targets[(id(store), key)] = (store, key, value, k)
    saved = [(store, key, store[key]) for store, key, _, _ in targets.values()]
    try:
        for store, key, value, _ in targets.values():
            store[key] = value if isinstance(value, Tensor) else Tensor(np.asarray(value))
        return module(*args, **(kwargs or {}))
    finally:
        for store, key, old in reversed(saved):
            store[key] = old


def _place(module, dotted):
    path, _, key = dotted.rpartition(".")
    owner = module.get_submodule(path)
    return (owner._parameters if key in owner._parameters else owner._buffers), key


def _tied_given(k, names, given):
    return any(names[other] is names[k] for other in given)
