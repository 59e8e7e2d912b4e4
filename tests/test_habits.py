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
