"""The flow graph: nodes, edges, names, DOT text and a rendered picture."""
import shutil

import numpy as np
import pytest

import backchain as bc
import backchain.numpy as bnp


def test_graph_nodes_and_edges():
    w = bc.tensor(np.ones((3, 1)), requires_grad=True)
    x = np.ones((2, 3))
    y = bnp.sum(bnp.tanh(bc.tensor(x) @ w) * 2.0)
    g = bc.viz.graph(y, params={"layer.weight": w})
    kinds = sorted(kind for kind, _ in g.nodes.values())
    assert kinds == ["input", "op", "op", "op", "output", "param"]  # the data x is an input node
    labels = {label.split("\n")[0]: kind for kind, label in g.nodes.values()}
    assert labels["layer.weight"] == "param" and labels["sum"] == "output"
    # edges follow the data: weight -> matmul -> tanh -> multiply -> sum
    by_name = {label.split("\n")[0]: nid for nid, (kind, label) in g.nodes.items()}
    chain = ["layer.weight", "matmul", "tanh", "multiply", "sum"]
    for a, b in zip(chain, chain[1:]):
        assert (by_name[a], by_name[b]) in g.edges
    assert len(g.edges) == 5
    assert "2×1 float64" in g.source and g.source.startswith("digraph")


def test_graph_of_function_and_highlight():
    g = bc.viz.graph(lambda x: bnp.sum(bnp.maximum(x, 0.0)), np.zeros(3), highlight={"maximum": 3})
    kinds = {label.split("\n")[0]: kind for kind, label in g.nodes.values()}
    assert kinds["maximum"] == "kink" and kinds["arg0"] == "input"
    assert "kinks hit: 3" in g.source


def test_graph_of_long_chain_is_iterative():
    x = bc.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0
    g = bc.viz.graph(y)
    assert len(g.nodes) == 5001 and len(g.edges) == 5000


def test_render_svg_and_dot(tmp_path):
    g = bc.viz.graph(lambda x: bnp.sum(x * x), np.ones(2))
    assert (tmp_path / "g.dot").read_text() if g.render(tmp_path / "g.dot") else False
    if shutil.which("dot") is None:
        with pytest.raises(RuntimeError, match="apt-get install graphviz"):
            g.render(tmp_path / "g.svg")
    else:
        g.render(tmp_path / "g.svg")
        assert "<svg" in (tmp_path / "g.svg").read_text()


def _cnn():
    bc.manual_seed(0)
    nn = bc.nn
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 10))


def test_graph_groups_operations_by_module():
    model = _cnn()
    g = bc.viz.graph(model, np.ones((2, 1, 8, 8), np.float32))
    assert sorted(g.clusters) == ["0", "1", "2", "3", "4"]
    assert g.clusters["1"][0] == "ReLU"
    relu_ops = [g.nodes[n][1].split("\n")[0] for n in g.clusters["1"][1]]
    assert relu_ops == ["relu"]
    assert "subgraph cluster_" in g.source and "0 (Conv2d)" in g.source
    labels = [label.split("\n")[0] for _, label in g.nodes.values()]
    assert "0.weight" in labels and "4.bias" in labels  # parameters named by their module path


def test_graph_collapsed_per_module():
    model = _cnn()
    g = bc.viz.graph(model, np.ones((2, 1, 8, 8), np.float32), collapse=True)
    ops = sorted(label.split("\n")[0] for kind, label in g.nodes.values() if kind in ("op", "output"))
    assert ops == ["0 (Conv2d)", "1 (ReLU)", "2 (MaxPool2d)", "3 (Flatten)", "4 (Linear)"]
    by_name = {label.split("\n")[0]: nid for nid, (kind, label) in g.nodes.items()}
    for a, b in [("0 (Conv2d)", "1 (ReLU)"), ("1 (ReLU)", "2 (MaxPool2d)"), ("3 (Flatten)", "4 (Linear)")]:
        assert (by_name[a], by_name[b]) in g.edges
    with pytest.raises(ValueError, match="function form"):
        bc.viz.graph(model(bc.tensor(np.ones((1, 1, 8, 8), np.float32))), collapse=True)


@pytest.mark.parametrize("make", [
    lambda nn: nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.Linear(4, 1)),  # a mask constant in training
    lambda nn: nn.LSTM(4, 3, batch_first=True),  # several outputs: out, (h, c)
    lambda nn: nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, batch_first=True),
])
@pytest.mark.parametrize("collapse", [False, True])
def test_models_with_constants_and_several_outputs_draw(make, collapse):
    model = make(bc.nn)
    model.train()
    g = bc.viz.graph(model, np.ones((2, 5, 4), np.float32), collapse=collapse)
    labels = [label for kind, label in g.nodes.values()]
    assert not any(label.startswith("data\n") for label in labels)  # constants say what they feed
    outputs = [label for kind, label in g.nodes.values() if kind == "output"]
    assert len(outputs) == (3 if isinstance(model, bc.nn.LSTM) else 1)
    assert all(a in g.nodes and b in g.nodes for a, b in g.edges)
    if isinstance(model, bc.nn.Sequential):
        assert any(label.startswith("constant for multiply\n2×5×4") for label in labels)  # the dropout mask
        if collapse:
            assert any(label.startswith("1 (Dropout)") for label in labels)
