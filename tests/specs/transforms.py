"""Spec rows for the primitives of backchain/transforms.py."""
import backchain as bc
import backchain.numpy as bnp
from tests.specs import Spec

_block = bc.checkpoint(lambda x, y: bnp.tanh(x) * bnp.sin(y) + x * y)

SPECS = [
    Spec(lambda x, y: _block(x, y), [((), ()), ((3,), (3,)), ((2, 3), (3,))], prims=("checkpoint", "tuple_get"),
         id="checkpoint"),
]
