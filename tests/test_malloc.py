"""backchain._core.malloc: glibc's thresholds set at import, unless the environment says otherwise."""
import subprocess
import sys

import pytest

from backchain._core import malloc


def test_the_environment_keeps_its_own_allocator_settings():
    assert "BACKCHAIN_MALLOC=system" in malloc.tune({"BACKCHAIN_MALLOC": "system"})["malloc"]
    assert "MALLOC_MMAP_THRESHOLD_" in malloc.tune({"MALLOC_MMAP_THRESHOLD_": "4096"})["malloc"]
    assert "GLIBC_TUNABLES" in malloc.tune({"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=0"})["malloc"]
    malloc.tune()   # back to the state of an import


@pytest.mark.skipif(malloc._glibc() is None or "left as it is" in malloc.tune()["malloc"],
                    reason="glibc only, and an environment that does not set the allocator itself")
def test_import_sets_the_thresholds_and_large_arrays_reuse_memory():
    assert malloc.STATE["malloc"] == "glibc mmap threshold 32 MiB, trim threshold 64 MiB"
    code = """
import resource, numpy as np{imp}
def step():
    arrays = [np.ones((3 << 20) // 8) for _ in range(10)]   # 30 MiB alive at once, then freed
    del arrays
for k in range(3):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for k in range(10):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""
    run = lambda imp: subprocess.run([sys.executable, "-c", code.format(imp=imp)], capture_output=True, text=True,
                                     check=True).stdout.split()
    assert int(run("")[0]) > 10_000   # plain NumPy: the freed heap top goes back to the system each step
    assert int(run("; import backchain")[0]) < 100   # with backchain imported: used again
