"""The gradient read-out and SGD step shared by the autodiff implementations of the workloads:
a class defines ``_loss()``, ``params`` and ``lr``; these give it ``grads()`` and ``step()``."""


class BackchainSGD:
    def grads(self):
        self._loss().backward()
        out = [p.grad.copy() for p in self.params]
        for p in self.params:
            p.grad = None
        return out

    def step(self):
        self._loss().backward()
        for p in self.params:  # p.data is an ndarray: the update records nothing
            p.data -= self.lr * p.grad
            p.grad = None


class TorchSGD:
    def grads(self):
        self._loss().backward()
        out = [p.grad.numpy().copy() for p in self.params]
        for p in self.params:
            p.grad = None
        return out

    def step(self):
        import torch

        self._loss().backward()
        with torch.no_grad():
            for p in self.params:
                p -= self.lr * p.grad
                p.grad = None
