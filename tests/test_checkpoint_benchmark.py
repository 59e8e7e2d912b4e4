"""The checkpoint memory benchmark runs (tiny sizes) and its checkpointed gradients agree."""
import importlib.util
import pathlib

PATH = pathlib.Path(__file__).resolve().parent.parent / "benchmarks" / "checkpoint_memory.py"


def test_checkpoint_memory_benchmark_runs(capsys):
    spec = importlib.util.spec_from_file_location("checkpoint_memory", PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    rows = mod.main(["--depth", "16", "--width", "32", "--batch", "64"])
    assert [r[0] for r in rows][0] == "store all activations" and len(rows) == 3
    assert rows[2][1] < rows[0][1]  # blocks of 8 layers need less memory than storing all
