"""Channel fairness, counted from what the dynamic layers used: exact for BCNetV2, exact per group and equal in
expectation for BCNet, a left-to-right ramp for AutoSlim."""
import torch
from algorithm_helpers import batch, build_algorithm, sgd

from mmwidth.supernet.channel_usage import ChannelUsage


def train(algorithm, steps: int, record=None):
    usage = ChannelUsage(algorithm.supernet)
    optim = sgd(algorithm)
    data = batch()
    for _ in range(steps):
        if record is not None:
            record.append(dict(zip(algorithm.space.names, algorithm.pending.tolist())))
        algorithm.train_step(data, optim)
    return usage


def test_bcnetv2_trains_every_channel_exactly_equally_after_each_pair():
    algorithm = build_algorithm('BCNetV2', min_bins=1)
    assert algorithm.space.channels('backbone.layer1.residual') == 80  # 64 widened by (4 + 1) / 4
    assert algorithm.space.choices['backbone.layer1.residual'] == [16, 32, 48, 64]
    usage = ChannelUsage(algorithm.supernet)
    optim, data = sgd(algorithm), batch()
    for pair in range(1, 6):
        for _ in range(2):
            algorithm.train_step(data, optim)
        for counts in usage.counts.values():
            assert (counts == 2 * pair).all()  # left + right, width + complement: each channel twice a pair
        assert usage.coefficient_of_variation() == 0.0


def test_bcnet_complement_rule_and_counts():
    """Rule: the complement of k channels is C - k; the full width is its own complement. After every pair, all
    channels of a group have the same count: 2 per pair, 4 for pairs whose first width was the full width."""
    algorithm = build_algorithm('BCNet')
    usage = ChannelUsage(algorithm.supernet)
    optim, data = sgd(algorithm), batch()
    first_widths = []
    for _ in range(40):
        widths = algorithm.next_widths()
        first_widths.append(widths)
        complement = dict(zip(algorithm.space.names, algorithm.pending.tolist()))
        for name, width in widths.items():
            full = algorithm.space.channels(name)
            assert complement[name] == (full if width == full else full - width)
        algorithm.pending.fill_(-1)
        for pair_widths in (widths, complement):  # replay the pair through train_step
            algorithm.pending.copy_(torch.tensor([pair_widths[n] for n in algorithm.space.names]))
            algorithm.train_step(data, optim)
    for name, counts in usage.counts.items():
        full = algorithm.space.channels(name)
        expected = sum(4 if w[name] == full else 2 for w in first_widths)
        assert (counts == expected).all(), name
    # equal in expectation over groups: the spread across groups is only the binomial noise of full widths
    assert usage.coefficient_of_variation() < 0.1


def test_autoslim_counts_ramp_from_left_to_right():
    algorithm = build_algorithm('AutoSlim', num_random_samples=2)
    usage = train(algorithm, 6)
    for counts in usage.counts.values():
        assert (counts[:-1] >= counts[1:]).all()  # left channels serve every narrower width
        assert counts[0] == 4 * 6 and counts[-1] < counts[0]
    assert usage.coefficient_of_variation() > 0.2


def test_scoring_passes_without_gradients_are_not_counted():
    algorithm = build_algorithm('CafeNet', num_placements=3)
    usage = train(algorithm, 2)
    # 3 scoring passes and 1 trained pass per step: a channel is counted at most once per step
    assert all(0 < counts.max() <= 2 for counts in usage.counts.values())
    totals = {name: int(c.sum()) for name, c in usage.counts.items()}
    with torch.no_grad():
        algorithm(batch()['inputs'][0][None].float())
    assert {name: int(c.sum()) for name, c in usage.counts.items()} == totals
