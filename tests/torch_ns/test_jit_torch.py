"""bc.jit of PyTorch-style training steps written with backchain.torch: the same losses and parameters
as the eager steps, step after step."""
import copy

import numpy as np
import pytest

import backchain as bc
import backchain.torch as torch


@pytest.mark.parametrize("update", ["data_add", "optimizer"])
def test_a_jitted_torch_training_step_equals_eager(update):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    x, y = torch.randn(8, 3), torch.randn(8, 1)

    def make_step(m):
        opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9) if update == "optimizer" else None

        def step(x, y):
            loss = torch.nn.functional.mse_loss(m(x), y)
            m.zero_grad()
            loss.backward()
            if opt is None:
                for p in m.parameters():
                    p.data.add_(p.grad, alpha=-0.1)  # the tutorials' manual SGD step
            else:
                opt.step()
            return loss
        return step

    eager_model = copy.deepcopy(model)
    jitted, eager = bc.jit(make_step(model)), make_step(eager_model)
    for _ in range(6):
        assert float(jitted(x, y)) == float(eager(x, y))
    for p, q in zip(model.parameters(), eager_model.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
