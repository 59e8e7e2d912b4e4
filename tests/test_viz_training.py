"""Training pictures (history, gradient flow, kink hits, activations) and the callbacks that record them."""
import math
import subprocess
import sys

import numpy as np
import pytest

import backchain as bc
import backchain.nn as nn

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def needs_matplotlib():
    return pytest.importorskip("matplotlib")


def _svg(path):
    text = path.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    return text


def _png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 5000
    return data


def _toy(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(96, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    return x, y


def _mlp():
    bc.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 2))


def _fit(model, callbacks, epochs=3, validation=True):
    x, y = _toy()
    return bc.fit(model, (x[:64], y[:64]), "cross_entropy", bc.optim.Adam(model.parameters(), lr=0.01),
                  epochs=epochs, validation=(x[64:], y[64:]) if validation else None, callbacks=callbacks,
                  verbose=0, seed=0, batch_size=16)


# -- History.plot ------------------------------------------------------------------------
def test_history_plot_writes_png_and_svg_with_both_curves(tmp_path):
    needs_matplotlib()
    history = _fit(_mlp(), [])
    fig = history.plot(tmp_path / "h.png")
    _png(tmp_path / "h.png")
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["loss", "accuracy"]
    history.plot(tmp_path / "h.svg")
    text = _svg(tmp_path / "h.svg")
    for word in ("epoch", "loss", "accuracy", "training", "validation"):
        assert word in text
    lines = fig.axes[0].get_lines()
    assert [l.get_label() for l in lines] == ["training", "validation"]
    np.testing.assert_allclose(lines[0].get_ydata(), history["loss"])
    np.testing.assert_allclose(lines[1].get_ydata(), history["val_loss"])


def test_history_plot_chooses_metrics_and_names_missing_ones(tmp_path):
    needs_matplotlib()
    h = bc.History()
    for e in (1, 2, 3):
        h.append(e, {"loss": 1.0 / e, "accuracy": 0.5 + 0.1 * e, "lr": 0.1})
    fig = h.plot(metrics=["loss"])
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["loss"]
    assert len(fig.axes[0].get_lines()) == 1  # no validation values: one curve
    fig = h.plot(metrics="lr")
    assert fig.axes[0].get_title() == "lr"
    with pytest.raises(KeyError, match="val_acc"):
        h.plot(metrics=["val_acc"])
    with pytest.raises(ValueError, match=r"\.png, \.svg"):
        h.plot(tmp_path / "curves.txt")
    with pytest.raises(ValueError, match="no epochs"):
        bc.History().plot()
    # a plain dict works as well
    fig = bc.viz.plot_history({"loss": [3.0, 2.0], "val_loss": [3.5, 2.5]})
    assert [l.get_label() for l in fig.axes[0].get_lines()] == ["training", "validation"]


def test_missing_matplotlib_names_the_extra(monkeypatch):
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)
    h = bc.History()
    h.append(1, {"loss": 1.0})
    with pytest.raises(ImportError, match=r"pip install 'backchain\[plot\]'"):
        h.plot()
    with pytest.raises(ImportError, match="gradient_flow"):
        bc.viz.gradient_flow({"a": [1.0]})


def test_importing_backchain_does_not_import_matplotlib():
    code = "import sys, backchain, backchain.viz, backchain.train; print('matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# -- GradientFlow --------------------------------------------------------------------------
def test_gradient_flow_records_one_norm_per_layer_and_epoch():
    flow = bc.train.GradientFlow()
    _fit(_mlp(), [flow], epochs=3)
    assert list(flow.records) == ["0 (Linear)", "2 (Linear)", "4 (Linear)"]
    assert all(len(v) == 3 and all(x > 0 and math.isfinite(x) for x in v) for v in flow.records.values())


def test_gradient_flow_norms_are_the_norms_of_the_gradients():
    model = _mlp()
    x, y = _toy()
    bc.nn.functional.cross_entropy(model(x), y).backward()
    norms = bc.train.GradientFlow().norms(model)
    expected = math.sqrt(np.sum(model[2].weight.grad.astype(np.float64) ** 2)
                         + np.sum(model[2].bias.grad.astype(np.float64) ** 2))
    assert norms["2 (Linear)"] == pytest.approx(expected, rel=1e-12)
    by_param = bc.train.GradientFlow(by="parameter").norms(model)
    assert list(by_param)[:2] == ["0.weight", "0.bias"]
    assert by_param["4.bias"] == pytest.approx(np.linalg.norm(model[4].bias.grad.astype(np.float64)))


def test_gradient_flow_per_batch_counts_every_batch_and_marks_no_gradient_as_zero():
    model = _mlp()
    model[0].weight.requires_grad_(False)
    model[0].bias.requires_grad_(False)
    flow = bc.train.GradientFlow(every="batch")
    x, y = _toy()
    bc.fit(model, (x[:64], y[:64]), "cross_entropy", bc.optim.SGD([p for p in model.parameters()
                                                                    if p.requires_grad], lr=0.1),
           epochs=2, callbacks=[flow], verbose=0, seed=0, batch_size=16)
    assert all(len(v) == 8 for v in flow.records.values())  # 4 batches x 2 epochs
    assert flow.records["0 (Linear)"] == [0.0] * 8


def test_gradient_flow_sees_vanishing_gradients_in_a_deep_sigmoid_network():
    bc.manual_seed(0)
    layers = [nn.Linear(4, 16), nn.Sigmoid()]
    for _ in range(6):
        layers += [nn.Linear(16, 16), nn.Sigmoid()]
    model = nn.Sequential(*layers, nn.Linear(16, 2))
    flow = bc.train.GradientFlow()
    _fit(model, [flow], epochs=1, validation=False)
    first, last = flow.records["0 (Linear)"][-1], flow.records["14 (Linear)"][-1]
    assert first < 1e-3 * last


def test_gradient_flow_state_survives_a_checkpoint(tmp_path):
    flow = bc.train.GradientFlow()
    model = _mlp()
    _fit(model, [flow, bc.train.ModelCheckpoint(tmp_path / "ckpt.safetensors")], epochs=2)
    again = bc.train.GradientFlow()
    again.load_state_dict(bc.load(tmp_path / "ckpt.safetensors")["callbacks"][0])
    assert again.records == flow.records
    with pytest.raises(ValueError, match="every"):
        bc.train.GradientFlow(every="step")


def test_gradient_flow_picture(tmp_path):
    needs_matplotlib()
    flow = bc.train.GradientFlow()
    _fit(_mlp(), [flow], epochs=3)
    fig = bc.viz.gradient_flow(flow, tmp_path / "flow.png")
    _png(tmp_path / "flow.png")
    left, right = fig.axes[:2]
    assert left.get_yscale() == "log" and right.get_yscale() == "log"
    assert [l.get_label() for l in left.get_lines()] == list(flow.records)
    bc.viz.gradient_flow(flow, tmp_path / "flow.svg")
    text = _svg(tmp_path / "flow.svg")
    for word in ("gradient norm", "epoch", "0 (Linear)", "4 (Linear)"):
        assert word in text


def test_gradient_flow_marks_vanishing_bands_and_zero_gradients(tmp_path):
    needs_matplotlib()
    data = [{"in": 1e-9, "out": 0.5}, {"in": 0.0, "out": 0.4}, {"out": 0.3}]
    fig = bc.viz.gradient_flow(data, tmp_path / "flow.svg", vanish=1e-7)
    text = _svg(tmp_path / "flow.svg")
    assert "vanishing" in text and "exploding" not in text
    left = fig.axes[0]
    zero_marks = [l for l in left.get_lines() if l.get_marker() == "v"]
    assert len(zero_marks) == 1 and zero_marks[0].get_xdata().tolist() == [2]
    with pytest.raises(TypeError, match="gradient_flow"):
        bc.viz.gradient_flow([1.0, 2.0])
    with pytest.raises(ValueError, match="nothing was recorded"):
        bc.viz.gradient_flow({})


# -- kink hits -------------------------------------------------------------------------------
def test_kink_hits_takes_a_mapping_or_one_mapping_per_epoch(tmp_path):
    needs_matplotlib()
    per_layer = {"1 (ReLU)": [30, 8, 2], "3 (MaxPool2d)": [4, 0, 0], "5 (ReLU)": [0, 0, 0]}
    per_epoch = [{"1 (ReLU)": 30, "3 (MaxPool2d)": 4}, {"1 (ReLU)": 8, "5 (ReLU)": 0}, {"1 (ReLU)": 2}]
    a = bc.viz.kink_hits(per_layer, tmp_path / "a.png")
    b = bc.viz.kink_hits(per_epoch, tmp_path / "b.svg")
    _png(tmp_path / "a.png")
    text = _svg(tmp_path / "b.svg")
    for word in ("kinks hit", "epoch", "1 (ReLU)", "3 (MaxPool2d)", "no kink hit"):
        assert word in text
    for fig in (a, b):
        lines = fig.axes[0].get_lines()
        assert [l.get_ydata().tolist() for l in lines] == [[30, 8, 2], [4, 0, 0], [0, 0, 0]]
        assert fig.axes[1].images[0].get_array().tolist() == [[30, 8, 2], [4, 0, 0], [0, 0, 0]]
    assert "5 (ReLU)" in a.get_suptitle() and "1 (ReLU)" not in a.get_suptitle()


def test_kink_hits_takes_an_object_with_records_and_rejects_negative_counts():
    needs_matplotlib()

    class Counter:
        every = "batch"
        records = {"relu": [3, 1]}

    fig = bc.viz.kink_hits(Counter())
    assert fig.axes[0].get_xlabel() == "batch"
    with pytest.raises(ValueError, match="negative"):
        bc.viz.kink_hits({"relu": [1, -1]})


# -- activations ---------------------------------------------------------------------------
def test_activation_stats_records_training_outputs_only():
    stats = bc.train.ActivationStats(max_values=100)
    _fit(_mlp(), [stats], epochs=2)  # 64 training samples, validation 32 more
    assert sorted(stats.values) == ["0 (Linear)", "1 (ReLU)", "2 (Linear)", "3 (Tanh)", "4 (Linear)"]
    assert stats._count["1 (ReLU)"] == 64 * 8  # the last epoch's training passes, no validation
    assert all(v.size == 100 for v in stats.values.values())
    assert list(stats.history) == list(stats.fraction_zero) and len(stats.history["1 (ReLU)"]) == 2
    assert stats.fraction_zero["0 (Linear)"] == 0.0
    assert not stats._handles  # hooks removed at the end of training


def test_activation_stats_counts_zeros_exactly_and_samples_real_values():
    model = _mlp()
    x, _ = _toy()
    stats = bc.train.ActivationStats(layers=[nn.ReLU], max_values=50).attach(model)
    for chunk in np.split(x, 4):
        model(chunk)
    stats.detach()
    model(x)  # detached: not counted
    with bc.no_grad():
        relu = np.maximum(model[0](x).data, 0)
    assert list(stats.values) == ["1 (ReLU)"]
    assert stats.fraction_zero["1 (ReLU)"] == pytest.approx(np.mean(relu == 0))
    assert stats.values["1 (ReLU)"].size == 50
    assert np.isin(stats.values["1 (ReLU)"], relu.astype(np.float64)).all()
    by_name = bc.train.ActivationStats(layers=["3"]).attach(model)
    model(x)
    assert list(by_name.values) == ["3 (Tanh)"] and by_name.values["3 (Tanh)"].size == x.shape[0] * 8
    with pytest.raises(KeyError, match="no layer"):
        bc.train.ActivationStats(layers=["7"]).attach(model)


def test_activation_stats_sample_is_uniform_over_batches():
    stats = bc.train.ActivationStats(max_values=2000, seed=1)
    for k in range(10):
        stats.add("layer", np.full(1000, float(k)))
    counts = np.bincount(stats.values["layer"].astype(int), minlength=10)
    assert counts.sum() == 2000 and counts.min() > 140 and counts.max() < 260


def test_activation_histograms_picture(tmp_path):
    needs_matplotlib()
    stats = bc.train.ActivationStats()
    _fit(_mlp(), [stats], epochs=2)
    fig = bc.viz.activation_histograms(stats, tmp_path / "act.png")
    _png(tmp_path / "act.png")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 5
    relu_zeros = 100 * stats.fraction_zero["1 (ReLU)"]
    assert visible[1].get_title().startswith("1 (ReLU)\nzeros " + f"{relu_zeros:.1f}%")
    bc.viz.activation_histograms({"a": np.arange(10.0), "b": bc.tensor(np.ones(4))}, tmp_path / "act.svg", bins=5)
    text = _svg(tmp_path / "act.svg")
    assert "activation value" in text and "zeros 10.0%" in text and "zeros 0.0%" in text
    with pytest.raises(TypeError, match="activation_histograms"):
        bc.viz.activation_histograms([1, 2, 3])
