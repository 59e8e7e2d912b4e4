"""Spec rows for backchain/_rules/activations.py (kinks avoided; exact values in test_activation_kinks.py)."""
import numpy as np

from backchain._rules import activations as A
from tests.specs import Spec

U = [((),), ((3,),), ((2, 3),)]


def away(*points, margin=0.05):
    return lambda x: any(np.any(np.abs(x - p) < margin) for p in points)


SPECS = [
    Spec(A.relu, U, prims=("relu",), avoid=away(0.0)),
    Spec(lambda x: A.leaky_relu(x, 0.1), U, prims=("leaky_relu",), id="leaky_relu", avoid=away(0.0)),
    Spec(lambda x: A.hardtanh(x, -0.5, 1.0), U, prims=("hardtanh",), id="hardtanh", avoid=away(-0.5, 1.0)),
    Spec(lambda x: A.relu6(x * 4.0), U, prims=("hardtanh",), id="relu6", domain=(-2.0, 2.0), avoid=away(0.0, 1.5)),
    Spec(A.hardsigmoid, U, prims=("hardsigmoid",), domain=(-4.0, 4.0), avoid=away(-3.0, 3.0)),
    Spec(A.hardswish, U, prims=("hardswish",), domain=(-4.0, 4.0), avoid=away(-3.0, 3.0)),
]
