"""Bad input gets an error that names the operation and the shapes, dtypes or values involved."""
import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp

X = bc.tensor(np.ones((2, 3)), requires_grad=True)

CASES = [
    # (id, call, error type, every fragment the message must contain)
    ("add shapes", lambda: X + np.ones(4), ValueError, ["add", "[2, 3]", "[4]"]),
    ("matmul shapes", lambda: X @ X, ValueError, ["matmul", "[2, 3]"]),
    ("concatenate shapes", lambda: bnp.concatenate([X, np.ones((3, 2))]), ValueError, ["concatenate", "dimension"]),
    ("stack shapes", lambda: bnp.stack([X, np.ones((3, 2))]), ValueError, ["stack", "(2, 3)", "(3, 2)"]),
    ("reshape size", lambda: X.reshape(4, 2), ValueError, ["reshape", "(4,2)"]),
    ("sum axis", lambda: bnp.sum(X, axis=3), np.exceptions.AxisError, ["sum", "axis 3", "dimension 2"]),
    ("mean duplicate axis", lambda: bnp.mean(X, axis=(0, 0)), ValueError, ["mean", "axis"]),
    ("transpose axes", lambda: bnp.transpose(X, (0, 0)), ValueError, ["transpose", "(0, 0)", "(2, 3)"]),
    ("einsum sizes", lambda: bnp.einsum("ij,jk->ik", X, np.ones((2, 2))), ValueError, ["einsum", "'j'", "(2, 2)"]),
    ("inv not square", lambda: bnp.linalg.inv(X), np.linalg.LinAlgError, ["inv", "square", "[2, 3]"]),
    ("solve shapes", lambda: bnp.linalg.solve(np.eye(3), X), ValueError, ["solve", "[3, 3]", "[2, 3]"]),
    ("cholesky not pd", lambda: bnp.linalg.cholesky(-bc.tensor(np.eye(2), requires_grad=True)),
     np.linalg.LinAlgError, ["cholesky", "positive definite"]),
    ("index out of range", lambda: X[5], IndexError, ["getitem", "5", "size 2"]),
    ("take out of range", lambda: bnp.take(X, [10]), IndexError, ["take", "10"]),
    ("broadcast_to", lambda: bnp.broadcast_to(X, (4, 4)), ValueError, ["broadcast_to", "(4,4)"]),
    ("split unequal", lambda: bnp.split(X, 4, axis=1), ValueError, ["split", "4"]),
    ("pad width", lambda: bnp.pad(X, ((1,), (1,), (1,))), ValueError, ["pad", "(2, 3)"]),
    ("clip bounds shape", lambda: bnp.clip(X, np.ones(4), 2), ValueError, ["clip", "(4,)"]),
    ("where shapes", lambda: bnp.where(np.ones(4) > 0, X, 0.0), ValueError, ["where", "(4,)", "(2,3)"]),
    ("repeat counts", lambda: bnp.repeat(X, [1, 2, 3], axis=0), ValueError, ["repeat", "(3,)", "length 2"]),
    ("tile negative", lambda: bnp.tile(X, -1), ValueError, ["tile", "negative"]),
    ("requires_grad int", lambda: bc.tensor([1, 2], requires_grad=True), TypeError, ["int64", "(2,)"]),
    ("requires_grad bool", lambda: bc.tensor([True], requires_grad=True), TypeError, ["bool"]),
    ("object tensor", lambda: bc.tensor([{}]), TypeError, ["object"]),
    ("backward non-scalar", lambda: (X * 2).backward(), RuntimeError, ["backward", "(2, 3)", "grad="]),
    ("backward wrong seed", lambda: (X * 2).backward(np.ones(3)), ValueError, ["backward", "(3,)", "(2, 3)"]),
    ("backward untraced", lambda: bc.tensor(1.0).backward(), RuntimeError, ["does not require grad"]),
    ("grad of string", lambda: bc.grad(lambda s: s)("abc"), TypeError, ["grad", "str", "floating"]),
    ("grad of int", lambda: bc.grad(lambda s: s * 2)(3), TypeError, ["grad", "int64", "1.0"]),
    ("grad non-scalar output", lambda: bc.grad(lambda a: a * 2)(np.ones(3)), TypeError, ["grad", "scalar", "(3,)"]),
    ("grad argnums", lambda: bc.grad(lambda a: a, argnums=2)(1.0), ValueError, ["argnums=2", "1 positional"]),
    ("vjp cotangent shape", lambda: bc.vjp(lambda a: a * 2, np.ones(3))[1](np.ones(4)), ValueError,
     ["vjp", "(4,)", "(3,)"]),
    ("jvp tangent shape", lambda: bc.jvp(lambda a: a * 2, (np.ones(3),), (np.ones(4),)), ValueError,
     ["jvp", "(4,)", "(3,)"]),
    ("jvp arity", lambda: bc.jvp(lambda a: a, (1.0,), (1.0, 2.0)), ValueError, ["jvp", "1 primals", "2 tangents"]),
    ("jacobian mode", lambda: bc.jacobian(lambda a: a, mode="sideways")(1.0), ValueError, ["jacobian", "sideways"]),
    ("numpy function without rule", lambda: np.histogramdd(X), TypeError, ["histogramdd", "no derivative"]),
    ("asarray of traced tensor", lambda: np.asarray(X), TypeError, ["requires grad", "detach", "(2, 3)"]),
    ("unknown namespace name", lambda: bnp.lexsort_gradient, AttributeError, ["lexsort_gradient"]),
    ("gradcheck int", lambda: bc.gradcheck(lambda a: a, np.arange(3)), TypeError, ["gradcheck", "int64"]),
]


@pytest.mark.parametrize("name,call,error,fragments", CASES, ids=[c[0] for c in CASES])
def test_error_names_op_and_inputs(name, call, error, fragments):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from: {message}"


def test_second_backward_through_released_graph():
    x = bc.tensor(2.0, requires_grad=True)
    y = bnp.exp(x) * x
    y.backward()
    with pytest.raises(RuntimeError, match=r"'multiply'.*released.*retain_graph=True"):
        y.backward()
