"""Greedy layer-wise supervised pretraining (seed 003 §8.3): frozen stages, architecture, digits accuracy."""

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import nn
from tinygrad_opt.data import DataLoader, TensorDataset, load_digits
from tinygrad_opt.strategies import greedy_layerwise_pretrain
from tinygrad_opt.train import LambdaCallback


def sigmoid_blocks(depth, width, n_in=64):
    return [nn.Sequential(nn.Linear(n_in if i == 0 else width, width), nn.Sigmoid()) for i in range(depth)]


def small_problem():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 5)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)
    return DataLoader(TensorDataset(tg.tensor(x), tg.tensor(y)), batch_size=16, shuffle=True, seed=0)


def _copy(t):
    return None if t is None else t.numpy().copy()


@pytest.mark.parametrize("freeze", [True, False])
def test_earlier_blocks_change_during_a_stage_only_when_not_frozen(freeze):
    blocks = sigmoid_blocks(3, 4, n_in=5)
    snapshots = []  # after every epoch: (blocks in the model, every block's weight and its gradient)
    record = LambdaCallback(
        on_epoch_end=lambda tr, e, logs: snapshots.append(
            (len(tr.model) - 1, [(b[0].weight.numpy().copy(), _copy(b[0].weight.grad)) for b in blocks[:2]])
        )
    )

    def sgd(ps):
        return tg.optim.SGD(ps, lr=0.5)

    greedy_layerwise_pretrain(
        blocks, lambda k: nn.Linear(4, 3), small_problem(), sgd, epochs=2, freeze=freeze, callbacks=[record]
    )
    assert [s[0] for s in snapshots] == [1, 1, 2, 2, 3, 3]
    for (stage, before), (_, after) in zip(snapshots[1::2], snapshots[3::2]):  # end of stage k → end of k + 1
        for k in range(stage):  # a frozen block keeps its weights and gets no new gradient
            assert np.array_equal(before[k][0], after[k][0]) == freeze
            assert np.array_equal(before[k][1], after[k][1]) == freeze
    assert all(p.requires_grad for b in blocks for p in b.parameters())  # unfrozen again afterwards


def test_the_result_is_the_blocks_under_the_last_head_and_fine_tuning_trains_everything():
    blocks = sigmoid_blocks(2, 4, n_in=5)
    heads = []

    def make_head(k):
        return heads.append(nn.Linear(4, 3)) or heads[-1]

    model, histories = greedy_layerwise_pretrain(
        blocks, make_head, small_problem(), lambda ps: tg.optim.SGD(ps, lr=0.5), epochs=[1, 2], fine_tune_epochs=3
    )
    assert [type(m) for m in model] == [nn.Sequential, nn.Sequential, nn.Linear]
    assert model[0] is blocks[0] and model[1] is blocks[1] and model[2] is heads[-1] and len(heads) == 2
    assert [len(h["epoch"]) for h in histories] == [1, 2, 3]
    assert model(tg.zeros(7, 5)).shape == (7, 3)


def test_a_deep_narrow_sigmoid_mlp_pretrained_greedily_learns_digits():
    # measured with seed 0: test accuracy 0.967 (end-to-end SGD on the same net stays at chance, 0.10)
    tg.manual_seed(0)
    x, y = load_digits("train")
    xt, yt = load_digits("test")
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, seed=0)

    def sgd(ps):
        return tg.optim.SGD(ps, lr=0.1, momentum=0.9)

    model, _ = greedy_layerwise_pretrain(
        sigmoid_blocks(6, 16), lambda k: nn.Linear(16, 10), train, sgd, epochs=10, fine_tune_epochs=10
    )
    with tg.no_grad():
        accuracy = (model(xt).argmax(-1) == yt).astype("float64").mean().item()
    assert accuracy >= 0.95, accuracy
