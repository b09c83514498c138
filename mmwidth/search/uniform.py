"""The baseline every width search has to beat: the uniformly shrunk network, every group at the same fraction of
its channels."""
import bisect

from ..space.width_space import Subnet, WidthSpace
from ..utils.errors import WidthSearchError


def uniform_widths(space: WidthSpace, fraction: float) -> Subnet:
    """Every group at ``fraction`` of its channels, rounded, at least one channel."""
    return {name: max(1, round(fraction * space.channels(name))) for name in space.names}


def uniform_subnet(space: WidthSpace, max_flops: float) -> Subnet:
    """The uniform-width subnet closest to ``max_flops`` from below: of all fractions at which some group gains a
    channel (the finest uniform steps, not only the space's bins), the largest whose FLOPs stay within the
    limit. FLOPs grow with the fraction, so the fractions are bisected."""
    fractions = sorted({width / space.channels(name) for name in space.names
                        for width in range(1, space.channels(name) + 1)})
    first_over = bisect.bisect_left(fractions, True, key=lambda f: space.flops(uniform_widths(space, f)) > max_flops)
    if first_over == 0:
        raise WidthSearchError(f'no uniform width fits {max_flops:,.0f} FLOPs (the smallest has '
                               f'{space.flops(uniform_widths(space, fractions[0])):,} FLOPs)')
    return uniform_widths(space, fractions[first_over - 1])
