"""fit / evaluate / predict, callbacks, resume bit for bit, and summary, on a small stand-in model."""
import sys
import types

import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp
from backchain import optim
from backchain.data import DataLoader, TensorDataset
from backchain.optim import lr_scheduler as ls
from backchain.train import EarlyStopping, ModelCheckpoint, Callback, accuracy

from ._toy_model import ToyMLP, blobs, cross_entropy


def split_blobs():
    x, y = blobs(300)
    return (x[:240], y[:240]), (x[240:], y[240:])


def test_fit_reduces_the_loss_and_learns():
    (x, y), val = split_blobs()
    model = ToyMLP()
    before = bc.evaluate(model, val, cross_entropy)
    history = bc.fit(model, (x, y), cross_entropy, optim.Adam(model.parameters(), lr=0.05), epochs=8,
                     validation=val, verbose=0, seed=0)
    assert isinstance(history, bc.History) and history.epoch == list(range(1, 9))
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["val_loss"][-1] < 0.5 * before["loss"]
    assert history["val_accuracy"][-1] >= 0.95
    d = history.to_dict()
    assert set(d) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr"} and len(d["loss"]) == 8
    after = bc.evaluate(model, val, cross_entropy)
    assert after["loss"] == pytest.approx(history["val_loss"][-1])


def test_fit_with_a_dataloader_and_a_per_epoch_scheduler():
    (x, y), _ = split_blobs()
    model = ToyMLP()
    opt = optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    sched = ls.StepLR(opt, step_size=2, gamma=0.5)
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, seed=0)
    history = bc.fit(model, loader, cross_entropy, opt, epochs=5, scheduler=sched, verbose=0)
    assert history["lr"] == [0.2, 0.2, 0.1, 0.1, 0.05]
    assert history["accuracy"][-1] > 0.9


def test_per_batch_and_plateau_schedulers_are_stepped_at_the_right_time():
    (x, y), val = split_blobs()
    model = ToyMLP()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loader = DataLoader(TensorDataset(x, y), batch_size=40, shuffle=True, seed=0)
    sched = ls.OneCycleLR(opt, max_lr=0.5, epochs=3, steps_per_epoch=len(loader))
    bc.fit(model, loader, cross_entropy, opt, epochs=3, scheduler=sched, verbose=0)
    assert sched.last_epoch == 18
    opt = optim.SGD(model.parameters(), lr=0.1)
    plateau = ls.ReduceLROnPlateau(opt, patience=0, factor=0.5, mode="max", threshold=10.0)
    bc.fit(model, loader, cross_entropy, opt, epochs=3, scheduler=plateau, validation=val, verbose=0)
    assert plateau.last_epoch == 3 and opt.param_groups[0]["lr"] == 0.1 * 0.5 ** 2


def test_string_losses_are_looked_up_in_nn_functional(monkeypatch):
    calls = []

    def fake_cross_entropy(out, target):
        calls.append(out.shape)
        return cross_entropy(out, target)

    functional = types.ModuleType("backchain.nn.functional")
    functional.cross_entropy = fake_cross_entropy
    functional.mse_loss = lambda out, target: bnp.mean((out - target) ** 2)
    nn = types.ModuleType("backchain.nn")
    nn.functional = functional
    monkeypatch.setitem(sys.modules, "backchain.nn", nn)
    monkeypatch.setitem(sys.modules, "backchain.nn.functional", functional)
    (x, y), _ = split_blobs()
    model = ToyMLP()
    bc.fit(model, (x, y), "cross_entropy", optim.SGD(model.parameters(), lr=0.1), epochs=1, verbose=0, seed=0)
    assert calls and calls[0] == (32, 3)
    target = np.zeros((240, 3))
    h = bc.fit(model, (x, target), "mse", optim.SGD(model.parameters(), lr=0.1), epochs=1, metrics=(), verbose=0)
    assert set(h.history) == {"loss", "lr"}
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        bc.fit(model, (x, y), "hinge", optim.SGD(model.parameters(), lr=0.1), verbose=0)


def test_bad_arguments_fail_before_training():
    model = ToyMLP()
    opt = optim.SGD(model.parameters(), lr=0.1)
    (x, y), _ = split_blobs()
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        bc.fit(model, (x, y), cross_entropy, opt, metrics=("f1",), verbose=0)
    with pytest.raises(TypeError, match="one-shot iterator"):
        bc.fit(model, iter([(x, y)]), cross_entropy, opt, verbose=0)
    with pytest.raises(TypeError, match=r"each batch should be \(inputs, targets\)"):
        bc.fit(model, [x[:4]], cross_entropy, opt, verbose=0)
    with pytest.raises(TypeError, match="must return a scalar Tensor"):
        bc.fit(model, (x, y), lambda out, t: 1.0, opt, verbose=0)


def test_accuracy_metric():
    assert accuracy(np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]), np.array([1, 0, 0])) == pytest.approx(2 / 3)
    assert accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([[0, 1], [0, 1]])) == 0.5
    assert accuracy(np.array([[2.0], [-1.0], [0.5]]), np.array([1, 0, 0])) == pytest.approx(2 / 3)


def test_custom_metric_and_callback_hooks():
    (x, y), val = split_blobs()
    events = []

    class Recorder(Callback):
        def on_train_begin(self, logs=None):
            events.append("begin")

        def on_epoch_end(self, epoch, logs=None):
            events.append((epoch, sorted(logs)))

        def on_train_end(self, logs=None):
            events.append("end")

    def top_value(out, target):
        return float(np.mean(out.max(axis=1)))

    model = ToyMLP()
    bc.fit(model, (x, y), cross_entropy, optim.SGD(model.parameters(), lr=0.1), epochs=2, validation=val,
           metrics=("accuracy", top_value), callbacks=[Recorder()], verbose=0, seed=0)
    keys = ["accuracy", "loss", "lr", "top_value", "val_accuracy", "val_loss", "val_top_value"]
    assert events == ["begin", (0, keys), (1, keys), "end"]


def test_early_stopping_and_restore_best_weights():
    (x, y), val = split_blobs()
    model = ToyMLP()
    seen = []

    class Spy(Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(logs["val_loss"])

    stop = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    # a learning rate this large makes the validation loss go up, so training stops early
    history = bc.fit(model, (x, y), cross_entropy, optim.SGD(model.parameters(), lr=30.0), epochs=50,
                     validation=val, callbacks=[Spy(), stop], verbose=0, seed=0)
    assert len(history) < 50 and stop.stopped_epoch == len(history)
    assert stop.best == min(seen) and stop.best_epoch == int(np.argmin(seen)) + 1
    assert bc.evaluate(model, val, cross_entropy)["loss"] == pytest.approx(min(seen))
    with pytest.raises(KeyError, match="monitor='val_loss' is not among"):
        bc.fit(model, (x, y), cross_entropy, optim.SGD(model.parameters(), lr=0.1), epochs=1,
               callbacks=[EarlyStopping()], verbose=0)


def test_model_checkpoint_best_only_and_weights_only(tmp_path):
    (x, y), val = split_blobs()
    model = ToyMLP()
    ckpt = ModelCheckpoint(tmp_path / "best-{epoch:02d}.safetensors", monitor="val_accuracy", save_best_only=True,
                           weights_only=True)
    bc.fit(model, (x, y), cross_entropy, optim.SGD(model.parameters(), lr=0.1), epochs=3, validation=val,
           callbacks=[ckpt], verbose=0, seed=0)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files and files[0] == "best-01.safetensors" and ckpt.last_path.endswith(files[-1])
    weights = bc.load(ckpt.last_path)
    assert set(weights) == {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}


def _resume_setup(seed_model):
    (x, y), val = split_blobs()
    model = ToyMLP(seed=seed_model, dtype=np.float32)
    opt = optim.AdamW(model.parameters(), lr=0.02, amsgrad=True)
    sched = ls.CosineAnnealingLR(opt, T_max=6)
    loader = DataLoader(TensorDataset(x.astype(np.float32), y), batch_size=24, shuffle=True, seed=5)
    return model, opt, sched, loader, (x.astype(np.float32), y)


def test_resume_from_a_checkpoint_is_bit_identical(tmp_path):
    model, opt, sched, loader, val = _resume_setup(0)
    straight = bc.fit(model, loader, cross_entropy, opt, epochs=6, scheduler=sched, validation=val, verbose=0,
                      callbacks=[EarlyStopping(monitor="loss", patience=100)])

    path = tmp_path / "run.safetensors"
    model1, opt1, sched1, loader1, _ = _resume_setup(0)
    bc.fit(model1, loader1, cross_entropy, opt1, epochs=3, scheduler=sched1, validation=val, verbose=0,
           callbacks=[ModelCheckpoint(path), EarlyStopping(monitor="loss", patience=100)])
    state = bc.load(path)
    assert state["epoch"] == 3 and state["format"] == "backchain.fit"

    # a fresh process would build everything again, from other random weights, and resume
    model2, opt2, sched2, loader2, _ = _resume_setup(99)
    resumed = bc.fit(model2, loader2, cross_entropy, opt2, epochs=6, scheduler=sched2, validation=val, verbose=0,
                     callbacks=[ModelCheckpoint(path), EarlyStopping(monitor="loss", patience=100)], resume=path)
    for (name, a), (_, b) in zip(model.named_parameters(), model2.named_parameters()):
        assert a.data.dtype == np.float32
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)
    assert resumed.to_dict() == straight.to_dict()
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    assert bc.load(path)["epoch"] == 6


def test_resume_rejects_a_weights_only_file(tmp_path):
    model, opt, sched, loader, _ = _resume_setup(0)
    bc.save(model.state_dict(), tmp_path / "w.safetensors")
    with pytest.raises(ValueError, match="not a training checkpoint"):
        bc.fit(model, loader, cross_entropy, opt, epochs=1, resume=tmp_path / "w.safetensors", verbose=0)


def test_predict_and_evaluate_leave_the_mode_and_record_nothing():
    model = ToyMLP()
    (x, y), _ = split_blobs()
    out = bc.predict(model, x, batch_size=50)
    assert out.shape == (240, 3) and isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, model(x).data)
    from_loader = bc.predict(model, DataLoader(TensorDataset(x, y), batch_size=64))
    np.testing.assert_array_equal(out, from_loader)
    assert model.training
    model.eval()
    bc.evaluate(model, (x, y), cross_entropy)
    assert not model.training
    model.train()
    assert all(p.grad is None for p in model.parameters())


def test_progress_output(capsys):
    (x, y), val = split_blobs()
    model = ToyMLP()
    bc.fit(model, (x, y), cross_entropy, optim.SGD(model.parameters(), lr=0.1), epochs=2, validation=val,
           verbose=2, seed=0)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("Epoch 1/2") and "val_accuracy" in lines[1]
    assert "samples/s" in lines[0]
    bc.fit(model, (x, y), cross_entropy, optim.SGD(model.parameters(), lr=0.1), epochs=1, verbose=0, seed=0)
    assert capsys.readouterr().out == ""


def test_progress_bar(capsys):
    pytest.importorskip("tqdm")
    (x, y), _ = split_blobs()
    model = ToyMLP()
    bc.fit(model, (x, y), cross_entropy, optim.SGD(model.parameters(), lr=0.1), epochs=1, verbose=1, seed=0)
    err = capsys.readouterr().err
    assert "Epoch 1/1 0/8 |" in err  # the live bar
    assert err.rstrip().split("\r")[-1].startswith("Epoch 1/1  loss ") and err.rstrip().endswith("samples/s")


def test_summary_with_hooks():
    model = ToyMLP(n_in=4, n_hidden=16, n_out=3)
    s = bc.summary(model, (2, 4), verbose=0)
    assert [r[:2] for r in s.rows] == [("fc1", "ToyLinear"), ("act", "ToyTanh"), ("fc2", "ToyLinear")]
    assert [r[3] for r in s.rows] == [(2, 16), (2, 16), (2, 3)]
    assert [r[4] for r in s.rows] == [80, 0, 51]
    assert s.total_params == s.trainable_params == 131 and s.output_shape == (2, 3)
    text = str(s)
    assert "fc1 (ToyLinear)" in text and "[2, 16]" in text and "Total params: 131" in text
    assert all(not m._hooks for _, m in model.named_modules())  # hooks removed


def test_summary_prints_and_counts_frozen_parameters(capsys):
    model = ToyMLP()
    model.fc1.weight.requires_grad = False
    bc.summary(model, (1, 4))
    out = capsys.readouterr().out
    assert "Trainable params: 67" in out and "Non-trainable params: 64" in out


def test_summary_without_hooks_runs_children_in_order(monkeypatch):
    from tests import _toy_model

    monkeypatch.delattr(_toy_model.ToyModule, "register_forward_hook")
    model = ToyMLP()
    s = bc.summary(model, (5, 4), verbose=0)
    assert [r[3] for r in s.rows] == [(5, 16), (5, 16), (5, 3)]

    class Branchy(_toy_model.ToyModule):  # forward does not call its children in order
        def __init__(self):
            super().__init__()
            rng = np.random.default_rng(0)
            self._children["a"] = _toy_model.ToyLinear(4, 2, rng)
            self._children["b"] = _toy_model.ToyLinear(4, 2, rng)

        def forward(self, x):
            return self._children["a"](x) + self._children["b"](x)

    with pytest.raises(RuntimeError, match="like Sequential"):
        bc.summary(Branchy(), (1, 4), verbose=0)


def _dropout_setup(seed_model, seed_default):
    (x, y), _ = split_blobs()
    bc.manual_seed(seed_model)
    nn = bc.nn
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 16), nn.ReLU(),
                          nn.Dropout(0.2, generator=np.random.default_rng(seed_model + 1)), nn.Linear(16, 3))
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loader = DataLoader(TensorDataset(x.astype(np.float32), y), batch_size=24, shuffle=True, seed=5)
    bc.manual_seed(seed_default)  # the default generator that the first Dropout draws its masks from
    return model, opt, loader


def test_resume_with_dropout_is_bit_identical(tmp_path):
    """The checkpoint holds the default generator's state and every Dropout's own generator."""
    model, opt, loader = _dropout_setup(0, 7)
    straight = bc.fit(model, loader, bc.nn.functional.cross_entropy, opt, epochs=5, verbose=0)

    path = tmp_path / "run.safetensors"
    model1, opt1, loader1 = _dropout_setup(0, 7)
    bc.fit(model1, loader1, bc.nn.functional.cross_entropy, opt1, epochs=2, verbose=0,
           callbacks=[ModelCheckpoint(path)])
    state = bc.load(path)
    assert state["rng"]["backchain"]["bit_generator"] == "PCG64"
    assert state["rng"]["modules"]["5"]["bit_generator"] == "PCG64"

    model2, opt2, loader2 = _dropout_setup(99, 123)   # a fresh process: other weights, other random streams
    resumed = bc.fit(model2, loader2, bc.nn.functional.cross_entropy, opt2, epochs=5, verbose=0, resume=path)
    for (name, a), (_, b) in zip(model.named_parameters(), model2.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)
    assert resumed.to_dict() == straight.to_dict()


def test_kink_hits_callback_keeps_layers_of_one_type_apart_and_skips_validation():
    nn = bc.nn
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.MaxPool1d(2), nn.ReLU())
    with bc.no_grad():
        model[0].bias.data[:] = [-1.0, -2.0, 1.0, 1.0]  # zero input: the pre-activations are the biases
    x, y = np.zeros((8, 1, 2), np.float32), np.zeros((8, 1, 2), np.float32)
    hits = bc.train.KinkHits()
    bc.fit(model, (x, y), "mse", optim.SGD(model.parameters(), lr=0.0), epochs=2, metrics=(), callbacks=[hits],
           verbose=0, validation=(x, y), batch_size=4)
    # per sample: relu gives [0, 0, 1, 1]; both pool windows are 2-way ties (4 hits); pooled [0, 1]
    # puts one zero into the second ReLU; 8 samples per epoch, validation not counted
    assert hits.records == {"1 (ReLU)": [0, 0], "2 (MaxPool1d)": [32, 32], "3 (ReLU)": [8, 8]}
    assert hits.by_op["3 (ReLU)"] == {"relu": 8}


def test_kink_hits_picture_of_no_hits_is_white():
    from backchain.viz import kink_hits
    fig = kink_hits({"0 (ReLU)": [0, 0], "1 (ReLU)": [0, 0]})
    image = fig.axes[1].images[0]
    assert image.get_clim() == (0, 1) and np.allclose(image.cmap(image.norm(0.0))[:3], image.cmap(0.0)[:3])
