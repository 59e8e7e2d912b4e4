"""W6: resident memory of W1 — peak after 50 steps, and the RSS over 2,000 steps (flat or growing).

The figure is the process's peak RSS after 50 W1 steps, in MB, interpreter and
imported libraries included; the ratio compares it with the hand-written NumPy
process. The current RSS is sampled every 100 steps up to
2,000 (Linux: /proc/self/statm) and reported as first / last / largest.
"""
import os
import resource
import sys

from . import Workload
from . import w1_mlp


def peak_rss_mb():
    """The peak resident set size of this process so far, in MB.

    On Linux this is VmHWM from /proc/self/status: ``getrusage``'s ru_maxrss
    survives fork + exec, so a child started by a runner that holds 200 MB
    would report at least 200 MB. Elsewhere, ``resource.getrusage``.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 2**10
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def current_rss_mb():
    """The resident set size now, in MB (the peak where /proc is missing)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return peak_rss_mb()


def measure(workload, case, size, steps, warmup, quick=False, budget=None, extras=True):
    first = 10 if quick else 50
    total = 40 if quick else 2000
    every = 10 if quick else 100
    for _ in range(first):
        case.step()
    peak = peak_rss_mb()
    trace = [(first, current_rss_mb())]
    for k in range(first + 1, total + 1):
        case.step()
        if k % every == 0:
            trace.append((k, current_rss_mb()))
    rss = [r for _, r in trace]
    return {
        "samples": [peak],
        "extra": {
            "peak_after_steps": first,
            "rss_trace": trace,
            "rss_first_mb": rss[0],
            "rss_last_mb": rss[-1],
            "rss_max_mb": max(rss),
            "rss_steps": total,
        },
    }


WORKLOAD = Workload(
    name="W6",
    title="peak RSS after 50 W1 steps (MB); RSS over 2,000 W1 steps",
    unit="MB",
    make=w1_mlp.make,
    impls=("numpy", "backchain", "torch", "jax", "autograd"),
    size=128,
    smoke_size=8,
    steps=0,
    warmup=0,
    quick_steps=0,
    quick_warmup=0,
    measure=measure,
    check=False,  # the same code as W1, which checks its gradients
)
