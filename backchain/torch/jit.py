"""``torch.jit``: ``script`` and ``trace`` return the module or function unchanged (backchain runs eagerly);
``ignore``/``unused``/``export`` are the identity decorators."""


def script(obj, *args, **kwargs):
    """``obj`` unchanged: backchain runs eagerly, nothing is compiled.

    >>> import backchain.torch as torch
    >>> model = torch.nn.Linear(2, 2)
    >>> torch.jit.script(model) is model
    True
    """
    return obj


def trace(func, example_inputs=None, *args, **kwargs):
    """``func`` unchanged (nothing is traced).

    >>> import backchain.torch as torch
    >>> f = lambda x: x * 2
    >>> torch.jit.trace(f, torch.ones(1)) is f
    True
    """
    return func


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
