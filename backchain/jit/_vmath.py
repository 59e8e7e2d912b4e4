"""Vector math for the fused kernels (``_fuse.py``): a run of elementwise calls computed on whole
registers of lanes, its ``sin``, ``exp``, ``tanh``... from glibc's vector math library (libmvec).

Why: a scalar kernel calls the math library once per element and value (W2's gradient: 3,600
calls of ``sin``, ``tanh`` and ``cos`` per replay, 21.7 µs); libmvec computes eight float64 or
sixteen float32 lanes per call (the same kernel: 7 µs on the machine measured, Zen 5).

What differs: arithmetic (``+ - * /``, ``sqrt``, ``abs``) rounds as the scalar kernel's does, bit
for bit; libmvec's functions are accurate to 4 ulp (glibc's manual), where NumPy's loops and the
scalar math library are within 1 ulp or so. Special values (NaN, infinities, overflow) follow
IEEE as the scalar functions do.

Where: x86-64 with AVX-512 (8 or 16 lanes) or AVX2 (4 or 8); the functions where glibc 2.35 or
later is there (libmvec with ``tanh``, ``log1p``, ``expm1``..., its ``e`` or ``d`` variants).
Elsewhere, and for a function the library lacks, the group keeps the scalar kernel. The registers'
arithmetic (:func:`load`, :func:`multiply`...) serves other kernels too (the SGD step that
``_pool.py`` runs after a product's rows). Numba must compile for the host
CPU (``NUMBA_CPU_NAME`` unset): the vector functions' calling convention depends on the
registers the compiled code may use.
"""
import ctypes

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, models, register_model

from ._cachestamp import check as _check_cache

_check_cache()   # (cached kernels compiled from other sources are removed first: _cachestamp.py)

__all__ = ["lanes", "supports"]

# ufunc name -> the libmvec function's name (float64; float32 adds "f")
FUNCS = {
    "sin": "sin", "cos": "cos", "tan": "tan", "tanh": "tanh", "sinh": "sinh", "cosh": "cosh",
    "exp": "exp", "log": "log", "log1p": "log1p", "expm1": "expm1", "arctan": "atan",
}


def _probe():
    """``(isa letter, {dtype name: lanes}, the libmvec handle or None)``: the registers where the CPU
    has AVX2 or AVX-512 (else ``(None, {}, None)``), and glibc's vector math library where it loads."""
    try:
        import platform

        import llvmlite.binding as ll
        from numba.core import config

        if platform.machine() not in ("x86_64", "AMD64") or config.CPU_NAME not in (None, "host"):
            return None, {}, None
        features = ll.get_host_cpu_features()
        if features.get("avx512f", False):
            isa, width = "e", 512
        elif features.get("avx2", False):
            isa, width = "d", 256
        else:
            return None, {}, None
    except Exception:   # (a platform llvmlite cannot query)
        return None, {}, None
    lanes = {"float64": width // 64, "float32": width // 32}
    try:
        if platform.system() != "Linux":
            return isa, lanes, None
        lib = ctypes.CDLL("libmvec.so.1")
        ll.load_library_permanently("libmvec.so.1")
        return isa, lanes, lib
    except Exception:   # (no libmvec: not glibc, or too old): arithmetic only
        return isa, lanes, None


_ISA, _LANES, _LIB = _probe()


def _symbol(base, dtype_name):
    n = _LANES[dtype_name]
    return f"_ZGV{_ISA}N{n}v_{base}" + ("f" if dtype_name == "float32" else "")


def lanes(dtype):
    """The lanes of a register of ``dtype`` for the vector kernels, or 0 where they do not apply."""
    return _LANES.get(np.dtype(dtype).name, 0)


def supports(dtype, names):
    """Whether a vector kernel of ``dtype`` can compute every ufunc in ``names``."""
    name = np.dtype(dtype).name
    if name not in _LANES:
        return False
    for u in names:
        if u in FUNCS and (_LIB is None or not hasattr(_LIB, _symbol(FUNCS[u], name))):
            return False
    return True


# -- the vector type and its intrinsics (used by the kernels' generated source) ----------------

class Vec(types.Type):
    """A register of ``lanes`` values of ``dtype`` (float32 or float64)."""

    def __init__(self, dtype, lanes):
        self.dtype, self.lanes = dtype, lanes
        super().__init__(name=f"Vec({dtype} x {lanes})")


def _elem(dtype):
    return ir.DoubleType() if dtype == types.float64 else ir.FloatType()


@register_model(Vec)
class _VecModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, ir.VectorType(_elem(fe_type.dtype), fe_type.lanes))


def _vec(dtype):
    if dtype not in (types.float32, types.float64):
        raise TypeError(f"bc.jit vector kernels: float32 or float64 values, got {dtype}")
    return Vec(dtype, _LANES.get(str(dtype), 1))   # (one lane where the CPU has no AVX: code that is never run compiles)


_I32 = ir.IntType(32)


def _mask(builder, remaining, n):
    """The lanes ``i < remaining`` (an ``<n x i1>``)."""
    it = ir.VectorType(ir.IntType(64), n)
    r = builder.insert_element(ir.Constant(it, ir.Undefined), remaining, ir.Constant(_I32, 0))
    r = builder.shuffle_vector(r, ir.Constant(it, ir.Undefined), ir.Constant(ir.VectorType(_I32, n), [0] * n))
    return builder.icmp_signed("<", ir.Constant(it, list(range(n))), r)


def _pointer(context, builder, aryty, ary, idx, lt):
    a = context.make_array(aryty)(context, builder, ary)
    return builder.bitcast(builder.gep(a.data, [idx]), lt.as_pointer())


def _suffix(vt):
    return f"v{vt.lanes}f{64 if vt.dtype == types.float64 else 32}"


@intrinsic
def load_or(typingctx, arr, idx, n, fill):
    """``arr[idx:min(idx + lanes, n)]`` in a register, the lanes past ``n`` ``fill`` (a number)."""
    vt = _vec(arr.dtype)

    def codegen(context, builder, sig, args):
        lt = context.get_value_type(vt)
        p = _pointer(context, builder, sig.args[0], args[0], args[1], lt)
        m = _mask(builder, builder.sub(args[2], args[1]), vt.lanes)
        f = context.cast(builder, args[3], sig.args[3], vt.dtype)
        v = builder.insert_element(ir.Constant(lt, ir.Undefined), f, ir.Constant(_I32, 0))
        v = builder.shuffle_vector(v, ir.Constant(lt, ir.Undefined), ir.Constant(ir.VectorType(_I32, vt.lanes), [0] * vt.lanes))
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(lt, [lt.as_pointer(), _I32, m.type, lt]), f"llvm.masked.load.{_suffix(vt)}.p0")
        return builder.call(fn, [p, ir.Constant(_I32, vt.dtype.bitwidth // 8), m, v])
    return vt(arr, idx, n, fill), codegen


@intrinsic
def total(typingctx, v):
    """The sum of the lanes (a tree of additions, not in lane order)."""
    def codegen(context, builder, sig, args):
        el = _elem(v.dtype)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(el, [el, context.get_value_type(v)]),
                                            f"llvm.vector.reduce.fadd.{_suffix(v)}")
        return builder.call(fn, [ir.Constant(el, -0.0), args[0]], fastmath=("reassoc",))
    return v.dtype(v), codegen


@intrinsic
def largest(typingctx, v):
    """The largest lane, NaN where a lane is (``np.max``)."""
    def codegen(context, builder, sig, args):
        el = _elem(v.dtype)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(el, [context.get_value_type(v)]),
                                            f"llvm.vector.reduce.fmaximum.{_suffix(v)}")
        return builder.call(fn, [args[0]])
    return v.dtype(v), codegen


@intrinsic
def load(typingctx, arr, idx, n):
    """``arr[idx:min(idx + lanes, n)]`` in a register (the lanes past ``n`` undefined, not read)."""
    vt = _vec(arr.dtype)

    def codegen(context, builder, sig, args):
        lt = context.get_value_type(vt)
        p = _pointer(context, builder, sig.args[0], args[0], args[1], lt)
        m = _mask(builder, builder.sub(args[2], args[1]), vt.lanes)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(lt, [lt.as_pointer(), _I32, m.type, lt]), f"llvm.masked.load.{_suffix(vt)}.p0")
        return builder.call(fn, [p, ir.Constant(_I32, vt.dtype.bitwidth // 8), m, ir.Constant(lt, ir.Undefined)])
    return vt(arr, idx, n), codegen


@intrinsic
def store(typingctx, arr, idx, n, v):
    """``arr[idx:min(idx + lanes, n)] = v`` (the lanes past ``n`` not written)."""
    def codegen(context, builder, sig, args):
        vt = sig.args[3]
        lt = context.get_value_type(vt)
        p = _pointer(context, builder, sig.args[0], args[0], args[1], lt)
        m = _mask(builder, builder.sub(args[2], args[1]), vt.lanes)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [lt, lt.as_pointer(), _I32, m.type]),
            f"llvm.masked.store.{_suffix(vt)}.p0")
        builder.call(fn, [args[3], p, ir.Constant(_I32, vt.dtype.bitwidth // 8), m])
        return context.get_dummy_value()
    return types.none(arr, idx, n, v), codegen


@intrinsic
def splat(typingctx, x):
    """Every lane ``x`` (a float32 or float64 number)."""
    vt = _vec(x)

    def codegen(context, builder, sig, args):
        lt = context.get_value_type(vt)
        v = builder.insert_element(ir.Constant(lt, ir.Undefined), args[0], ir.Constant(_I32, 0))
        return builder.shuffle_vector(v, ir.Constant(lt, ir.Undefined), ir.Constant(ir.VectorType(_I32, vt.lanes), [0] * vt.lanes))
    return vt(x), codegen


def _binary(op):
    @intrinsic
    def f(typingctx, a, b):
        def codegen(context, builder, sig, args):
            return getattr(builder, op)(args[0], args[1])
        return a(a, b), codegen
    return f


add, subtract, multiply, divide = (_binary(o) for o in ("fadd", "fsub", "fmul", "fdiv"))


@intrinsic
def negative(typingctx, a):
    def codegen(context, builder, sig, args):
        return builder.fneg(args[0])
    return a(a), codegen


def _llvm(name):
    @intrinsic
    def f(typingctx, a):
        def codegen(context, builder, sig, args):
            lt = context.get_value_type(a)
            fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(lt, [lt]), f"llvm.{name}.{_suffix(a)}")
            return builder.call(fn, args)
        return a(a), codegen
    return f


sqrt, absolute = _llvm("sqrt"), _llvm("fabs")


@intrinsic
def maximum(typingctx, a, b):
    """The larger lane by lane, NaN where either is (``np.maximum``)."""
    def codegen(context, builder, sig, args):
        lt = context.get_value_type(a)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(lt, [lt, lt]), f"llvm.maximum.{_suffix(a)}")
        return builder.call(fn, args)
    return a(a, b), codegen


def _libmvec(base):
    @intrinsic
    def f(typingctx, a):
        def codegen(context, builder, sig, args):
            lt = context.get_value_type(a)
            fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(lt, [lt]), _symbol(base, str(a.dtype)))
            return builder.call(fn, args)
        return a(a), codegen
    return f


for _u, _b in FUNCS.items():
    globals()[_u] = _libmvec(_b)
del _u, _b
