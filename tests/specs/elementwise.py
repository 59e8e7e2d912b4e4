"""Spec rows for backchain/_rules/elementwise.py."""
import backchain.numpy as bnp
from tests.specs import Spec

U = [((),), ((3,),), ((2, 3),)]          # unary shapes
B = [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3))]  # binary, with broadcasting

POS = (0.2, 2.0)


def near(*points, margin=0.05):
    """avoid= helper: reject samples within ``margin`` of any of ``points``."""
    def avoid(x, *rest):
        import numpy as np
        return any(np.any(np.abs(np.real(x) - p) < margin) for p in points)
    return avoid


SPECS = [
    Spec(bnp.add, B, prims=("add",), broadcast=True, complex=True),
    Spec(bnp.subtract, B, prims=("subtract",), broadcast=True, complex=True),
    Spec(bnp.multiply, B, prims=("multiply",), broadcast=True, complex=True),
    Spec(bnp.divide, B, prims=("divide",), domain=POS, broadcast=True, complex=True),
    Spec(bnp.negative, U, prims=("negative",), complex=True),
    Spec(bnp.positive, U, prims=("positive",)),
    Spec(bnp.square, U, prims=("square",), complex=True),
    Spec(bnp.reciprocal, U, prims=("reciprocal",), domain=POS, complex=True),
    Spec(bnp.power, B, prims=("power",), domain=POS, broadcast=True),
    Spec(bnp.sqrt, U, prims=("sqrt",), domain=POS),
    Spec(bnp.exp, U, prims=("exp",), complex=True),
    Spec(bnp.log, U, prims=("log",), domain=POS),
    Spec(bnp.sin, U, prims=("sin",), complex=True),
    Spec(bnp.cos, U, prims=("cos",), complex=True),
    Spec(bnp.tanh, U, prims=("tanh",), complex=True),
    Spec(bnp.abs, U, prims=("absolute",), avoid=near(0.0), complex=True),
    Spec(bnp.maximum, B, prims=("maximum",), avoid=lambda x, y: bool((abs(x - y) < 0.05).any()), broadcast=True),
    Spec(bnp.minimum, B, prims=("minimum",), avoid=lambda x, y: bool((abs(x - y) < 0.05).any()), broadcast=True),
    Spec(lambda x, y: bnp.where(x > 0, x, y), B, prims=("where",), id="where", broadcast=True),
    Spec(bnp.sign, U, prims=("sign",), avoid=near(0.0)),
    Spec(bnp.real, U, prims=("real",), complex=True),
    Spec(bnp.conj, U, prims=("conjugate",), complex=True),
]

# Primitives checked by other rows or tests, with where.
COVERED_ELSEWHERE = {
    "input": "the identity through which traced arguments enter a transform (tests/test_transforms.py)",
    "tuple_get": "part of every multiple-result primitive (linalg rows)",
    "sum_to": "undoes broadcasting in every broadcasting row",
    "broadcast_to": "broadcasting rows and shape rows",
    "astype": "dtype tests",
}
