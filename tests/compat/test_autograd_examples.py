"""Whole programs in autograd's style (from its examples' patterns), run with autograd and backchain.autograd."""
import importlib

import numpy as onp
import pytest
import scipy.optimize

from ._oracle import check

rng = onp.random.default_rng(4)
INPUTS = rng.standard_normal((20, 3))
TARGETS = (INPUTS @ onp.array([1.0, -2.0, 0.5]) + 0.3 * rng.standard_normal(20) > 0).astype(float)


def logistic_regression(ag, np):
    optimizers = importlib.import_module(ag.__name__ + ".misc.optimizers")

    def sigmoid(x):
        return 0.5 * (np.tanh(x / 2.0) + 1)

    def training_loss(weights, i):
        preds = sigmoid(np.dot(INPUTS, weights["w"]) + weights["b"])
        label_probabilities = preds * TARGETS + (1 - preds) * (1 - TARGETS)
        return -np.sum(np.log(label_probabilities))

    losses = []
    w = optimizers.adam(ag.grad(training_loss), {"w": onp.zeros(3), "b": 0.0}, step_size=0.1, num_iters=50,
                        callback=lambda w, i, g: losses.append(training_loss(w, i)))
    return w, losses


def neural_net(ag, np):
    flatten = importlib.import_module(ag.__name__ + ".misc").flatten
    layer_sizes = [3, 8, 4, 1]
    params = [(0.3 * onp.random.RandomState(k).randn(m, n), 0.1 * onp.ones(n))
              for k, (m, n) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]))]

    def predict(params, inputs):
        for W, b in params:
            outputs = np.dot(inputs, W) + b
            inputs = np.tanh(outputs)
        return outputs

    def log_posterior(params, inputs, targets, l2=0.1):
        log_prior = -l2 * np.sum(flatten(params)[0] ** 2)
        return log_prior - np.sum((predict(params, inputs)[:, 0] - targets) ** 2)

    g = ag.grad(log_posterior)(params, INPUTS, TARGETS)
    flat, unflatten = flatten(params)
    hvp = ag.hessian_vector_product(lambda f: log_posterior(unflatten(f), INPUTS, TARGETS))(flat, onp.ones_like(flat))
    return g, hvp


def gaussian_process(ag, np):
    x = onp.linspace(-2, 2, 8)
    y = onp.sin(x) + 0.1 * onp.cos(3 * x)

    def log_marginal_likelihood(params):
        log_amp, log_len, log_noise = params
        d = (x[:, None] - x[None, :]) / np.exp(log_len)
        K = np.exp(log_amp) * np.exp(-0.5 * d ** 2) + (np.exp(log_noise) + 1e-6) * np.eye(len(x))
        sign, logdet = np.linalg.slogdet(K)
        return -0.5 * np.dot(y, np.linalg.solve(K, y)) - 0.5 * logdet

    objective = lambda p: -log_marginal_likelihood(p)  # noqa: E731
    res = scipy.optimize.minimize(ag.value_and_grad(objective), onp.array([0.0, 0.0, -2.0]), jac=True,
                                  method="BFGS", options={"maxiter": 15})
    return res.x, ag.hessian(objective)(res.x)


def rnn_like(ag, np):
    def step(h, x, W, U):
        return np.tanh(np.dot(h, W) + x * U)

    def loss(W, U):
        h = np.zeros(4)
        hs = []
        for t in range(6):
            h = step(h, onp.sin(t), W, U)
            hs.append(h)
        return np.sum(np.concatenate(hs) ** 2) + np.sum(np.array(hs)[:, 0])

    W = 0.5 * onp.random.RandomState(0).randn(4, 4)
    return ag.grad(loss, (0, 1))(W, onp.ones(4)), ag.make_hvp(loss)(W, onp.ones(4))[0](W)


@pytest.mark.parametrize("program", [logistic_regression, neural_net, gaussian_process, rnn_like])
def test_program_same_as_autograd(program):
    check(program)
