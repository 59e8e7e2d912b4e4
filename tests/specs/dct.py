"""Spec rows for backchain/_rules/dct.py: the orthonormal DCT, its inverse and the ACDC layer."""
from backchain._rules import dct as D
from tests.specs import Spec

SPECS = [
    Spec(D.dct, [((5,),), ((2, 8),)], prims=("dct",)),
    Spec(D.idct, [((5,),), ((2, 8),)], prims=("idct",)),
    Spec(lambda x, a, d, b: D.acdc(x, a, d, b), [((3, 8), (8,), (8,), (8,))], prims=("dct", "idct"), id="acdc"),
    Spec(lambda x, a, d: D.acdc(x, a, d), [((7,), (7,), (7,))], prims=("dct", "idct"), id="acdc-nobias"),
]

COVERED_ELSEWHERE = {}
