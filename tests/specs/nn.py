"""Spec rows for backchain/_rules/nn.py: the fused network primitives."""
from backchain._rules import nn as N
from tests.specs import Spec

SPECS = [
    Spec(N.linear, [((4, 3), (2, 3), (2,)), ((3,), (2, 3), (2,)), ((2, 4, 3), (5, 3), (5,))],
         prims=("nn.linear",), id="linear"),
    Spec(lambda x, w: N.linear(x, w, None), [((4, 3), (2, 3)), ((2, 2, 3), (1, 3))], prims=("nn.linear",),
         id="linear_nobias"),
    Spec(lambda x: N.log_softmax(x, axis=-1), [((5,),), ((3, 4),), ((2, 3, 4),)], prims=("nn.log_softmax",),
         id="log_softmax", domain=(-5.0, 5.0)),
    Spec(lambda x: N.log_softmax(x, axis=1), [((3, 4, 2),)], prims=("nn.log_softmax",), id="log_softmax_axis1"),
    Spec(lambda x: N.softmax(x, axis=-1), [((5,),), ((3, 4),)], prims=("nn.softmax",), id="softmax",
         domain=(-3.0, 3.0)),
    Spec(lambda x: N.softmax(x, axis=0), [((3, 4),)], prims=("nn.softmax",), id="softmax_axis0"),
    Spec(N.sigmoid, [((),), ((3,),), ((2, 3),)], prims=("nn.sigmoid",), domain=(-6.0, 6.0), complex=False),
]
