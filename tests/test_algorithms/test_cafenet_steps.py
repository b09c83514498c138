"""CafeNet's min-min step is one plain training pass of the best placement: its no-gradient scoring passes leave
weights, batch-norm statistics, optimizer state and the sampler exactly as a run that never scored would."""
import copy

import torch
from algorithm_helpers import batch, build_algorithm
from mmengine.optim import OptimWrapper


def optimizer(algorithm) -> OptimWrapper:
    return OptimWrapper(torch.optim.SGD(algorithm.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3))


def replay_step(algorithm, data_batch, optim_wrapper, num_placements: int) -> bool:
    """What a CafeNet step must amount to, done by hand on a copy: draw the same widths and placements, find the
    lowest-loss placement (restoring the state after each pass), then one ordinary pass of it and one optimizer step. Returns
    whether a placement gathered channels (a non-contiguous index set)."""
    data = algorithm.data_preprocessor(data_batch, True)
    widths = algorithm.widths(algorithm.sample_choices())
    with algorithm.generator() as generator:
        placements = algorithm.placements(widths, num_placements, generator)
    losses, state = [], copy.deepcopy(algorithm.state_dict())
    for placement in placements:
        with torch.no_grad(), algorithm.supernet.subnet(placement):
            losses.append(float(algorithm.parse_losses(algorithm(**data, mode='loss'))[0]))
        algorithm.load_state_dict(state)  # undo whatever the pass changed (the norms' running statistics)
    best = placements[min(range(len(losses)), key=losses.__getitem__)]
    with algorithm.supernet.subnet(best):
        optim_wrapper.update_params(algorithm.parse_losses(algorithm(**data, mode='loss'))[0])
    return any(isinstance(index, torch.Tensor) for placement in placements for index in placement.values())


def test_cafenet_step_equals_a_plain_pass_of_the_best_placement():
    algorithm = build_algorithm('CafeNet', seed=2, num_placements=2)
    reference = copy.deepcopy(algorithm)
    optim, reference_optim = optimizer(algorithm), optimizer(reference)
    gathered = False
    for step in range(2):
        data_batch = batch(8, seed=step)
        log = algorithm.train_step(data_batch, optim)
        gathered |= replay_step(reference, data_batch, reference_optim, num_placements=2)
        assert log['placement_loss_gap'] > 0
        for (name, value), expected in zip(algorithm.state_dict().items(), reference.state_dict().values()):
            assert torch.equal(value, expected), f'{name} differs after step {step}'
        for (_, state), (_, expected) in zip(optim.optimizer.state.items(), reference_optim.optimizer.state.items()):
            assert torch.equal(state['momentum_buffer'], expected['momentum_buffer'])
    assert gathered  # the gather/scatter path of the dynamic layers was exercised
