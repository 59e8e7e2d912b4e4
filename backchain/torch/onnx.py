"""``torch.onnx``: importable, so scripts that import it at the top run; ``export`` raises (backchain
has no graph export to ONNX)."""


def export(model, args=None, f=None, *more, **kwargs):
    """Raises: backchain cannot export to ONNX.

    >>> import backchain.torch as torch
    >>> torch.onnx.export(torch.nn.Linear(2, 2), (torch.ones(1, 2),), "model.onnx")
    Traceback (most recent call last):
    RuntimeError: torch.onnx.export: backchain cannot export models to ONNX; ...
    """
    raise RuntimeError("torch.onnx.export: backchain cannot export models to ONNX; save the weights with "
                       "torch.save(model.state_dict(), path) and load them into a PyTorch model to export from there")
