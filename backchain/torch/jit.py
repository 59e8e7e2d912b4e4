"""``torch.jit``: ``trace`` compiles a function with ``backchain.jit`` (guarded: a branch that goes the
other way traces again, where PyTorch would replay the traced one); ``script`` and ``trace`` of a
module return it unchanged; ``ignore``/``unused``/``export`` are the identity decorators."""


def script(obj, *args, **kwargs):
    """``obj`` unchanged: backchain runs eagerly, nothing is compiled.

    >>> import backchain.torch as torch
    >>> model = torch.nn.Linear(2, 2)
    >>> torch.jit.script(model) is model
    True
    """
    return obj


def trace(func, example_inputs=None, *args, **kwargs):
    """``backchain.jit(func)``, traced on ``example_inputs`` (a Tensor or a tuple of them) when given;
    a module is returned unchanged.

    >>> import backchain.torch as torch
    >>> traced = torch.jit.trace(lambda x: x * 2, torch.ones(1))
    >>> traced(torch.tensor([1.0, 3.0]))
    tensor([2., 6.])
    """
    from ..jit import jit
    from ..nn import Module

    if isinstance(func, Module) or not callable(func):
        return func
    compiled = jit(func)
    if example_inputs is not None:
        compiled(*(example_inputs if isinstance(example_inputs, tuple) else (example_inputs,)))
    return compiled


def ignore(fn=None, **kwargs):
    """The identity decorator.

    >>> import backchain.torch as torch
    >>> torch.jit.ignore(len) is len
    True
    """
    return fn if fn is not None else (lambda f: f)


unused = export = ignore


def is_scripting():
    """False: nothing is ever scripted.

    >>> import backchain.torch as torch
    >>> torch.jit.is_scripting()
    False
    """
    return False
