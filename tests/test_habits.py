"""Habits users bring from PyTorch and the REPL: formatting and converting one-element tensors,
round(), and dir() showing what the modules offer."""
import numpy as np
import pytest
import torch

import backchain as bc


@pytest.mark.parametrize("value", [0.246912, [3.7], [[-2.5]]])
def test_one_element_tensors_convert_and_format_as_in_torch(value):
    t, tt = bc.tensor(value, requires_grad=True) * 1.0, torch.tensor(value, dtype=torch.float64)
    v = tt.item()  # torch formats 0-d tensors only; backchain any one-element tensor, as float() does
    assert f"{t:.4f}" == f"{v:.4f}" and f"{t:+.1e}" == f"{v:+.1e}"
    assert float(t) == float(tt) and int(t) == int(tt) and complex(t) == complex(tt)


def test_many_element_tensors_refuse_to_become_one_number():
    t = bc.tensor([1.0, 2.0])
    for convert in (float, int, lambda t: f"{t:.2f}"):
        with pytest.raises(TypeError, match=r"one-element tensor.*shape \(2,\)"):
            convert(t)
    assert f"{t}" == str(t)  # an empty format spec is str()


def test_round_gives_a_tensor_rounded_half_to_even_without_gradient():
    t = bc.tensor([0.125, 2.5, -1.55])
    np.testing.assert_array_equal(round(t, 2).data, np.round(t.data, 2))
    np.testing.assert_array_equal(round(t).data, [0.0, 2.0, -2.0])
    assert float(bc.grad(lambda x: round(x * 3, 1) + x)(1.2)) == 1.0


def test_dir_shows_lazily_loaded_names_and_hides_imports():
    assert {"fit", "nn", "optim", "data", "save", "load", "distributed"} <= set(dir(bc))
    assert not {"np", "sys", "time"} & set(dir(bc.train))
    assert {"fit", "History", "EarlyStopping"} <= set(dir(bc.train))


def _run(code, interactive):
    import subprocess
    import sys
    prefix = "import sys; sys.ps1 = '>>> '\n" if interactive else ""
    return subprocess.run([sys.executable, "-c", prefix + code], capture_output=True, text=True, check=True).stdout


TABLES = """
import numpy as np, backchain as bc
model = bc.nn.Sequential(bc.nn.Linear(3, 2), bc.nn.ReLU())
s = bc.summary(model, (1, 3))
r = bc.check.layers(model, np.ones((4, 3), np.float32))
"""


def test_tables_print_in_scripts_and_are_left_to_the_prompt_interactively():
    printed = _run(TABLES, interactive=False)
    assert printed.count("Total params") == 1 and printed.count("all layer gradients agree") == 1
    assert _run(TABLES, interactive=True) == ""  # the prompt shows the returned object once


def test_pictures_display_inline_and_with_pyplot():
    code = """
import sys, backchain as bc
from backchain.viz.training import plot_history
fig = plot_history({"loss": [1.0, 0.5], "val_loss": [1.2, 0.6]})
print(fig._repr_png_()[:4] == b"\\x89PNG", "matplotlib.pyplot" in sys.modules)
import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
plot_history({"loss": [1.0, 0.5]})
print(plt.get_fignums())
"""
    assert _run(code, interactive=False).split("\n")[:2] == ["True False", "[1]"]


def test_graph_shows_inline_as_svg():
    import shutil
    t = bc.tensor([1.0, 2.0], requires_grad=True)
    svg = bc.viz.graph((t * 2).sum())._repr_svg_()
    if shutil.which("dot") is None:
        assert svg is None  # the repr shows instead
    else:
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg


FIT = """
import os, signal, numpy as np, backchain as bc
rng = np.random.default_rng(0)
x, y = rng.normal(size=(64, 3)).astype(np.float32), rng.integers(0, 2, 64)
model = bc.nn.Sequential(bc.nn.Linear(3, 2))
opt = bc.optim.SGD(model.parameters(), lr=0.1)

class CtrlC(bc.train.Callback):
    def on_batch_end(self, batch, logs=None):
        if self.trainer.epochs_done == 1 and batch == 2:
            os.kill(os.getpid(), signal.SIGINT)  # as a terminal's Ctrl-C

h = bc.fit(model, (x, y), loss="cross_entropy", optimizer=opt, epochs=3, batch_size=16, callbacks=[CtrlC()],
           metrics=["accuracy"], verbose={verbose})
print("returned", h.epoch, h.interrupted)
"""


@pytest.mark.parametrize("verbose", [1, 2])
def test_ctrl_c_stops_fit_after_the_step_and_returns_the_history(verbose):
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-c", FIT.replace("{verbose}", str(verbose))], capture_output=True,
                          text=True, timeout=120)
    out = done.stdout + done.stderr
    assert done.returncode == 0 and "Traceback" not in out, out
    assert out.count("interrupted in epoch 2, step 3") == 1
    assert "returned [1] (2, 3)" in done.stdout
    stream = done.stderr if verbose == 1 else done.stdout.rsplit("returned", 1)[0]  # the bar draws on stderr
    assert stream.rstrip().endswith("the history holds the 1 epochs done")  # nothing drawn after it


def test_the_bar_keeps_every_metric_at_80_columns():
    import subprocess
    import sys
    code = FIT.replace("callbacks=[CtrlC()],", "callbacks=[], validation=(x, y),").replace("{verbose}", "1")
    env = dict(__import__("os").environ, COLUMNS="80")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    last = [line for line in done.stderr.replace("\r", "\n").split("\n") if line.startswith("Epoch 3/3  ")]
    assert last and all(k in last[-1] for k in ("loss", "accuracy", "val_loss", "val_accuracy")), done.stderr
    live = [line for line in done.stderr.replace("\r", "\n").split("\n") if "|" in line]
    assert live and max(len(line.rstrip()) for line in live) <= 80, live


def test_fit_takes_optimizer_names_and_validation_split_as_keras_does():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(50, 3)).astype(np.float32), rng.integers(0, 2, 50)
    for name, cls in (("adam", bc.optim.Adam), ("SGD", bc.optim.SGD), ("rmsprop", bc.optim.RMSprop)):
        bc.manual_seed(0)
        model = bc.nn.Linear(3, 2)
        h = bc.fit(model, (x, y), "cross_entropy", name, epochs=1, validation_split=0.2, verbose=0, seed=0)
        bc.manual_seed(0)
        twin = bc.nn.Linear(3, 2)
        ref = bc.fit(twin, (x[:40], y[:40]), "cross_entropy", cls(twin.parameters()), epochs=1,
                     validation=(x[40:], y[40:]), verbose=0, seed=0)
        assert h.history == ref.history
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'.*'adam'"):
        bc.fit(bc.nn.Linear(3, 2), (x, y), "cross_entropy", "adamm", verbose=0)
    with pytest.raises(ValueError, match="not both"):
        bc.fit(bc.nn.Linear(3, 2), (x, y), "cross_entropy", "adam", validation=(x, y), validation_split=0.1)


def test_summary_infers_what_the_first_layer_fixes_and_shows_single_layers():
    nn = bc.nn
    s = bc.summary(nn.Sequential(nn.Linear(784, 10), nn.ReLU()), verbose=0)
    assert s.input_shape == (1, 784) and s.output_shape == (1, 10)
    e = bc.summary(nn.Sequential(nn.Embedding(100, 8), nn.Flatten(), nn.Linear(40, 2)), (2, 5), verbose=0)
    assert e.rows[0][3] == (2, 5, 8) and e.total_params == 882
    lstm = bc.summary(nn.LSTM(4, 8), (5, 2, 4), verbose=0)
    assert [r[1] for r in lstm.rows] == ["LSTM"] and lstm.rows[0][4] == 448
    with pytest.raises(TypeError, match="give input_shape.*Conv2d"):
        bc.summary(nn.Sequential(nn.Conv2d(1, 3, 3)))
    with pytest.raises(ValueError, match=r"zeros of shape \[2, 5\] and dtype float32.*give the input_shape"):
        bc.summary(nn.Sequential(nn.Linear(4, 3)), (2, 5))


def test_models_say_they_run_on_the_cpu_and_refuse_torch_tensors_clearly():
    m = bc.nn.Sequential(bc.nn.Linear(2, 1))
    for move in (lambda: m.to("cuda"), lambda: m.cuda(), lambda: m.to("mps"), lambda: m.to(device="cuda:1")):
        with pytest.raises(RuntimeError, match="backchain runs on the CPU"):
            move()
    assert m.to("cpu") is m and m.to(torch.device("cpu")) is m
    with pytest.raises(TypeError, match=r"Sequential: got a torch Tensor \(shape \(3, 2\)\).*numpy\(\)"):
        m(torch.ones(3, 2))
    assert m(np.ones((3, 2), np.float32)).shape == (3, 1)
