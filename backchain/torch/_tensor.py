"""``backchain.torch.Tensor``: a backchain Tensor whose methods mean what they mean in PyTorch.

It is a subclass of ``backchain.Tensor`` of rank 1 (``_rank``): every operation with a torch Tensor
among its arguments returns a torch Tensor (the core's result classes), so a ``bc.nn`` model fed one
returns one. Where NumPy and PyTorch give a method name two meanings (``size``, ``transpose``,
``max(1)``, ``repeat``, ``view``, ``std``, ``split``, ``flatten``, ``squeeze``), a torch Tensor has
PyTorch's and a plain backchain Tensor keeps NumPy's: which one a value has is fixed by the namespace
that made it, never guessed from the arguments.

``.data`` is PyTorch's too: a torch Tensor that shares the array and stands outside the graph, so
``out.data.max(1)[1]`` are the indices and ``p.data.add_(u)`` updates the parameter (the core reads
the array through the slot ``_data``; ``.numpy()`` gives the ndarray).
"""
import collections
import weakref

import numpy as np

import backchain as bc
import backchain.numpy as bnp
from .._core.primitive import use_result_classes
from .._core.tensor import Tensor as _Base, make_const, bump_version, is_grad_enabled
from . import _types
from ._types import Size, to_torch_dtype, as_np_dtype, check_device

__all__ = ["Tensor", "as_torch", "get_default_dtype", "set_default_dtype", "default_float"]

_DEFAULT = {"float": np.dtype(np.float32)}


def default_float():
    """The NumPy dtype of ``torch.get_default_dtype()``."""
    return _DEFAULT["float"]


def get_default_dtype():
    """The dtype that Python floats become (``torch.float32`` unless set)."""
    return to_torch_dtype(_DEFAULT["float"])


def set_default_dtype(d):
    """Set the dtype that Python floats and float lists become: ``torch.float32`` or ``torch.float64``."""
    d = as_np_dtype(d)
    if d.kind != "f":
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the default type, got {d}")
    _DEFAULT["float"] = d


_GRAD = _Base.__dict__["grad"]
# id -> weak reference of the non-leaf tensors whose .grad the next backward fills (retain_grad)
_RETAINED = {}  # the slot: an ndarray (or a Tensor after create_graph)
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _torch_result_dtype(a, b):
    """The dtype of a binary operation on arrays ``a`` and ``b`` by PyTorch's promotion: the higher
    category (bool < integer < float < complex) wins; within one, a 0-d operand does not widen an
    operand with dimensions."""
    da, db = a.dtype, b.dtype
    ca, cb = _CATEGORY.get(da.kind, 2), _CATEGORY.get(db.kind, 2)
    za, zb = a.ndim == 0, b.ndim == 0
    if ca != cb:
        hi, zhi, zlo = (da, za, zb) if ca > cb else (db, zb, za)
        if zhi and not zlo and hi.kind == "f":
            return _DEFAULT["float"] if hi.itemsize >= _DEFAULT["float"].itemsize else hi
        return hi
    if za != zb:
        return db if za else da
    return np.promote_types(da, db)


def _promote(x, o):
    """``x`` (a torch Tensor) and the other operand ``o``, cast so that NumPy computes in the dtype
    PyTorch would: float32 with an int64 tensor stays float32; an integer tensor with a Python float
    takes the default dtype."""
    xd = x._data.dtype
    if isinstance(o, _Base) or isinstance(o, np.ndarray):
        od = o._data.dtype if isinstance(o, _Base) else o.dtype
        if od == xd:
            return x, o
        # dtypes and ranks only (a batched value inside vmap has them too, not an array)
        t = _torch_result_dtype(x._data, o._data if isinstance(o, _Base) else o)
        return (x if xd == t else bnp.astype(x, t)), (o if od == t else bnp.astype(o, t))
    if o.__class__ is float and xd.kind in "biu":
        return bnp.astype(x, _DEFAULT["float"]), o
    return x, o


def wrap_result(r):
    """An operation's result as torch Tensors: backchain.numpy gives integer and bool results of its
    non-differentiable functions (comparisons, ``floor_divide``) as ndarrays."""
    if isinstance(r, _Base):
        return r
    if isinstance(r, (np.ndarray, np.generic)):
        return make_const(np.asarray(r), Tensor)
    if isinstance(r, tuple):
        items = [wrap_result(v) if isinstance(v, (np.ndarray, np.generic)) else v for v in r]
        return type(r)(*items) if hasattr(r, "_fields") else tuple(items)
    return r


def _binary(name):
    fn = getattr(bnp, name)
    true_divide = name == "divide"

    def op(self, other):
        a, b = _promote(self, other)
        if true_divide and a._data.dtype.kind in "biu":  # integers divide into the default float dtype
            a = bnp.astype(a, _DEFAULT["float"])
        r = fn(a, b)
        return r if isinstance(r, _Base) else wrap_result(r)

    def rop(self, other):
        a, b = _promote(self, other)
        if true_divide and a._data.dtype.kind in "biu":
            a = bnp.astype(a, _DEFAULT["float"])
        r = fn(b, a)
        return r if isinstance(r, _Base) else wrap_result(r)

    return op, rop


def _matmul(self, other):
    o = other._data if isinstance(other, _Base) else other
    od = getattr(o, "dtype", None)
    if od is not None and od != self._data.dtype and od.kind in "fc" and self._data.dtype.kind in "fc":
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_tname(self._data.dtype)} != "
                           f"{_tname(od)} (matmul of {list(self.shape)} and {list(np.shape(o))}); cast one "
                           "with .float() or .double()")
    return bnp.matmul(self, other)


def _tname(d):
    """PyTorch's short name of a dtype in messages: float, double, long, ..."""
    return {"float32": "float", "float64": "double", "int64": "long", "int32": "int", "float16": "half",
            "bool": "bool"}.get(np.dtype(d).name, np.dtype(d).name)


def as_torch(x, dtype=None):
    """``x`` as a torch Tensor: a torch Tensor as is; a backchain Tensor's data, or an array_like, as
    a new constant (Python floats in the default dtype)."""
    if isinstance(x, Tensor) and dtype is None:
        return x
    if isinstance(x, _Base):
        if x.requires_grad:
            out = bnp.positive(x) if dtype is None else bnp.astype(x, as_np_dtype(dtype))
            out.__class__ = Tensor  # a fresh node: give it torch's methods
            return out
        data = x._data
    else:
        data = x
    return make_const(_array(data, dtype), Tensor)


def _array(data, dtype=None, copy=False):
    """An ndarray of ``data`` with PyTorch's inference: Python floats in the default dtype, ints int64."""
    d = as_np_dtype(dtype, _DEFAULT["float"])
    if isinstance(data, (np.ndarray, np.generic)):
        a = np.array(data, dtype=d, copy=True) if copy else np.asarray(data, dtype=d)
        return a
    if isinstance(data, (list, tuple)) and any(isinstance(v, _Base) for v in data):
        data = [v._data if isinstance(v, _Base) else v for v in data]
    a = np.array(data, dtype=d)
    if d is None and a.dtype == np.float64:
        a = a.astype(_DEFAULT["float"])
    elif d is None and a.dtype == np.complex128 and _DEFAULT["float"] == np.float32:
        a = a.astype(np.complex64)
    if a.dtype == object:
        raise TypeError(f"torch.tensor: could not infer a dtype for {type(data).__name__} data; expected numbers "
                        "or nested lists of numbers")
    return a


def _return_type(name, fields):
    """A named tuple printed as PyTorch prints ``torch.return_types.<name>``."""
    base = collections.namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{k}={v!r}" for k, v in zip(self._fields, self))
        return f"torch.return_types.{name}(\n{body})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__module__": "backchain.torch.return_types",
                                "__doc__": f"``(values, indices)`` of ``torch.{name}``, by name or unpacked."})


MaxResult = _return_type("max", ["values", "indices"])
MinResult = _return_type("min", ["values", "indices"])
SortResult = _return_type("sort", ["values", "indices"])
TopkResult = _return_type("topk", ["values", "indices"])
AminmaxResult = _return_type("aminmax", ["min", "max"])


class GradFn:
    """The node that produced a Tensor, as PyTorch shows it: ``name()``, ``next_functions``."""

    __slots__ = ("_t",)

    def __init__(self, t):
        self._t = t

    def name(self):
        if self._t._prim is None:
            return "torch::autograd::AccumulateGrad"
        return _backward_name(self._t._prim.name)

    @property
    def next_functions(self):
        """One ``(node, 0)`` per input: the input's node, ``AccumulateGrad`` for a leaf that requires grad,
        None for a constant."""
        if self._t._prim is None:
            return ()
        out = []
        for p in self._t._inputs or ():
            if not isinstance(p, _Base) or not p.requires_grad:
                out.append((None, 0))
            else:
                out.append((GradFn(p), 0))
        return tuple(out)

    @property
    def variable(self):
        """The leaf of an ``AccumulateGrad`` node."""
        return self._t

    def __repr__(self):
        name = self.name().split("::")[-1]
        return f"<{name} object>"


# backchain's primitive names -> PyTorch's backward node names, where they differ beyond CamelCase
_NODE_NAMES = {
    "add": "Add", "subtract": "Sub", "multiply": "Mul", "divide": "Div", "true_divide": "Div", "power": "Pow",
    "matmul": "Mm", "negative": "Neg", "getitem": "Select", "reshape": "View", "transpose": "Permute",
    "swapaxes": "Transpose", "concatenate": "Cat", "astype": "ToCopy", "maximum": "Maximum",
    "take_along_axis": "Gather", "positive": "Clone", "absolute": "Abs", "exp": "Exp", "log": "Log",
    "amax": "Amax", "max": "Max", "linear": "Addmm", "log_softmax": "LogSoftmax", "nll_loss": "NllLoss",
    "cross_entropy": "NllLoss",
}


_NAMED = {}


def _passes(g, ans, x):
    return g


def named(name, t):
    """``t`` under an identity node called ``name``, so that ``grad_fn`` shows PyTorch's node for a composite
    (``F.mse_loss`` is ``MseLossBackward0``, not the ``DivBackward0`` of its last step): one node more."""
    if not isinstance(t, _Base) or not t.requires_grad:
        return t
    prim = _NAMED.get(name)
    if prim is None:
        from .._core.primitive import ELEMENTWISE, primitive
        prim = _NAMED[name] = primitive(name, _identity, vjp=(_passes,), linear=True, register=False, saves=False,
                                        batch=ELEMENTWISE)  # the identity: batched as it is
    return prim(t)


def _identity(x):
    return x


# nodes whose PyTorch name is another overload than the first
_OVERLOADS = {"mean_dim": "MeanBackward1"}


def _backward_name(prim):
    prim = prim.rsplit(".", 1)[-1]
    if prim in _OVERLOADS:
        return _OVERLOADS[prim]
    base = _NODE_NAMES.get(prim)
    if base is None:
        base = "".join(w.capitalize() for w in prim.split("_"))
    return f"{base}Backward0"


def _dims(dim):
    if isinstance(dim, list):
        return tuple(dim)
    return dim


def _shape_args(shape, what):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Size)):
        shape = tuple(shape[0])
    for s in shape:
        if isinstance(s, (bool, float)) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"{what}(): sizes must be integers, got {shape!r}")
    return tuple(int(s) for s in shape)


def _root(a):
    """The array that owns the memory ``a`` views."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


class Storage:
    """A tensor's memory (``untyped_storage()``: bytes; ``storage()``: elements of its dtype)."""

    def __init__(self, array, untyped):
        self._array, self._untyped = array, untyped

    def data_ptr(self):
        return self._array.ctypes.data

    def nbytes(self):
        return int(self._array.nbytes)

    def element_size(self):
        return 1 if self._untyped else self._array.itemsize

    def size(self):
        return self.nbytes() if self._untyped else int(self._array.size)

    __len__ = size

    @property
    def dtype(self):
        return to_torch_dtype(np.uint8 if self._untyped else self._array.dtype)

    def tolist(self):
        flat = self._array.reshape(-1)
        return (flat.view(np.uint8) if self._untyped else flat).tolist()

    def __getitem__(self, i):
        return self.tolist()[i]

    def __repr__(self):
        kind = "UntypedStorage" if self._untyped else "TypedStorage"
        return f"{kind}(size={self.size()}, dtype={self.dtype})"


class Tensor(_Base):
    """A backchain Tensor with PyTorch's method semantics (see the module docstring).

    ``torch.Tensor(data)`` makes a tensor of the default dtype; ``torch.Tensor(2, 3)`` one of that shape.

    >>> import backchain.torch as torch
    >>> x = torch.Tensor([[1, 2], [3, 4]])
    >>> x, x.size(), x.transpose(0, 1).shape
    (tensor([[1., 2.],
            [3., 4.]]), torch.Size([2, 2]), torch.Size([2, 2]))
    >>> values, indices = x.max(1)
    >>> indices
    tensor([1, 1])
    """

    __slots__ = ()
    _rank = 1

    def __init__(self, *data, requires_grad=False, dtype=None):
        if len(data) == 1 and not isinstance(data[0], (int, np.integer)):
            a = _array(data[0], dtype)
            if dtype is None and not isinstance(data[0], _Base) and a.dtype.kind in "biu":
                a = a.astype(_DEFAULT["float"])
        else:
            a = np.zeros(_shape_args(data, "Tensor"), dtype=as_np_dtype(dtype) or _DEFAULT["float"])
        _Base.__init__(self, a, requires_grad=requires_grad)

    # -- attributes with PyTorch's types --------------------------------------------------
    shape = property(lambda self: Size(np.shape(self._data)))
    dtype = property(lambda self: to_torch_dtype(self._data.dtype))
    device = property(lambda self: _types.device("cpu"))
    is_cuda = False
    is_sparse = False
    is_quantized = False
    is_meta = False
    layout = "torch.strided"

    @property
    def data(self):
        """This tensor's array as a torch Tensor outside the graph (``requires_grad=False``): the same
        array, so writes through it change this tensor, as with PyTorch's ``.data``."""
        return make_const(self._data, Tensor)

    @data.setter
    def data(self, value):
        _Base.data.__set__(self, value)

    @property
    def grad(self):
        g = _GRAD.__get__(self)
        if g is None or isinstance(g, _Base):
            return g
        return make_const(g, Tensor)  # shares the array: p.grad.zero_() zeroes the gradient

    @grad.setter
    def grad(self, value):
        if isinstance(value, _Base) and not value.requires_grad:
            value = value._data
        _GRAD.__set__(self, value)

    @grad.deleter
    def grad(self):
        _GRAD.__set__(self, None)

    @property
    def grad_fn(self):
        """The node that produced this tensor (``name()``, ``next_functions``); None for a leaf."""
        return None if self._prim is None else GradFn(self)

    def size(self, dim=None):
        """The shape as ``torch.Size``, or its length along ``dim``."""
        s = np.shape(self._data)
        return Size(s) if dim is None else s[dim]

    def dim(self):
        return np.ndim(self._data)

    ndimension = dim

    def numel(self):
        return int(np.size(self._data))

    nelement = numel

    def element_size(self):
        return self._data.dtype.itemsize

    def stride(self, dim=None):
        st = tuple(s // self._data.itemsize for s in np.asarray(self._data).strides)
        return st if dim is None else st[dim]

    def is_contiguous(self, memory_format=None):
        return bool(np.asarray(self._data).flags.c_contiguous)

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def is_complex(self):
        return self._data.dtype.kind == "c"

    def data_ptr(self):
        return np.asarray(self._data).ctypes.data

    nbytes = property(lambda self: int(np.asarray(self._data).nbytes))
    itemsize = property(lambda self: self._data.dtype.itemsize)

    def storage_offset(self):
        """How many elements into its storage this tensor starts (a view's offset)."""
        a = np.asarray(self._data)
        return (a.ctypes.data - _root(a).ctypes.data) // a.itemsize

    def untyped_storage(self):
        """The memory this tensor views (shared by every view and ``detach()`` alias): ``data_ptr()``,
        ``nbytes()``, ``size()``, ``element_size()``, ``tolist()``."""
        return Storage(_root(np.asarray(self._data)), untyped=True)

    def storage(self):
        """The memory this tensor views, as elements of its dtype (``TypedStorage``)."""
        return Storage(_root(np.asarray(self._data)), untyped=False)

    def is_shared(self):
        return False

    def resize_(self, *sizes, memory_format=None):
        """Give this tensor the shape ``sizes`` in place, keeping its first elements in order (new elements
        are zeros: PyTorch leaves them uninitialised). A tensor that requires grad refuses, as in PyTorch."""
        shape = _shape_args(sizes, "resize_")
        if self.requires_grad:
            raise RuntimeError("cannot resize variables that require grad")
        old = np.asarray(self._data)
        new = np.zeros(shape, dtype=old.dtype)
        n = min(old.size, new.size)
        new.reshape(-1)[:n] = old.reshape(-1)[:n]
        self._data = new
        bump_version(self, "resize_")  # a graph recorded before must not read the new array as the old
        return self

    def resize_as_(self, other, memory_format=None):
        return self.resize_(*np.shape(other._data if isinstance(other, _Base) else other))

    def __format__(self, spec):
        if np.ndim(self._data) == 0:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __repr__(self):
        from ._repr import tensor_repr
        return tensor_repr(self)

    __str__ = __repr__

    def __hash__(self):
        return id(self)

    # -- conversions --------------------------------------------------------------
    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False, memory_format=None):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``: a cast (devices other than
        the CPU raise)."""
        for a in args:
            if isinstance(a, _Base):
                dtype = a._data.dtype
            elif isinstance(a, (str, _types.device)) or a is None:
                check_device(a, "Tensor.to")
            else:
                dtype = a
        check_device(device, "Tensor.to")
        if dtype is None or as_np_dtype(dtype) == self._data.dtype:
            return self.clone() if copy else self
        return self.type(dtype)

    def type(self, dtype=None, non_blocking=False):
        """The tensor cast to ``dtype`` (a torch dtype, or a name like ``'torch.FloatTensor'``); without one,
        the type's name."""
        if dtype is None:
            return _TYPE_NAMES.get(self._data.dtype.name, "torch.Tensor")
        if isinstance(dtype, str) and dtype in _TYPE_BY_NAME:
            dtype = _TYPE_BY_NAME[dtype]
        d = as_np_dtype(dtype, _DEFAULT["float"])
        if d == self._data.dtype:
            return self
        return bnp.astype(self, d)

    def float(self):
        return self.type(np.float32)

    def double(self):
        return self.type(np.float64)

    def half(self):
        return self.type(np.float16)

    def long(self):
        return self.type(np.int64)

    def int(self):
        return self.type(np.int32)

    def short(self):
        return self.type(np.int16)

    def bool(self):
        return self.type(np.bool_)

    def byte(self):
        return self.type(np.uint8)

    def type_as(self, other):
        return self.type(other._data.dtype)

    def cpu(self, memory_format=None):
        return self

    def cuda(self, *args, **kwargs):
        check_device("cuda", "Tensor.cuda")

    def numpy(self, force=False):
        """The data as an ndarray (shared); a tensor that requires grad raises, as in PyTorch."""
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                               f"instead (tensor of shape {list(self.shape)}, {self.dtype})")
        return np.asarray(self._data)

    def clone(self, memory_format=None):
        """A copy; differentiable (its gradient flows to this tensor)."""
        if self.requires_grad and is_grad_enabled():
            return bnp.positive(self)
        return make_const(np.array(self._data, copy=True), Tensor)

    def copy(self):
        """NumPy's ``copy`` (library code may call it): :meth:`clone`, keeping the dtype."""
        return self.clone()

    def contiguous(self, memory_format=None):
        return self

    def pin_memory(self):
        return self

    def share_memory_(self):
        return self

    def retain_grad(self):
        """Fill ``.grad`` of this non-leaf tensor too at the next ``backward`` (as PyTorch). backchain's
        engine fills leaves only, so a backward that reaches retained tensors takes a second sweep for them."""
        if self._prim is not None and self.requires_grad:
            key = id(self)
            _RETAINED[key] = weakref.ref(self, lambda _, key=key: _RETAINED.pop(key, None))

    @property
    def retains_grad(self):
        ref = _RETAINED.get(id(self))
        return ref is not None and ref() is self

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate gradients into ``.grad`` of the leaves (and of tensors that called ``retain_grad``);
        ``inputs`` limits them to those tensors."""
        retained = [t for t in (r() for r in list(_RETAINED.values())) if t is not None]
        if inputs is not None or retained:
            from .autograd import grad as _grad
            targets = list(inputs) if inputs is not None else retained
            keep = bool(retain_graph) or create_graph or inputs is None
            grads = _grad([self], targets, None if gradient is None else [gradient], retain_graph=keep,
                          create_graph=create_graph, allow_unused=True)
            for t, g in zip(targets, grads):
                if g is not None:
                    g = g if create_graph else g._data
                    old = _GRAD.__get__(t)
                    _GRAD.__set__(t, g if old is None else old + g)
            if inputs is not None:
                return
        _Base.backward(self, gradient, bool(retain_graph), create_graph)

    def register_hook(self, hook):
        """Call ``hook(grad)`` with this tensor's gradient (a torch Tensor) each time ``backward`` has
        it whole; a result that is not None replaces it (PyTorch's ``Tensor.register_hook``)."""
        def on_grad(g):
            out = hook(g if isinstance(g, _Base) else make_const(g, Tensor))
            if isinstance(out, _Base) and not out.requires_grad:
                return out._data
            return out

        return _Base.register_hook(self, on_grad)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        check_device(device, "new_tensor")
        a = _array(data._data if isinstance(data, _Base) else data, dtype or self._data.dtype, copy=True)
        return leaf(a, requires_grad)

    def _new(self, fill, size, dtype, device, requires_grad, what):
        check_device(device, what)
        a = np.full(_shape_args(size, what), fill, dtype=as_np_dtype(dtype, _DEFAULT["float"]) or self._data.dtype)
        return leaf(a, requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new(0, size, dtype, device, requires_grad, "new_zeros")

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new(1, size, dtype, device, requires_grad, "new_ones")

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new(0, size, dtype, device, requires_grad, "new_empty")

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return self._new(fill_value, (size,), dtype, device, requires_grad, "new_full")

    # -- shapes ---------------------------------------------------------------------
    def view(self, *shape):
        """``view(*shape)``: the same elements in a new shape; ``view(dtype)`` reinterprets the bytes."""
        if len(shape) == 1 and isinstance(shape[0], (_types.dtype, np.dtype, type)):
            if self.requires_grad:
                raise RuntimeError(f"view({shape[0]}): reinterpreting the bytes of a tensor that requires grad "
                                   "has no derivative")
            return make_const(np.asarray(self._data).view(as_np_dtype(shape[0])), Tensor)
        return bnp.reshape(self, _shape_args(shape, "view"))

    def reshape(self, *shape):
        return bnp.reshape(self, _shape_args(shape, "reshape"))

    def view_as(self, other):
        return bnp.reshape(self, np.shape(other._data))

    reshape_as = view_as

    def expand(self, *sizes):
        """Broadcast to ``sizes`` (-1 keeps a dimension)."""
        sizes = _shape_args(sizes, "expand")
        shape = np.shape(self._data)
        lead = len(sizes) - len(shape)
        if lead < 0:
            raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
                               f"the number of dimensions in the tensor ({len(shape)})")
        target = tuple(shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
        if target == shape:
            return self
        return bnp.broadcast_to(self, target)

    def expand_as(self, other):
        return self.expand(*np.shape(other._data))

    def transpose(self, dim0, dim1):
        """Swap two dimensions (NumPy's ``swapaxes``)."""
        return bnp.swapaxes(self, dim0, dim1)

    swapdims = transpose

    def t(self):
        """The transpose of a tensor of at most 2 dimensions."""
        if np.ndim(self._data) > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {np.ndim(self._data)}D")
        return bnp.transpose(self)

    def permute(self, *dims):
        return bnp.transpose(self, _shape_args(dims, "permute"))

    def flatten(self, start_dim=0, end_dim=-1):
        from ._ops import flatten
        return flatten(self, start_dim, end_dim)

    def unflatten(self, dim, sizes):
        shape = np.shape(self._data)
        dim = dim % len(shape)
        return bnp.reshape(self, shape[:dim] + tuple(sizes) + shape[dim + 1:])

    def squeeze(self, dim=None):
        from ._ops import squeeze
        return squeeze(self, dim)

    def unsqueeze(self, dim):
        return bnp.expand_dims(self, dim if dim >= 0 else dim + np.ndim(self._data) + 1)

    def repeat(self, *sizes):
        """Tile the tensor ``sizes`` times along each dimension (PyTorch's ``repeat`` is NumPy's ``tile``)."""
        return bnp.tile(self, _shape_args(sizes, "repeat"))

    def narrow(self, dim, start, length):
        index = [slice(None)] * np.ndim(self._data)
        index[dim] = slice(int(start), int(start) + int(length))
        return self[tuple(index)]

    def __setitem__(self, index, value):
        """``t[index] = value``, in place. When ``value`` or ``t`` is traced the write is recorded (as
        PyTorch's ``CopySlices``): ``t`` becomes ``where(written, value, t)``, so gradients flow to ``value``
        and to the elements of ``t`` not overwritten; a leaf that requires grad raises, as in PyTorch."""
        if isinstance(index, _Base):
            index = index._data
        elif isinstance(index, tuple):
            index = tuple(i._data if isinstance(i, _Base) else i for i in index)
        traced = isinstance(value, _Base) and value.requires_grad or self.requires_grad
        if traced and is_grad_enabled():
            if self._prim is None and self.requires_grad:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation "
                                   f"(t[...] = value on a leaf of shape {list(self.shape)}); write under "
                                   "torch.no_grad() or into a copy")
            from .._rules.indexing import _scatter
            written = np.zeros(np.shape(self._data), dtype=bool)
            written[index] = True
            selected = np.shape(self._data[index])
            v = value if isinstance(value, _Base) else np.asarray(value, dtype=self._data.dtype)
            if isinstance(v, _Base) and v._data.dtype != self._data.dtype:
                v = bnp.astype(v, self._data.dtype)
            placed = _scatter(bnp.broadcast_to(v, selected), shape=np.shape(self._data), index=index)
            _Base.copy_(self, bnp.where(written, placed, self))
            return
        self._data[index] = value._data if isinstance(value, _Base) else value
        bump_version(self, "Tensor.__setitem__")

    # -- in place -------------------------------------------------------------------
    def add_(self, other, *, alpha=1):
        return _Base.add_(self, other if alpha == 1 else other * alpha)

    def sub_(self, other, *, alpha=1):
        return _Base.sub_(self, other if alpha == 1 else other * alpha)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        return _Base.add_(self, tensor1 * tensor2 * value)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        return _Base.add_(self, tensor1 / tensor2 * value)

    def clamp_(self, min=None, max=None):
        from ._ops import clamp
        return self.copy_(clamp(self, min, max))

    clip_ = clamp_

    def uniform_(self, a=0.0, b=1.0, generator=None):
        g = _gen(generator)
        return self.copy_(g.uniform(a, b, size=np.shape(self._data)).astype(self._data.dtype))

    def normal_(self, mean=0.0, std=1.0, generator=None):
        g = _gen(generator)
        return self.copy_((g.standard_normal(np.shape(self._data)) * std + mean).astype(self._data.dtype))

    def exponential_(self, lambd=1.0, generator=None):
        return self.copy_(_gen(generator).exponential(1.0 / lambd, size=np.shape(self._data)).astype(self._data.dtype))

    def bernoulli_(self, p=0.5, generator=None):
        return self.copy_((_gen(generator).random(np.shape(self._data)) < p).astype(self._data.dtype))

    def random_(self, low=0, high=None, generator=None):
        if high is None:
            low, high = 0, low
        return self.copy_(_gen(generator).integers(low, high, size=np.shape(self._data)).astype(self._data.dtype))

    def masked_fill_(self, mask, value):
        from ._ops import masked_fill
        return self.copy_(masked_fill(self, mask, value))

    def _reshape_in_place(self, data, what):
        if self.requires_grad or self._prim is not None:
            raise RuntimeError(f"{what}: changing the shape of a tensor that requires grad in place is not supported "
                               f"by backchain.torch (shape {list(self.shape)}); use the out-of-place form")
        self._data = data
        return self

    def squeeze_(self, dim=None):
        """Drop dimensions of size 1 in place (a tensor that requires grad raises)."""
        from ._ops import squeeze
        return self._reshape_in_place(np.asarray(squeeze(make_const(self._data, Tensor), dim)._data), "squeeze_")

    def unsqueeze_(self, dim):
        return self._reshape_in_place(np.expand_dims(self._data, dim if dim >= 0 else dim + self._data.ndim + 1),
                                      "unsqueeze_")

    def t_(self):
        return self._reshape_in_place(np.asarray(self._data).T, "t_")

    def transpose_(self, dim0, dim1):
        return self._reshape_in_place(np.swapaxes(self._data, dim0, dim1), "transpose_")

    def apply_(self, callable):
        """Apply a Python function to every element, in place (slow; only for tensors no graph needs)."""
        if self.requires_grad:
            raise RuntimeError("apply_: can't call apply_() on a tensor that requires grad")
        flat = np.asarray(self._data).reshape(-1)
        flat[...] = [callable(v) for v in flat.tolist()]
        bump_version(self, "Tensor.apply_")
        return self

    def map_(self, other, callable):
        """``self[i] = callable(self[i], other[i])`` elementwise, in place (other broadcast to self's shape)."""
        if self.requires_grad:
            raise RuntimeError("map_: can't call map_() on a tensor that requires grad")
        a = np.asarray(self._data)
        b = np.broadcast_to(np.asarray(other._data if isinstance(other, _Base) else other), a.shape)
        a[...] = np.array([callable(x, y) for x, y in zip(a.reshape(-1).tolist(), b.reshape(-1).tolist())],
                          dtype=a.dtype).reshape(a.shape)
        bump_version(self, "Tensor.map_")
        return self

    def masked_scatter(self, mask, source):
        """A copy with the elements where ``mask`` is True taken, in order, from ``source``."""
        m = np.broadcast_to(np.asarray(mask._data if isinstance(mask, _Base) else mask), np.shape(self._data))
        n = int(m.sum())
        src = bnp.reshape(source, (-1,))[:n] if isinstance(source, _Base) else np.asarray(source).reshape(-1)[:n]
        order = np.zeros(np.shape(self._data), dtype=np.int64)
        order[m] = np.arange(n)
        picked = src[order] if isinstance(src, _Base) else np.asarray(src)[order]
        return bnp.where(m, picked, self)

    def masked_scatter_(self, mask, source):
        return self.copy_(self.masked_scatter(mask, source))

    def detach_(self):
        if self._prim is not None:
            raise RuntimeError("detach_: backchain cannot cut a recorded tensor out of its graph in place; "
                               "use t = t.detach()")
        self.requires_grad = False
        return self


def leaf(a, requires_grad=False):
    """A new leaf torch Tensor holding the ndarray ``a`` as it is."""
    t = _Base.__new__(Tensor)
    _Base.__init__(t, a, requires_grad=requires_grad)
    return t


def _gen(generator):
    if generator is None:
        return bc.random.default_generator()
    return getattr(generator, "_gen", generator)


_TYPE_NAMES = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor", "float16": "torch.HalfTensor",
               "int64": "torch.LongTensor", "int32": "torch.IntTensor", "int16": "torch.ShortTensor",
               "int8": "torch.CharTensor", "uint8": "torch.ByteTensor", "bool": "torch.BoolTensor"}
_TYPE_BY_NAME = {v: k for k, v in _TYPE_NAMES.items()}

for _name, _fn in (("add", "add"), ("sub", "subtract"), ("mul", "multiply"), ("truediv", "divide"),
                   ("pow", "power"), ("mod", "remainder"), ("floordiv", "floor_divide")):
    _op, _rop = _binary(_fn)
    setattr(Tensor, f"__{_name}__", _op)
    setattr(Tensor, f"__r{_name}__", _rop)
for _name, _fn in (("lt", "less"), ("le", "less_equal"), ("gt", "greater"), ("ge", "greater_equal"),
                   ("eq", "equal"), ("ne", "not_equal")):
    setattr(Tensor, f"__{_name}__", _binary(_fn)[0])
Tensor.__invert__ = lambda self: make_const(np.invert(self._data), Tensor)
Tensor.__and__ = lambda self, o: make_const(np.asarray(self._data & (o._data if isinstance(o, _Base) else o)), Tensor)
Tensor.__or__ = lambda self, o: make_const(np.asarray(self._data | (o._data if isinstance(o, _Base) else o)), Tensor)
Tensor.__xor__ = lambda self, o: make_const(np.asarray(self._data ^ (o._data if isinstance(o, _Base) else o)), Tensor)
Tensor.__matmul__ = _matmul
Tensor.__rmatmul__ = lambda self, other: bnp.matmul(other, self)
Tensor._result = Tensor
use_result_classes()
