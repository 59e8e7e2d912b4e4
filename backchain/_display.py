"""Whether a table should be printed, or left to the interactive prompt to show."""
import sys


def interactive():
    """True at a Python or IPython prompt and in a Jupyter kernel: there the value an expression
    returns is shown, so a function that returns a table must not also print it."""
    if hasattr(sys, "ps1"):
        return True
    ipython = sys.modules.get("IPython")
    return ipython is not None and getattr(ipython, "get_ipython", lambda: None)() is not None


def should_print(flag):
    """``flag`` (the caller's ``verbose``/not ``quiet``) where given; else print unless interactive."""
    return (not interactive()) if flag is None else bool(flag)
