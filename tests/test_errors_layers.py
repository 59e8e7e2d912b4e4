"""Bad input to layers, losses, optimizers, schedulers and checkpoints: each error names the
operation and the shapes, dtypes or values involved (tests/test_errors.py covers the engine)."""
import warnings

import numpy as np
import pytest

import backchain as bc
import backchain.nn.functional as F
from backchain._rules.conv import conv1d, conv2d
from backchain._rules.pool import avg_pool2d, max_pool2d

nn = bc.nn
X4 = bc.tensor(np.ones((2, 3, 5, 5)), requires_grad=True)
W4 = np.ones((4, 3, 3, 3))
LOGITS = bc.tensor(np.ones((4, 3)), requires_grad=True)


def f32(*shape):
    return bc.tensor(np.ones(shape, np.float32))


def _linear_state(**override):
    state = {"weight": np.ones((2, 2), np.float32), "bias": np.ones(2, np.float32)}
    state.update(override)
    return {k: v for k, v in state.items() if v is not None}


CASES = [
    # layers: wrong rank, wrong sizes
    ("linear in_features", lambda: nn.Linear(4, 2)(f32(3, 5)), ValueError, ["linear", "(3, 5)", "(2, 4)"]),
    ("linear 0-d input", lambda: nn.Linear(4, 2)(f32()), ValueError, ["linear", "shape ()", "(*, 4)"]),
    ("linear negative size", lambda: nn.Linear(-1, 2), ValueError, ["Linear", "in_features=-1"]),
    ("embedding negative size", lambda: nn.Embedding(-10, 3), ValueError, ["Embedding", "num_embeddings=-10"]),
    ("conv wrong rank", lambda: conv2d(bc.tensor(np.ones((5, 5)), requires_grad=True), W4), ValueError,
     ["conv2d", "4 dimensions", "(5, 5)"]),
    ("conv channels mismatch", lambda: conv2d(X4, np.ones((4, 2, 3, 3))), ValueError,
     ["conv2d", "(2, 3, 5, 5)", "C=3", "(4, 2, 3, 3)"]),
    ("conv groups do not divide", lambda: conv2d(X4, np.ones((4, 1, 3, 3)), groups=2), ValueError,
     ["conv2d", "groups=2", "C divisible by groups"]),
    ("conv kernel larger than padded input", lambda: conv2d(X4, np.ones((4, 3, 7, 7)), padding=0), ValueError,
     ["conv2d", "(5, 5)", "(7, 7)"]),
    ("conv1d kernel larger than padded input", lambda: conv1d(bc.tensor(np.ones((1, 1, 3))), np.ones((1, 1, 6)),
                                                              padding=1), ValueError, ["conv1d", "(5,)", "(6,)"]),
    ("conv stride 0", lambda: conv2d(X4, W4, stride=0), ValueError, ["conv2d", "positive", "stride=(0, 0)"]),
    ("conv negative padding", lambda: conv2d(X4, W4, padding=-1), ValueError, ["conv2d", "non-negative", "(-1, -1)"]),
    ("max_pool kernel larger than input", lambda: max_pool2d(X4, 7), ValueError, ["max_pool2d", "(5, 5)", "(7, 7)"]),
    ("avg_pool stride 0", lambda: avg_pool2d(X4, 2, stride=0), ValueError, ["avg_pool2d", "stride=(0, 0)"]),
    ("max_pool wrong rank", lambda: max_pool2d(bc.tensor(np.ones(5)), 2), ValueError, ["max_pool2d", "(5,)"]),
    ("batchnorm channels", lambda: nn.BatchNorm1d(3)(f32(4, 5)), ValueError,
     ["batch_norm", "(4, 5)", "5 channels", "(3,)"]),
    ("batchnorm2d rank", lambda: nn.BatchNorm2d(3)(f32(4, 3)), ValueError, ["BatchNorm2d", "4D", "2D"]),
    ("batchnorm one sample", lambda: nn.BatchNorm1d(3)(f32(1, 3)), ValueError, ["batch_norm", "(1, 3)"]),
    ("layernorm shape", lambda: nn.LayerNorm(4)(f32(2, 5)), ValueError, ["layer_norm", "(2, 5)", "(4,)"]),
    ("flatten dim out of range", lambda: nn.Flatten(3)(f32(2, 3)), IndexError, ["flatten", "3", "(2, 3)"]),
    ("prelu channels", lambda: F.prelu(bc.tensor(np.ones((2, 3)), requires_grad=True), np.ones(4)), ValueError,
     ["prelu", "4", "(2, 3)"]),
    ("softmax dim", lambda: F.softmax(LOGITS, dim=4), np.exceptions.AxisError, ["softmax", "axis 4", "[4, 3]"]),
    # floats needed
    ("linear integer input", lambda: nn.Linear(4, 2)(np.ones((3, 4), np.int64)), TypeError,
     ["linear", "int64", "(3, 4)", "floating"]),
    ("linear boolean input", lambda: nn.Linear(4, 2)(np.ones((3, 4), bool)), TypeError, ["linear", "bool", "(3, 4)"]),
    ("linear string input", lambda: nn.Linear(4, 2)(np.array([["a"] * 4])), TypeError, ["linear", "<U1", "(1, 4)"]),
    ("linear object input", lambda: nn.Linear(4, 2)(np.array([[object()] * 4])), TypeError,
     ["linear", "object", "(1, 4)"]),
    ("string array in an op", lambda: bc.tensor(np.ones(2), requires_grad=True) * np.array(["a", "b"]), TypeError,
     ["multiply", "<U1[2]", "float64[2]"]),
    ("embedding float indices", lambda: nn.Embedding(10, 3)(np.array([1.5])), TypeError,
     ["embedding", "float64", "(1,)"]),
    ("embedding index out of range", lambda: nn.Embedding(10, 3)(np.array([10])), IndexError,
     ["embedding", "index 10 ", "num_embeddings=10"]),
    ("one_hot out of range", lambda: F.one_hot(np.array([0, 5]), 3), IndexError, ["one_hot", "[0, 3)", "5"]),
    ("one_hot float", lambda: F.one_hot(np.array([0.5]), 3), TypeError, ["one_hot", "float64"]),
    # losses
    ("cross_entropy target shape", lambda: F.cross_entropy(LOGITS, np.zeros(5, int)), ValueError,
     ["cross_entropy", "(5,)", "(4, 3)", "(4,)"]),
    ("cross_entropy class too large", lambda: F.cross_entropy(LOGITS, np.array([0, 1, 3, 0])), IndexError,
     ["cross_entropy", "[0, 3)", "3]"]),
    ("cross_entropy negative class", lambda: F.cross_entropy(LOGITS, np.array([0, 1, -2, 0])), IndexError,
     ["cross_entropy", "[-2, 1]"]),
    ("cross_entropy NaN labels", lambda: F.cross_entropy(LOGITS, np.array([0, 1, np.nan, 0])), TypeError,
     ["cross_entropy", "(4,)", "float64", "NaN", "integers"]),
    ("cross_entropy NaN probabilities", lambda: F.cross_entropy(LOGITS, np.full((4, 3), np.nan)), ValueError,
     ["cross_entropy", "12 NaN", "(4, 3)"]),
    ("cross_entropy empty batch", lambda: F.cross_entropy(bc.tensor(np.ones((0, 3)), requires_grad=True),
                                                          np.zeros(0, int)), ValueError,
     ["cross_entropy", "empty", "(0, 3)"]),
    ("nll_loss float target", lambda: F.nll_loss(LOGITS, np.zeros(4)), TypeError, ["nll_loss", "float64", "(4,)"]),
    ("nll_loss target rank", lambda: F.nll_loss(LOGITS, np.zeros((4, 3), int)), ValueError,
     ["nll_loss", "(4, 3)", "(4,)"]),
    ("mse target shape", lambda: F.mse_loss(LOGITS, np.ones((4, 2))), ValueError, ["mse_loss", "(4, 2)", "(4, 3)"]),
    ("mse NaN labels", lambda: nn.MSELoss()(bc.tensor(np.ones(3), requires_grad=True), np.array([1, np.nan, 2])),
     ValueError, ["mse_loss", "1 NaN", "(3,)", "index (1,)"]),
    ("l1 string target", lambda: F.l1_loss(bc.tensor(np.ones(2), requires_grad=True), np.array(["a", "b"])),
     TypeError, ["l1_loss", "<U1", "(2,)"]),
    ("mse empty batch", lambda: F.mse_loss(bc.tensor(np.ones(0), requires_grad=True), np.ones(0)), ValueError,
     ["mse_loss", "empty", "(0,)"]),
    ("bce input outside [0, 1]", lambda: F.binary_cross_entropy(bc.tensor([0.5, 1.5], requires_grad=True),
                                                                np.array([0.0, 1.0])), ValueError,
     ["binary_cross_entropy", "[0, 1]", "logits"]),
    ("loss reduction name", lambda: F.mse_loss(LOGITS, np.ones((4, 3)), reduction="avg"), ValueError,
     ["mse_loss", "'avg'"]),
    # state dicts
    ("load_state_dict missing key", lambda: nn.Linear(2, 2).load_state_dict(_linear_state(bias=None)),
     RuntimeError, ["Linear", "Missing", '"bias"']),
    ("load_state_dict unexpected key", lambda: nn.Linear(2, 2).load_state_dict(_linear_state(zz=np.ones(1))),
     RuntimeError, ["Linear", "Unexpected", '"zz"']),
    ("load_state_dict shape", lambda: nn.Linear(2, 2).load_state_dict(_linear_state(weight=np.ones((3, 2)))),
     RuntimeError, ["size mismatch for weight", "(3, 2)", "(2, 2)"]),
    ("load_state_dict strings", lambda: nn.Linear(2, 2).load_state_dict(_linear_state(weight=np.array([["a", "b"]] * 2))),
     RuntimeError, ["dtype mismatch for weight", "<U1", "float32"]),
    # optimizers
    ("optimizer without parameters", lambda: bc.optim.SGD([], lr=0.1), ValueError, ["SGD", "empty parameter list"]),
    ("optimizer negative lr", lambda: bc.optim.SGD(nn.Linear(2, 2).parameters(), lr=-1), ValueError,
     ["SGD", "learning rate -1"]),
    ("optimizer integer parameter", lambda: bc.optim.Adam([bc.tensor([1, 2])]), TypeError,
     ["Adam", "int64", "(2,)"]),
    ("optimizer bad beta", lambda: bc.optim.Adam(nn.Linear(2, 2).parameters(), betas=(1.5, 0.9)), ValueError,
     ["Adam", "beta", "1.5"]),
    ("optimizer given arrays", lambda: bc.optim.SGD([np.ones(3)], lr=0.1), TypeError, ["SGD", "ndarray"]),
    # checkpoints
    ("save unsupported value", lambda: bc.save({"a": object()}, "unused.safetensors"), TypeError,
     ["save", "builtins.object", "'a'"]),
    ("dropout probability", lambda: nn.Dropout(1.5), ValueError, ["Dropout", "1.5"]),
]


@pytest.mark.parametrize("name,call,error,fragments", CASES, ids=[c[0] for c in CASES])
def test_error_names_op_and_inputs(name, call, error, fragments):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(error) as info:
            call()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from: {message}"


def test_enough_cases():
    assert len(CASES) >= 25


def test_scheduler_stepped_before_optimizer_warns():
    opt = bc.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    sched = bc.optim.lr_scheduler.StepLR(opt, 1)
    with pytest.warns(UserWarning, match=r"lr_scheduler.step\(\)` before `optimizer.step\(\)"):
        sched.step()


def test_load_missing_and_corrupt_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.safetensors"):
        bc.load(tmp_path / "nope.safetensors")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 3)
    with pytest.raises(bc.io.CheckpointError, match=r"load: .*bad.safetensors.* 3 bytes"):
        bc.load(bad)


@pytest.mark.parametrize("layer", ["lstm_layer", "gru_layer"])
def test_fused_recurrent_layer_names_a_mask_of_the_wrong_shape(layer):
    from backchain._rules import rnn

    x, h = np.ones((3, 2, 1)), np.ones((2, 2))
    args = (x, h, h, np.ones((8, 1)), np.ones((8, 2))) if layer == "lstm_layer" else (x, h, np.ones((6, 1)),
                                                                                      np.ones((6, 2)))
    with pytest.raises(ValueError, match=rf"rnn.{layer}: mask of shape \(2, 3\); expected \(steps, batch\) = \(3, 2\)"):
        getattr(rnn, layer)(*args, None, None, mask=np.ones((2, 3), bool))
