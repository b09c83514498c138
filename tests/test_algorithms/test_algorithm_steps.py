"""What each algorithm's train step does: BCNet's two sides, CafeNet's min-min choice, AutoSlim's sandwich and
distillation, and the sampler state that makes resuming continue the same widths."""
import copy

import pytest
import torch
from algorithm_helpers import batch, build_algorithm, sgd

from mmwidth.utils.errors import ConfigError


def record_index_sets(algorithm):
    """Every (layer name -> (in, out) index sets) seen during forward passes with gradients."""
    seen = []
    for module, layer in algorithm.supernet.layers():
        def monitor(mod, name=layer.name):
            if torch.is_grad_enabled():
                seen.append((name, mod.mmwidth_in, mod.mmwidth_out))
        module.mmwidth_monitor = monitor
    return seen


def test_bcnet_left_and_right_paths():
    algorithm = build_algorithm('BCNet', complementary=False)
    space = algorithm.space
    half = {name: space.channels(name) // 2 for name in space.names}
    algorithm.pending.copy_(torch.tensor([half[n] for n in space.names]))  # a queued width is used as is
    algorithm.complementary = True
    seen = record_index_sets(algorithm)
    algorithm.train_step(batch(), sgd(algorithm))
    passes = len(seen) // 2
    left, right = seen[:passes], seen[passes:]
    group_of = {layer.name: layer.output for _, layer in algorithm.supernet.layers()}
    names = {space.graph.index[n]: n for n in space.names}
    for (name, _, left_out), (_, _, right_out) in zip(left, right):
        group = names.get(group_of[name])
        if group is None:  # the classifier: its outputs are fixed
            continue
        channels = space.channels(group)
        assert left_out == slice(0, half[group])
        assert right_out == slice(channels - half[group], channels)  # the rightmost channels, residuals too
        assert set(range(*left_out.indices(channels))).isdisjoint(range(*right_out.indices(channels)))
    assert 'backbone.layer2.residual' in space.names  # the residual streams were among them


def test_cafenet_trains_the_placement_with_the_lowest_loss():
    target = 'backbone.layer1.0.conv1'
    others = ['backbone.layer1.residual', 'backbone.layer1.1.conv1', 'backbone.layer2.0.conv1',
              'backbone.layer2.residual', 'backbone.layer2.1.conv1', 'backbone.layer2.2.conv1']
    algorithm = build_algorithm('CafeNet', seed=3, num_placements=6,
                                width_space=dict(bins=2, fix={target: 32, **dict.fromkeys(others)}))
    # Width 1 of 2 bins with a zone offset of 1: the free bin is bin 0 (channels 0-31) or bin 1 (32-63).
    # Fit the batch with bin 0 only: the placement on bin 0 then has a much lower loss than the one on bin 1.
    data = algorithm.data_preprocessor(batch(), True)
    fit = sgd(algorithm, lr=0.05)
    with algorithm.supernet.subnet({target: slice(0, 32)}):
        for _ in range(30):
            fit.update_params(algorithm.parse_losses(algorithm(**data, mode='loss'))[0])
    losses = []
    for free_bin in (slice(0, 32), slice(32, 64)):
        with torch.no_grad(), algorithm.supernet.subnet({target: free_bin}):
            losses.append(float(algorithm.parse_losses(algorithm(**data, mode='loss'))[0]))
    assert losses[0] < losses[1] / 2
    conv = algorithm.architecture.get_submodule(target)
    before = conv.weight.detach().clone()
    log = algorithm.train_step(batch(), sgd(algorithm, lr=0.5))
    assert log['placement_loss_gap'] > 0  # both placements were among the scored ones
    changed = (conv.weight.detach() - before).flatten(1).abs().sum(1) > 0
    assert changed[:32].all() and not changed[32:].any()


def count_forward_passes(algorithm):
    calls = []
    algorithm.architecture.backbone.register_forward_hook(lambda *args: calls.append(1))
    return calls


def test_autoslim_runs_two_plus_n_passes_and_one_step():
    algorithm = build_algorithm('AutoSlim', num_random_samples=3)
    calls = count_forward_passes(algorithm)
    optim = sgd(algorithm)
    steps = []
    original_step = optim.step
    optim.step = lambda *a, **k: (steps.append(1), original_step(*a, **k))
    log = algorithm.train_step(batch(), optim)
    assert len(calls) == 2 + 3 and len(steps) == 1
    assert {'max_loss', 'min_loss', 'random1_loss', 'random3_loss'} <= set(log)


def test_autoslim_distillation_target_carries_no_gradient():
    """Labels weigh nothing and the only student is the smallest subnet: gradients come from distillation only.
    Channels that only the teacher (largest subnet) uses must then get none."""
    algorithm = build_algorithm('AutoSlim', num_random_samples=0)
    algorithm.architecture.head.loss_module.loss_weight = 0.0
    optim = sgd(algorithm)
    algorithm.train_step(batch(), optim)
    # train_step zeroes the gradients after its step: run the passes again and keep the gradients
    optim.step = lambda *a, **k: None
    optim.zero_grad = lambda *a, **k: None
    algorithm.train_step(batch(), optim)
    grad = algorithm.architecture.get_submodule('backbone.layer1.0.conv1').weight.grad
    smallest = algorithm.space.smallest()['backbone.layer1.0.conv1']
    assert grad[:smallest].abs().sum() > 0
    assert grad[smallest:].abs().sum() == 0


def test_sampler_state_resumes_the_same_width_sequence():
    def sequence(algorithm, steps):
        return [algorithm.next_widths() for _ in range(steps)]

    original = build_algorithm('BCNet', seed=7)
    sequence(original, 3)  # mid-pair: a complement is pending
    state = copy.deepcopy(original.state_dict())  # a checkpoint: buffers change in place afterwards
    expected = sequence(original, 6)
    resumed = build_algorithm('BCNet', seed=123)
    resumed.load_state_dict(state)
    assert sequence(resumed, 6) == expected
    assert sequence(build_algorithm('BCNet', seed=8), 6) != expected


def test_bad_options_are_reported():
    with pytest.raises(ConfigError, match='min_bins'):
        build_algorithm('BCNetV2', min_bins=4)
    with pytest.raises(ConfigError, match='distill_module'):
        build_algorithm('AutoSlim', distill_module='teacher')
    with pytest.raises(ConfigError, match='input_shape'):
        from mmwidth.registry import MODELS
        MODELS.build(dict(type='mmwidth.BCNet', architecture=build_algorithm('BCNet').architecture,
                          width_space=dict(bins=4)))
