"""``torch.save`` / ``torch.load``: backchain's safetensors checkpoints (no pickle, never code from a file).

Saved: state dicts and nested dicts, lists and tuples of tensors, arrays, numbers, strings, booleans
and None, to a path or a binary file object; loaded tensors are torch Tensors.

Whole modules are saved as data, the way PyTorch 2.6+ loads them with ``weights_only=True``: for each
module its class's import path, its plain attributes (numbers, strings, booleans, None, tuples, lists
and dicts of them, and backchain's own functions such as an activation), its parameters and buffers
(shared ones stored once, so tied weights stay tied) and its children. Loading rebuilds only classes on
an allow-list: backchain's own layers, and those given to :func:`add_safe_globals` or
:class:`safe_globals`; any other class is refused with an error naming it, before anything is
imported. ``weights_only=False`` changes nothing: nothing in a file is ever run.
"""
import importlib
import os
import tempfile

import numpy as np

import backchain as bc
from backchain.nn.utils import parametrize
from .._core.tensor import Tensor as _Base, make_const
from ._tensor import Tensor

__all__ = ["save", "load", "add_safe_globals", "safe_globals", "get_safe_globals"]

_SAFE = []
_MODULE = "__backchain_module__"
_GLOBAL = "__backchain_global__"
# Module state that is rebuilt from the node itself, not copied as attributes
_OWN = {"_parameters", "_buffers", "_modules", "_non_persistent_buffers_set", "_forward_hooks",
        "_forward_pre_hooks", "training"}


def _map(obj, leaf, rebuild_dict=None):
    """``obj`` with ``leaf(v)`` for every value that is not a dict, list or tuple (a stack, no recursion);
    ``rebuild_dict(d)``, if given, replaces each rebuilt dict."""
    done, stack = {}, [(obj, False)]
    while stack:
        o, expanded = stack.pop()
        if type(o) in (dict, list, tuple) and not expanded:
            stack.append((o, True))
            stack.extend((c, False) for c in (o.values() if type(o) is dict else o))
            continue
        if type(o) is dict:
            v = {k: done[id(c)] for k, c in o.items()}
            v = rebuild_dict(v) if rebuild_dict is not None else v
        elif type(o) is list:
            v = [done[id(c)] for c in o]
        elif type(o) is tuple:
            v = tuple(done[id(c)] for c in o)
        else:
            v = leaf(o)
        done[id(o)] = v
    return done[id(obj)]


def _path(obj):
    return f"{obj.__module__}:{obj.__qualname__}"


def _own(path):
    return path.split(":")[0].split(".")[0] == "backchain"


def _attribute(owner, name):
    def leaf(v):
        if v is None or isinstance(v, (bool, int, float, str, np.integer, np.floating, np.bool_)):
            return v.item() if isinstance(v, np.generic) else v
        if callable(v) and getattr(v, "__module__", None) and getattr(v, "__qualname__", None) and \
                "<" not in v.__qualname__ and (_own(_path(v)) or v in _SAFE):
            return {_GLOBAL: _path(v)}
        raise TypeError(f"torch.save: {owner}.{name} holds a {type(v).__name__}, which a module file cannot store "
                        "(numbers, strings, booleans, None, containers of them, and backchain's or allow-listed "
                        "functions only); save model.state_dict() instead")
    return leaf


def _module_tree(root):
    """The module tree of ``root`` as data: a list of nodes (children by index) and a list of arrays."""
    index, nodes, arrays, array_index = {id(root): 0}, [None], [], {}
    queue = [root]
    for k, m in enumerate(queue):  # breadth first; queue grows as children are found
        if m._forward_hooks or m._forward_pre_hooks:
            raise TypeError(f"torch.save: {type(m).__name__} has hooks, which a module file cannot store; remove "
                            "them or save model.state_dict()")
        node = {"class": _path(parametrize.type_before_parametrizations(m)), "training": bool(m.training),
                "attrs": {}, "parameters": {}, "buffers": {}, "non_persistent": sorted(m._non_persistent_buffers_set),
                "modules": {}}
        if parametrize.is_parametrized(m):
            node["parametrized"] = list(m.parametrizations.keys())
        for name, v in m.__dict__.items():
            if name not in _OWN:
                node["attrs"][name] = _map(v, _attribute(type(m).__name__, name))
        for kind in ("parameters", "buffers"):
            for name, t in getattr(m, "_" + kind).items():
                if t is None:
                    node[kind][name] = None
                    continue
                if id(t) not in array_index:
                    array_index[id(t)] = len(arrays)
                    arrays.append(np.asarray(t._data))
                node[kind][name] = [array_index[id(t)], bool(t.requires_grad)]
        for name, child in m._modules.items():
            if child is None:
                node["modules"][name] = None
                continue
            if id(child) not in index:
                index[id(child)] = len(queue)
                queue.append(child)
                nodes.append(None)
            node["modules"][name] = index[id(child)]
        nodes[k] = node
    return {_MODULE: {"nodes": nodes, "arrays": arrays}}


def _resolve(path, what):
    """The class or function at ``path`` if it is allowed: backchain's own, or on the allow-list."""
    for obj in _SAFE:
        if _path(obj) == path:
            return obj
    if not _own(path):
        raise RuntimeError(f"torch.load: the file needs {what} {path}, which is not allowed; if you trust it, "
                           "pass it to torch.serialization.add_safe_globals([...]) or load inside "
                           "torch.serialization.safe_globals([...]) (nothing from the file is imported or run)")
    module, _, qualname = path.partition(":")
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _rebuild(tree):
    nodes, arrays = tree["nodes"], tree["arrays"]
    tensors = {}
    modules = []
    for node in nodes:
        cls = _resolve(node["class"], "the class")
        if not (isinstance(cls, type) and issubclass(cls, bc.nn.Module)):
            raise RuntimeError(f"torch.load: {node['class']} is not a Module class")
        m = object.__new__(cls)
        bc.nn.Module.__init__(m)
        modules.append(m)
    from .nn import Parameter
    for m, node in zip(modules, nodes):
        d = m.__dict__
        d["training"] = node["training"]
        for name, value in node["attrs"].items():
            d[name] = _map(value, lambda v: v, lambda dct: _resolve(dct[_GLOBAL], "the function")
                           if set(dct) == {_GLOBAL} else dct)
        for kind in ("parameters", "buffers"):
            store = d["_" + kind]
            for name, ref in node[kind].items():
                if ref is None:
                    store[name] = None
                    continue
                k, requires_grad = ref
                key = (kind, k)
                if key not in tensors:
                    if kind == "parameters":
                        tensors[key] = Parameter(np.array(arrays[k]), requires_grad=requires_grad)
                    else:
                        tensors[key] = make_const(np.array(arrays[k]), Tensor)
                store[name] = tensors[key]
        d["_non_persistent_buffers_set"].update(node["non_persistent"])
        for name, ref in node["modules"].items():
            d["_modules"][name] = None if ref is None else modules[ref]
        if node.get("parametrized"):
            parametrize.restore(m, node["parametrized"])
    return modules[0]


def _plain(obj):
    """``obj`` with tensors as ndarrays and modules as data (``_module_tree``)."""
    def leaf(o):
        if isinstance(o, bc.nn.Module):
            return _module_tree(o)
        if isinstance(o, _Base):
            return np.asarray(o._data)
        return o
    return _map(obj, leaf)


def _torch(obj):
    """``obj`` with every ndarray a torch Tensor and every module tree a module."""
    def leaf(o):
        return make_const(o, Tensor) if isinstance(o, np.ndarray) else o

    def rebuild(d):
        if set(d) == {_MODULE}:
            tree = d[_MODULE]
            tree = {"nodes": tree["nodes"], "arrays": [np.asarray(a._data if isinstance(a, _Base) else a)
                                                       for a in tree["arrays"]]}
            return _rebuild(tree)
        return d
    return _map(obj, leaf, rebuild)


def save(obj, f):
    """Write ``obj`` (a state dict, nested containers, or a whole module) to a path or binary file object.

    >>> import io, backchain.torch as torch
    >>> buf = io.BytesIO()
    >>> torch.save({"weight": torch.ones(2), "epoch": 3}, buf)
    >>> _ = buf.seek(0)
    >>> torch.load(buf)
    {'weight': tensor([1., 1.]), 'epoch': 3}
    """
    plain = _plain(obj)
    if isinstance(f, (str, os.PathLike)):
        bc.save(plain, os.fspath(f))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "checkpoint.safetensors")
        bc.save(plain, path)
        with open(path, "rb") as src:
            f.write(src.read())


def load(f, map_location=None, weights_only=True, **kwargs):
    """Read what ``save`` wrote, from a path or a binary file object; tensors come back as torch Tensors and
    modules are rebuilt from allowed classes only.

    >>> import io, backchain.torch as torch
    >>> buf = io.BytesIO()
    >>> torch.save(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU()), buf)
    >>> torch.load(io.BytesIO(buf.getvalue()), map_location="cpu", weights_only=True)
    Sequential(
      (0): Linear(in_features=2, out_features=3, bias=True)
      (1): ReLU()
    )
    """
    if isinstance(f, (str, os.PathLike)):
        return _torch(bc.load(os.fspath(f)))
    data = f.read() if not isinstance(f, (bytes, bytearray)) else f
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "checkpoint.safetensors")
        with open(path, "wb") as dst:
            dst.write(data)
        return _torch(bc.load(path))


def add_safe_globals(classes):
    """Record classes as safe to rebuild when loading (kept for the module loading to come; state dicts need
    none).

    >>> import backchain.torch as torch
    >>> torch.serialization.add_safe_globals([torch.nn.Linear])
    >>> torch.nn.Linear in torch.serialization.get_safe_globals()
    True
    """
    _SAFE.extend(classes)


def get_safe_globals():
    """The classes recorded by :func:`add_safe_globals` and :class:`safe_globals`.

    >>> import backchain.torch as torch
    >>> isinstance(torch.serialization.get_safe_globals(), list)
    True
    """
    return list(_SAFE)


class safe_globals:
    """A ``with`` block in which ``classes`` count as safe to rebuild when loading.

    >>> import backchain.torch as torch
    >>> with torch.serialization.safe_globals([torch.nn.GRU]):
    ...     torch.nn.GRU in torch.serialization.get_safe_globals()
    True
    """

    def __init__(self, classes):
        self.classes = list(classes)

    def __enter__(self):
        _SAFE.extend(self.classes)
        return self

    def __exit__(self, *exc):
        for c in self.classes:
            _SAFE.remove(c)
        return False
