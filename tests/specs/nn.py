"""Spec rows for backchain/_rules/nn.py: the fused network primitives."""
import numpy as np

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
    Spec(lambda x: N.cross_entropy(x, target=np.array([0, 2, 1, 2]), w=np.array([0.25, 0.5, 0.0, 0.25]), axis=1,
                                   reduce=True), [((4, 3),)], prims=("nn.cross_entropy",), id="cross_entropy_mean",
         domain=(-4.0, 4.0)),
    Spec(lambda x: N.cross_entropy(x, target=np.array([2, 0, 0, 1, 2]), w=np.array([0.5, 1.0, 0.0, 2.0, 0.25]),
                                   axis=1, reduce=False), [((5, 3),)], prims=("nn.cross_entropy",),
         id="cross_entropy_rows_none", domain=(-4.0, 4.0)),
    Spec(lambda x: N.cross_entropy(x, target=np.array([[0, 2], [1, 1]]), w=np.ones((2, 2)), axis=1, reduce=False),
         [((2, 3, 2),)], prims=("nn.cross_entropy",), id="cross_entropy_spatial_none"),
    Spec(lambda x: N.cross_entropy(x, target=np.array(1), w=np.array(1.0), axis=0, reduce=True), [((4,),)],
         prims=("nn.cross_entropy",), id="cross_entropy_unbatched"),
    Spec(lambda x: N.batch_norm(x, axes=(0,), eps=1e-5), [((5, 3),)], prims=("nn.batch_norm",), id="batch_norm"),
    Spec(lambda x: N.batch_norm(x, axes=(0, 2, 3), eps=1e-3), [((3, 2, 2, 2),)], prims=("nn.batch_norm",),
         id="batch_norm_2d"),
    Spec(lambda x, w, b: N.layer_norm(x, w, b, axes=(1,), eps=1e-5), [((4, 3), (3,), (3,))],
         prims=("nn.layer_norm",), id="layer_norm"),
    Spec(lambda x, w, b: N.layer_norm(x, w, b, axes=(1, 2), eps=1e-3), [((2, 3, 2), (3, 2), (3, 2))],
         prims=("nn.layer_norm",), id="layer_norm_2axes"),
    Spec(lambda x: N.layer_norm(x, None, None, axes=(2,), eps=1e-5), [((2, 2, 4),)], prims=("nn.layer_norm",),
         id="layer_norm_plain"),
    Spec(lambda x, w: N.layer_norm(x, w, None, axes=(0,), eps=1e-5), [((5,), (5,))], prims=("nn.layer_norm",),
         id="layer_norm_weight_only"),
    Spec(N.sigmoid, [((),), ((3,),), ((2, 3),)], prims=("nn.sigmoid",), domain=(-6.0, 6.0), complex=False),
]
