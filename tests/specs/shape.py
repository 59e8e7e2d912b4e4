"""Spec rows for backchain/_rules/shape.py (reshape, joining, splitting, tiling, padding)."""
import numpy as np

import backchain.numpy as bnp
from tests.specs import Spec


def _piece_product(pieces):
    """A nonlinear use of several pieces (so that second order sees each of them)."""
    out = pieces[0] * 1.0
    for p in pieces[1:]:
        out = out * p.sum()
    return out


SPECS = [
    # reshape / transpose and their composites
    Spec(lambda x: bnp.reshape(x, (3, 2)), [((2, 3),), ((6,),)], prims=("reshape",), id="reshape", complex=True),
    Spec(lambda x: bnp.reshape(x, (-1, 2)), [((2, 3),)], prims=("reshape",), id="reshape_minus1"),
    Spec(lambda x: bnp.reshape(x, ()), [((),), ((1, 1),)], prims=("reshape",), id="reshape_scalar"),
    Spec(lambda x: bnp.transpose(x), [((2, 3),), ((2, 3, 2),)], prims=("transpose",), id="transpose",
         complex=True),
    Spec(lambda x: bnp.transpose(x, (1, 2, 0)), [((2, 3, 2),)], prims=("transpose",), id="transpose_axes"),
    Spec(lambda x: x.T ** 2, [((2, 3),)], prims=("transpose",), id="transpose_nonlinear"),
    Spec(lambda x: bnp.ravel(x), [((2, 3),), ((),)], prims=("reshape",), id="ravel"),
    Spec(lambda x: bnp.reshape(x, (3, -1), order="F"), [((2, 3),), ((2, 3, 2),)], prims=("reshape", "transpose"),
         id="reshape_fortran", complex=True),
    Spec(lambda x: bnp.ravel(bnp.transpose(x), order="K") * bnp.arange(6.0), [((2, 3),)],
         prims=("reshape", "transpose"), id="ravel_memory_order"),
    Spec(lambda x: bnp.moveaxis(x, 0, -1), [((2, 3, 2),)], prims=("transpose",), id="moveaxis"),
    Spec(lambda x: bnp.moveaxis(x, (0, 1), (2, 0)), [((2, 3, 1),)], prims=("transpose",), id="moveaxis_multi"),
    Spec(lambda x: bnp.squeeze(x), [((1, 3, 1),)], prims=("reshape",), id="squeeze"),
    Spec(lambda x: bnp.squeeze(x, axis=2), [((1, 3, 1),)], prims=("reshape",), id="squeeze_axis"),
    Spec(lambda x: bnp.expand_dims(x, (0, 2)), [((2, 3),)], prims=("reshape",), id="expand_dims"),
    Spec(lambda x: bnp.swapaxes(x, 0, -1), [((2, 3, 2),)], prims=("transpose",), id="swapaxes"),
    Spec(lambda x: bnp.atleast_1d(x), [((),)], prims=("reshape",), id="atleast_1d"),
    Spec(lambda x: bnp.atleast_2d(x), [((3,),)], prims=("reshape",), id="atleast_2d"),
    Spec(lambda x: bnp.atleast_3d(x), [((3,),), ((2, 3),)], prims=("reshape",), id="atleast_3d"),
    Spec(lambda x: bnp.broadcast_to(x, (2, 3)), [((3,),), ((2, 1),)], prims=("broadcast_to",),
         id="broadcast_to", complex=True),
    Spec(lambda x, y: bnp.broadcast_arrays(x, y)[0] * bnp.broadcast_arrays(x, y)[1], [((2, 1), (3,))],
         prims=("broadcast_to",), id="broadcast_arrays"),
    Spec(lambda x: bnp.astype(x, np.complex128), [((3,),)], prims=("astype",), id="astype_complex"),
    Spec(lambda x: bnp.copy(x) * x, [((3,),)], prims=("positive",), id="copy"),
    # joining
    Spec(lambda x, y: bnp.concatenate([x, y]), [((2, 3), (1, 3)), ((3,), (2,))], prims=("concatenate",),
         id="concatenate", complex=True),
    Spec(lambda x, y: bnp.concatenate([x, y, x], axis=1), [((2, 3), (2, 1))], prims=("concatenate",),
         id="concatenate_axis1_repeated"),
    Spec(lambda x, y: bnp.concatenate([x, np.ones(2), y], axis=None) * 2.0, [((2, 2), (3,))],
         prims=("concatenate",), id="concatenate_axis_none_const"),
    Spec(lambda x, y: bnp.concatenate([x, y], axis=-1) ** 2, [((2, 3), (2, 2))], prims=("concatenate",),
         id="concatenate_nonlinear"),
    Spec(lambda x, y: bnp.stack([x, y]), [((), ()), ((2, 3), (2, 3))], prims=("stack",), id="stack",
         complex=True),
    Spec(lambda x, y: bnp.stack([x, y, x], axis=-1) ** 2, [((3,), (3,)), ((2, 3), (2, 3))], prims=("stack",),
         id="stack_last"),
    Spec(lambda x, y: bnp.stack([x, 1.0, y], axis=0) * x, [((), ())], prims=("stack",), id="stack_scalars"),
    Spec(lambda x, y: bnp.array([[x, y], [y, 2.0]]), [((), ())], prims=("stack",), id="array_of_tensors"),
    Spec(lambda x, y: bnp.hstack([x, y]), [((3,), (2,)), ((2, 3), (2, 1)), ((), ())], prims=("concatenate",),
         id="hstack"),
    Spec(lambda x, y: bnp.vstack([x, y]), [((3,), (3,)), ((2, 3), (1, 3))], prims=("concatenate",), id="vstack"),
    Spec(lambda x, y: bnp.dstack([x, y]), [((3,), (3,)), ((2, 3), (2, 3))], prims=("concatenate",), id="dstack"),
    Spec(lambda x, y: bnp.column_stack([x, y]), [((3,), (3, 2))], prims=("concatenate",), id="column_stack"),
    Spec(lambda x, y: bnp.append(x, y), [((2, 2), (3,))], prims=("concatenate",), id="append"),
    Spec(lambda x, y: bnp.append(x, y, axis=0), [((2, 2), (1, 2))], prims=("concatenate",), id="append_axis"),
    # splitting
    Spec(lambda x: bnp.split(x, 3)[1], [((6,),)], prims=("split",), id="split_one_piece", complex=True),
    Spec(lambda x: _piece_product(bnp.split(x, [1, 3], axis=1)), [((2, 4),)], prims=("split",), id="split"),
    Spec(lambda x: _piece_product(bnp.array_split(x, 3)), [((7,),)], prims=("split",), id="array_split"),
    Spec(lambda x: _piece_product(bnp.hsplit(x, 2)), [((2, 4),), ((4,),)], prims=("split",), id="hsplit"),
    Spec(lambda x: _piece_product(bnp.vsplit(x, 2)), [((4, 2),)], prims=("split",), id="vsplit"),
    Spec(lambda x: _piece_product(bnp.dsplit(x, [1])), [((1, 2, 3),)], prims=("split",), id="dsplit"),
    Spec(lambda x: _piece_product(bnp.unstack(x, axis=1)), [((2, 3),)], prims=("split", "reshape"), id="unstack"),
    # repetition
    Spec(lambda x: bnp.tile(x, 2), [((3,),), ((),)], prims=("reshape", "broadcast_to"), id="tile"),
    Spec(lambda x: bnp.tile(x, (2, 1, 2)), [((2, 3),)], prims=("reshape", "broadcast_to"), id="tile_nd",
         complex=True),
    Spec(lambda x: bnp.repeat(x, 2), [((2, 3),), ((),)], prims=("reshape", "broadcast_to"), id="repeat"),
    Spec(lambda x: bnp.repeat(x, 3, axis=1) ** 2, [((2, 2),)], prims=("reshape", "broadcast_to"),
         id="repeat_axis"),
    Spec(lambda x: bnp.repeat(x, [2, 0, 1], axis=0) ** 2, [((3, 2),)], prims=("getitem",), id="repeat_array"),
    # reordering
    Spec(lambda x: bnp.flip(x), [((3,),), ((2, 3),)], prims=("getitem",), id="flip", complex=True),
    Spec(lambda x: bnp.flip(x, axis=1) * x, [((2, 3),)], prims=("getitem",), id="flip_axis"),
    Spec(lambda x: bnp.fliplr(x), [((2, 3),)], prims=("getitem",), id="fliplr"),
    Spec(lambda x: bnp.flipud(x), [((2, 3),)], prims=("getitem",), id="flipud"),
    Spec(lambda x: bnp.roll(x, 2), [((5,),), ((2, 3),)], prims=("roll",), id="roll", complex=True),
    Spec(lambda x: bnp.roll(x, (1, -1), axis=(0, 1)) * x, [((2, 3),)], prims=("roll",), id="roll_axes"),
    Spec(lambda x: bnp.rot90(x), [((2, 3),)], prims=("transpose", "getitem"), id="rot90"),
    Spec(lambda x: bnp.rot90(x, 2, axes=(1, 2)), [((2, 2, 3),)], prims=("getitem",), id="rot90_k2"),
    Spec(lambda x: bnp.rot90(x, -1), [((2, 3),)], prims=("transpose", "getitem"), id="rot90_k3"),
    # padding and triangles
    Spec(lambda x: bnp.pad(x, 2), [((3,),), ((2, 3),)], prims=("index_add",), id="pad_constant",
         complex=True),
    Spec(lambda x: bnp.pad(x, ((1, 0), (0, 2)), constant_values=1.5) ** 2, [((2, 3),)], prims=("index_add",),
         id="pad_constant_values"),
    Spec(lambda x: bnp.pad(x, (2, 3), mode="edge"), [((3,),), ((2, 3),)], prims=("getitem", "concatenate"), id="pad_edge"),
    Spec(lambda x: bnp.pad(x, (2, 3), mode="reflect"), [((3,),), ((2, 3),)], prims=("getitem",),
         id="pad_reflect", complex=True),
    Spec(lambda x: bnp.pad(x, ((5, 1), (0, 4)), mode="reflect") ** 2, [((3, 2),)], prims=("getitem",),
         id="pad_reflect_wide"),
    Spec(lambda x: bnp.pad(x, (2, 4), mode="symmetric"), [((3,),), ((2, 3),)], prims=("getitem",),
         id="pad_symmetric"),
    Spec(lambda x: bnp.pad(x, (4, 2), mode="wrap"), [((3,),), ((2, 3),)], prims=("getitem",), id="pad_wrap"),
    Spec(lambda x: bnp.triu(x), [((3, 3),), ((2, 3, 4),), ((3,),)], prims=("where",), id="triu"),
    Spec(lambda x: bnp.tril(x, -1) * x, [((3, 4),)], prims=("where",), id="tril"),
    Spec(lambda x: bnp.triu(x, 1), [((4, 3),)], prims=("where",), id="triu_k"),
    # differences, interpolation and spaced values (backchain/_rules/numerics.py)
    Spec(lambda x: bnp.diff(x, n=2), [((5,),), ((2, 4),)], prims=("subtract",), id="diff", complex=True),
    Spec(lambda x, p: bnp.diff(x, axis=0, prepend=p, append=1.5), [((3, 2), (1, 2))], prims=("subtract",),
         id="diff_prepend_append"),
    Spec(lambda x, e: bnp.ediff1d(x, to_end=e, to_begin=0.5), [((2, 3), (2,))], prims=("subtract",), id="ediff1d"),
    Spec(lambda x, h: bnp.gradient(x, h), [((5,), ())], prims=("subtract",), id="gradient", domain=(0.5, 2.0)),
    Spec(lambda x: bnp.gradient(x, 0.5, 2.0, edge_order=2)[1], [((3, 4),)], prims=("subtract",),
         id="gradient_edge2"),
    Spec(lambda x, xp, fp: bnp.interp(x * 4.0 - 0.5, bnp.cumsum(xp) + bnp.arange(4.0), fp, left=fp[1]),
         [((6,), (4,), (4,))], prims=("getitem",), id="interp", domain=(0.05, 0.95),
         avoid=lambda x, xp, fp: bool(np.min(np.abs((x * 4.0 - 0.5)[:, None]
                                                    - (np.cumsum(xp) + np.arange(4.0))[None, :])) < 0.05)),
    Spec(lambda a, b: bnp.linspace(a, b, 5, axis=-1), [((), ()), ((2,), (2,))], prims=("add",), id="linspace"),
    Spec(lambda a, b: bnp.meshgrid(a, b)[0] * bnp.meshgrid(a, b, indexing="ij", sparse=True)[1],
         [((3,), (3,))], prims=("broadcast_to",), id="meshgrid"),
    Spec(lambda y, x: bnp.trapezoid(y, bnp.cumsum(x), axis=0), [((4, 2), (4,))], prims=("subtract",),
         id="trapezoid", domain=(0.1, 1.0)),
    Spec(lambda y: bnp.trapezoid(y, dx=0.3), [((2, 5),)], prims=("subtract",), id="trapezoid_dx"),
    Spec(bnp.polyval, [((4,), (3,)), ((1,), (2, 2))], prims=("multiply",), id="polyval", complex=True),
    Spec(lambda x: bnp.rollaxis(x, 2, 1) * 2.0 + bnp.matrix_transpose(x)[:, :1, :1], [((2, 3, 4),)],
         prims=("transpose",), id="rollaxis_matrix_transpose"),
    Spec(lambda a, b: bnp.linspace(a, b, 4, endpoint=False, retstep=True)[0], [((), (3,))], prims=("add",),
         id="linspace_no_endpoint"),
]

COVERED_ELSEWHERE = {}
