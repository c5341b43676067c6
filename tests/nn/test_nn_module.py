"""Module system: registration, traversal, modes, gradients, devices, state dicts, containers."""

from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import nn


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.fc2 = nn.Linear(4, 2)
        self.scale = nn.Parameter(tg.ones(1))
        self.note = "not registered"

    def forward(self, x):
        return self.fc2(self.bn(self.fc1(x)).relu()) * self.scale


def snapshot(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def test_parameter_is_a_trainable_leaf_and_ops_on_it_give_plain_tensors():
    p = nn.Parameter(tg.randn(2, 3))
    assert isinstance(p, tg.Tensor) and p.requires_grad and p.is_leaf
    y = p * 2
    assert type(y) is tg.Tensor and not y.is_leaf
    assert repr(p).startswith("Parameter containing:")


def test_named_parameters_follow_assignment_order_and_skip_plain_attributes():
    m = TwoLayer()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "fc2.weight", "fc2.bias"]
    assert [n for n, _ in m.named_children()] == ["fc1", "bn", "fc2"]
    assert [n for n, _ in m.named_buffers()] == ["bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]
    assert len(list(m.modules())) == 4
    assert m.num_parameters() == 1 + (3 * 4 + 4) + (4 + 4) + (4 * 2 + 2)


def test_shared_parameters_are_listed_and_counted_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert seq.num_parameters() == 6


def test_assigning_a_plain_tensor_over_a_parameter_is_refused():
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="weight"):
        lin.weight = tg.zeros(2, 2)
    lin.bias = None
    assert lin(tg.ones(1, 2)).shape == (1, 2)
    assert [n for n, _ in lin.named_parameters()] == ["weight"]


def test_train_and_eval_are_recursive():
    m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5), nn.BatchNorm1d(2)))
    m.eval()
    assert all(not sub.training for sub in m.modules())
    m.train()
    assert all(sub.training for sub in m.modules())


def test_zero_grad_sets_to_none_or_zeros():
    m = TwoLayer()
    m(tg.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_double_casts_parameters_and_float_buffers_but_not_the_batch_counter():
    m = TwoLayer()
    m(tg.randn(5, 3)).sum().backward()
    params_before = list(m.parameters())
    m.double()
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in m.parameters())
    assert m.bn.running_mean.dtype == np.float64
    assert m.bn.num_batches_tracked.dtype == np.int64
    assert all(a is b for a, b in zip(params_before, m.parameters())), "to() must keep the Parameter objects"


def test_to_unknown_device_raises_and_cpu_is_a_no_op():
    m = TwoLayer()
    with pytest.raises(tg.DeviceError):
        m.to("tpu")
    before = snapshot(m)
    m.to("cpu")
    assert all(np.array_equal(before[k], v) for k, v in snapshot(m).items())


@pytest.mark.cuda
def test_to_cuda_moves_parameters_and_buffers_and_forward_runs_there():
    m = TwoLayer().to("cuda")
    assert all(p.device == "cuda:0" for p in m.parameters())
    assert all(b.device == "cuda:0" for b in m.buffers())
    out = m(tg.randn(4, 3, device="cuda"))
    assert out.device == "cuda:0"
    out.sum().backward()
    assert m.fc1.weight.grad.device == "cuda:0"


def test_state_dict_round_trip_restores_outputs():
    src, dst = TwoLayer(), TwoLayer()
    src(tg.randn(6, 3))  # move the running statistics away from their initial values
    src.eval()
    dst.eval()
    x = tg.randn(4, 3)
    assert not np.allclose(src(x).numpy(), dst(x).numpy())
    result = dst.load_state_dict(src.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert np.array_equal(src(x).numpy(), dst(x).numpy())
    assert int(dst.bn.num_batches_tracked.item()) == 1


def test_state_dict_accepts_numpy_arrays():
    src, dst = TwoLayer(), TwoLayer()
    dst.load_state_dict({k: v.numpy().copy() for k, v in src.state_dict().items()})
    assert all(np.array_equal(a, b) for a, b in zip(snapshot(src).values(), snapshot(dst).values()))


@pytest.mark.parametrize(
    "corrupt, pattern",
    [
        (lambda sd: sd.pop("fc2.bias"), r"missing keys: \['fc2.bias'\]"),
        (lambda sd: sd.__setitem__("fc3.weight", tg.zeros(2, 2)), r"unexpected keys: \['fc3.weight'\]"),
        (
            lambda sd: sd.__setitem__("fc1.weight", tg.zeros(4, 5)),
            r"'fc1.weight': checkpoint has shape \(4, 5\), the model has shape \(4, 3\)",
        ),
    ],
    ids=["missing", "extra", "wrong-shape"],
)
def test_failed_load_names_the_problem_and_leaves_the_model_unchanged(corrupt, pattern):
    src, dst = TwoLayer(), TwoLayer()
    sd = OrderedDict((k, tg.Tensor(v.numpy() + 1.0)) for k, v in src.state_dict().items())
    corrupt(sd)
    before = snapshot(dst)
    with pytest.raises(nn.StateDictError, match=pattern):
        dst.load_state_dict(sd)
    after = snapshot(dst)
    assert before.keys() == after.keys()
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_non_strict_load_skips_missing_and_extra_but_still_rejects_wrong_shapes():
    src, dst = TwoLayer(), TwoLayer()
    sd = src.state_dict()
    sd.pop("fc2.bias")
    sd["extra"] = tg.zeros(1)
    result = dst.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["fc2.bias"] and result.unexpected_keys == ["extra"]
    assert np.array_equal(dst.fc1.weight.numpy(), src.fc1.weight.numpy())
    sd["fc1.bias"] = tg.zeros(7)
    with pytest.raises(nn.StateDictError, match="fc1.bias"):
        dst.load_state_dict(sd, strict=False)


def test_non_persistent_buffers_are_not_saved():
    m = nn.Module()
    m.register_buffer("cache", tg.zeros(3), persistent=False)
    m.register_buffer("stat", tg.zeros(3))
    assert list(m.state_dict()) == ["stat"]
    assert [n for n, _ in m.named_buffers()] == ["cache", "stat"]


def test_repr_lists_children_with_their_settings():
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Dropout(0.25)))
    assert repr(m) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Dropout(p=0.25)\n"
        "  )\n"
        ")"
    )


def test_sequential_indexing_slicing_and_ordered_dict_names():
    seq = nn.Sequential(OrderedDict([("inp", nn.Linear(2, 3)), ("act", nn.Tanh()), ("out", nn.Linear(3, 1))]))
    assert [n for n, _ in seq.named_children()] == ["inp", "act", "out"]
    assert isinstance(seq[-1], nn.Linear) and len(seq) == 3
    head = seq[:2]
    x = tg.randn(4, 2)
    assert np.allclose(seq(x).numpy(), seq[2](head(x)).numpy())
    with pytest.raises(IndexError):
        seq[3]


def test_module_list_registers_its_members():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.append(nn.Linear(2, 1))
    assert len(layers) == 4 and layers.num_parameters() == 3 * 6 + 3
    layers[0] = nn.Linear(2, 2, bias=False)
    assert layers.num_parameters() == 4 + 2 * 6 + 3
    with pytest.raises(TypeError):
        layers.append("not a module")


def test_functional_call_swaps_parameters_temporarily():
    lin = nn.Linear(3, 2)
    w = tg.ones(2, 3)
    out = nn.functional_call(lin, {"weight": w, "bias": tg.zeros(2)}, (tg.ones(1, 3),))
    assert np.allclose(out.numpy(), 3.0)
    assert lin.weight is not w and isinstance(lin.weight, nn.Parameter)
    with pytest.raises(tg.ArgumentError, match="nope"):  # issue 12: a family class, no longer a KeyError
        nn.functional_call(lin, {"nope": w}, (tg.ones(1, 3),))


def test_functional_call_gives_parameter_gradients_through_grad():
    lin = nn.Linear(3, 2).double()
    x = tg.Tensor(np.arange(6.0).reshape(2, 3))

    def loss(w):
        return nn.functional_call(lin, {"weight": w}, (x,)).sum()

    g = tg.grad(loss)(lin.weight.detach())
    assert np.allclose(g.numpy(), np.tile(x.numpy().sum(0), (2, 1)))


def test_missing_super_init_gives_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="Module.__init__"):
        Broken()


def test_deepcopy_gives_an_independent_module_with_the_same_function():
    m = TwoLayer()
    clone = copy.deepcopy(m)
    x = tg.randn(4, 3)
    assert np.array_equal(clone(x).numpy(), m(x).numpy())
    assert all(a is not b for a, b in zip(clone.parameters(), m.parameters()))
    with tg.no_grad():
        clone.fc1.weight.add_(1.0)
    assert not np.array_equal(clone.fc1.weight.numpy(), m.fc1.weight.numpy())
    assert isinstance(clone.fc1.weight, nn.Parameter)


def test_a_cpu_state_dict_loads_onto_the_models_device(device):
    """Checkpoints are CPU arrays: loading one into a model on the device keeps every tensor there."""
    source = TwoLayer().to("cpu")
    saved = {k: v.numpy() for k, v in source.state_dict().items()}
    m = TwoLayer().to(device)
    m.load_state_dict(saved)
    assert all(t.device == device for t in [*m.parameters(), *m.buffers()])
    assert all(np.array_equal(v.numpy(), saved[k]) for k, v in m.state_dict().items())
    assert m(tg.randn(4, 3, device=device)).device == device
