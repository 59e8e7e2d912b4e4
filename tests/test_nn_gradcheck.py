"""Every layer and loss gradient-checked in float64 with bc.gradcheck (functional form, parameters as
arguments), reverse and forward mode, to second order."""
import numpy as np
import pytest

import backchain as bc
import backchain.nn.functional as F
import backchain.numpy as bnp

rng = np.random.default_rng(0)


def r(*shape, scale=1.0):
    return rng.uniform(-2, 2, size=shape) * scale


def pos(*shape):
    return rng.uniform(0.5, 1.5, size=shape)


IDX = np.array([0, 3, 1, 2, 1])
IDX_IGN = np.array([0, -100, 1, 2, 1])
WCLS = pos(4)
PROBS = np.exp(r(5, 4))
PROBS /= PROBS.sum(1, keepdims=True)
T01 = rng.uniform(0.1, 0.9, size=(5, 4))
EMB_IDX = np.array([[1, 2, 0], [2, 2, 3]])

LAYERS = [
    ("linear", lambda x, w, b: F.linear(x, w, b), [r(5, 3), r(4, 3), r(4)]),
    ("linear_3d", lambda x, w, b: F.linear(x, w, b), [r(2, 5, 3), r(4, 3), r(4)]),
    ("bilinear", lambda x1, x2, w, b: F.bilinear(x1, x2, w, b), [r(5, 3), r(5, 2), r(4, 3, 2), r(4)]),
    ("flatten", lambda x: F.flatten(x, 1), [r(2, 3, 4)]),
    ("unflatten", lambda x: F.unflatten(x, 1, (2, 3)), [r(4, 6)]),
    ("dropout_fixed_seed", lambda x: F.dropout(x, 0.3, generator=np.random.default_rng(3)), [r(4, 5)]),
    ("embedding", lambda w: F.embedding(EMB_IDX, w), [r(4, 3)]),
    # the padding row gets no gradient by definition: check the others, with the padding row held fixed
    ("embedding_padding", lambda w: F.embedding(EMB_IDX, bnp.concatenate([w[:2], np.ones((1, 3)), w[2:]]),
                                                padding_idx=2), [r(3, 3)]),
    ("batch_norm_train", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [r(6, 3), pos(3), r(3)]),
    ("batch_norm_3d", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [r(4, 3, 5), pos(3), r(3)]),
    ("batch_norm_eval", lambda x, w, b: F.batch_norm(x, np.array([0.1, -0.2, 0.3]), np.array([1.5, 0.5, 2.0]), w, b),
     [r(6, 3), pos(3), r(3)]),
    ("layer_norm", lambda x, w, b: F.layer_norm(x, (5,), w, b), [r(3, 5), pos(5), r(5)]),
    ("group_norm", lambda x, w, b: F.group_norm(x, 2, w, b), [r(3, 4, 5), pos(4), r(4)]),
    ("rms_norm", lambda x, w: F.rms_norm(x, (5,), w), [r(3, 5), pos(5)]),
    ("relu", F.relu, [r(4, 5)]),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), [r(4, 5)]),
    ("prelu", lambda x, w: F.prelu(x, w), [r(5, 4, 3), pos(4) * 0.2]),
    ("elu", lambda x: F.elu(x, 0.5), [r(4, 5)]),
    ("selu", F.selu, [r(4, 5)]),
    ("celu", lambda x: F.celu(x, 0.7), [r(4, 5)]),
    ("gelu", F.gelu, [r(4, 5)]),
    ("gelu_tanh", lambda x: F.gelu(x, "tanh"), [r(4, 5)]),
    ("silu", F.silu, [r(4, 5)]),
    ("silu_beta", lambda x, b: F.silu(x, beta=b), [r(4, 5), np.array(1.7)]),
    ("mish", F.mish, [r(4, 5)]),
    ("softplus", lambda x: F.softplus(x, 2.0, 3.0), [r(4, 5)]),
    ("softsign", F.softsign, [r(4, 5)]),
    ("tanh", F.tanh, [r(4, 5)]),
    ("sigmoid", F.sigmoid, [r(4, 5, scale=3)]),
    ("logsigmoid", F.logsigmoid, [r(4, 5, scale=3)]),
    ("hardtanh", lambda x: F.hardtanh(x, -0.5, 0.8), [r(4, 5)]),
    ("relu6", F.relu6, [r(4, 5, scale=4)]),
    ("hardsigmoid", F.hardsigmoid, [r(4, 5, scale=2)]),
    ("hardswish", F.hardswish, [r(4, 5, scale=2)]),
    ("softmax", lambda x: F.softmax(x, 1), [r(4, 5)]),
    ("log_softmax", lambda x: F.log_softmax(x, -1), [r(4, 5)]),
    ("normalize", lambda x: F.normalize(x, dim=1), [r(4, 5)]),
    # losses
    ("mse_loss", F.mse_loss, [r(5, 4), r(5, 4)]),
    ("l1_loss", F.l1_loss, [r(5, 4), r(5, 4)]),
    ("smooth_l1_loss", lambda a, b: F.smooth_l1_loss(a, b, beta=0.7), [r(5, 4), r(5, 4)]),
    ("huber_loss", lambda a, b: F.huber_loss(a, b, reduction="sum", delta=0.7), [r(5, 4), r(5, 4)]),
    ("cross_entropy", lambda x: F.cross_entropy(x, IDX), [r(5, 4, scale=3)]),
    ("cross_entropy_ignore_weight_smoothing",
     lambda x: F.cross_entropy(x, IDX_IGN, weight=WCLS, label_smoothing=0.1), [r(5, 4, scale=3)]),
    ("cross_entropy_none", lambda x: F.cross_entropy(x, IDX, reduction="none", label_smoothing=0.2), [r(5, 4)]),
    ("cross_entropy_probs", lambda x, p: F.cross_entropy(x, p, label_smoothing=0.1), [r(5, 4), PROBS]),
    ("nll_loss", lambda x: F.nll_loss(x, IDX_IGN, weight=WCLS), [r(5, 4)]),
    ("binary_cross_entropy", lambda p, t: F.binary_cross_entropy(p, t), [T01[::-1].copy(), T01]),
    ("bce_with_logits", lambda x, t, pw: F.binary_cross_entropy_with_logits(x, t, pos_weight=pw),
     [r(5, 4, scale=3), T01, pos(4)]),
    ("kl_div", lambda x, t: F.kl_div(x, t, reduction="batchmean"), [r(5, 4), T01]),
    ("kl_div_log_target", lambda x, t: F.kl_div(x, t, reduction="sum", log_target=True), [r(5, 4), r(5, 4)]),
    ("cosine_similarity", F.cosine_similarity, [r(5, 4), r(5, 4)]),
]


@pytest.mark.parametrize("name,fn,args", LAYERS, ids=[c[0] for c in LAYERS])
def test_gradcheck(name, fn, args):
    assert bc.gradcheck(fn, *args, order=2)


def test_relu_family_exact_at_kinks_through_nn():
    # the module path uses the activation primitives: relu'(0) = 0, not maximum's 0.5
    assert bc.grad(lambda x: bc.nn.ReLU()(x))(0.0) == 0.0
    assert bc.grad(lambda x: bc.nn.LeakyReLU(0.1)(x))(0.0) == 0.1
    assert bc.grad(lambda x: bc.nn.ReLU6()(x))(6.0) == 0.0


def test_prelu_slope_at_zero_is_the_weight():
    assert bc.grad(lambda x: F.prelu(x, np.array([0.25])))(0.0) == 0.25


def test_embedding_padding_row_gets_no_gradient():
    g = bc.grad(lambda w: bnp.sum(F.embedding(EMB_IDX, w, padding_idx=2) ** 2))(r(4, 3))
    assert np.all(g[2] == 0) and np.all(g[[1, 3]] != 0)
