"""The uniform-width baseline: every group at one fraction of its channels, as close to the budget as a
one-channel step allows."""
import itertools

import pytest

from mmwidth.ground_truth.standalone import Recipe
from mmwidth.ground_truth.table_archs import recipe_space
from mmwidth.search.uniform import uniform_subnet, uniform_widths
from mmwidth.utils.errors import WidthSearchError


@pytest.fixture(scope='module')
def space():
    return recipe_space(Recipe())  # 8/16 channels: every fraction w/8 and w/16 is a distinct uniform step


def every_uniform_subnet(space):
    fractions = {width / space.channels(name) for name in space.names for width in range(1, space.channels(name) + 1)}
    return [uniform_widths(space, fraction) for fraction in sorted(fractions)]


@pytest.mark.parametrize('budget', [0.1, 0.25, 0.37, 0.5, 0.8, 1.0])
def test_uniform_subnet_is_the_closest_uniform_width_within_the_budget(space, budget):
    limit = budget * space.flops(space.full())
    chosen = uniform_subnet(space, limit)
    candidates = every_uniform_subnet(space)
    within = [subnet for subnet in candidates if space.flops(subnet) <= limit]
    assert space.flops(chosen) == max(space.flops(subnet) for subnet in within)
    # one fraction: the ratios of all groups agree to within the rounding of one channel
    ratios = [chosen[name] / space.channels(name) for name in space.names]
    assert max(ratios) - min(ratios) <= 1 / min(space.channels(name) for name in space.names)
    # finer than the space's quarters: at 37% a quarter grid would leave much of the budget unused
    if budget == 0.37:
        quarters = [uniform_widths(space, q / 4) for q in range(1, 5)]
        best_quarter = max(space.flops(s) for s in quarters if space.flops(s) <= limit)
        assert space.flops(chosen) > best_quarter


def test_uniform_widths_are_monotonic_in_flops(space):
    flops = [space.flops(subnet) for subnet in every_uniform_subnet(space)]
    assert all(a <= b for a, b in itertools.pairwise(flops))


def test_a_budget_below_the_smallest_uniform_width_is_refused(space):
    smallest = min(space.flops(subnet) for subnet in every_uniform_subnet(space))
    with pytest.raises(WidthSearchError, match='no uniform width fits'):
        uniform_subnet(space, smallest - 1)
