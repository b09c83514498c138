"""Subnet files whose groups list their kept channels: accepted by every reader, exported exactly, and each
malformed entry reported in one line."""
import json

import pytest
import torch

from mmwidth.apis import get_flops, verify_subnets
from mmwidth.ground_truth.cbm_table import cbm_width_space
from mmwidth.space.subnet_file import kept_entries, kept_index_sets, load_subnet
from mmwidth.space.width_space import SubnetError

CBM_CONFIG = 'configs/bcnet/bcnet_cbm-resnet_digits.py'


@pytest.fixture(scope='module')
def space():
    return cbm_width_space('resnet')


def spread_subnet(space, stride: int = 3) -> dict:
    """Every group keeps every ``stride``-th channel, as a subnet file with indices."""
    return {name: dict(channels=len(range(0, space.channels(name), stride)),
                       indices=list(range(0, space.channels(name), stride))) for name in space.names}


def test_indices_and_counts_are_both_accepted(space):
    subnet = spread_subnet(space)
    name = space.names[0]
    subnet[name] = 64  # a plain count mixes with listed channels
    widths = space.check_subnet(subnet)
    assert widths[name] == 64 and widths[space.names[1]] == len(range(0, space.channels(space.names[1]), 3))
    index_sets = kept_index_sets(subnet, space.full())
    assert index_sets[name] == slice(0, 64)  # a count keeps the leftmost channels
    assert torch.equal(index_sets[space.names[1]], torch.arange(0, space.channels(space.names[1]), 3))
    assert kept_entries({space.names[1]: index_sets[space.names[1]]}, space.full())[space.names[1]] == \
        subnet[space.names[1]]


@pytest.mark.parametrize('entry,message', [
    (dict(channels=2, indices=[0, 5], extra=1), 'keys'),
    (dict(channels=2), 'keys'),
    (dict(channels=2, indices='0,5'), 'list of channel numbers'),
    (dict(channels=2, indices=[0, 1.5]), 'list of channel numbers'),
    (dict(channels=3, indices=[0, 5]), 'lists 2 channels but "channels" is 3'),
    (dict(channels=2, indices=[5, 0]), 'sorted and unique'),
    (dict(channels=2, indices=[5, 5]), 'sorted and unique'),
    (dict(channels=2, indices=[0, 256]), 'must lie in [0, 256)'),
    (dict(channels=2, indices=[-1, 4]), 'must lie in [0, 256)'),
    (dict(channels=0, indices=[]), 'out of range'),
])
def test_malformed_indices_are_one_line_errors(space, entry, message):
    subnet = spread_subnet(space)
    subnet[space.names[0]] = entry
    with pytest.raises(SubnetError) as err:
        space.check_subnet(subnet, source='subnet file x.json')
    text = str(err.value)
    assert message in text and space.names[0] in text and '\n' not in text


def test_tools_read_indices(tmp_path, space):
    path = tmp_path / 'spread.json'
    path.write_text(json.dumps(spread_subnet(space)))
    assert load_subnet(str(path)) == spread_subnet(space)
    widths = {name: entry['channels'] for name, entry in spread_subnet(space).items()}
    flops = get_flops(CBM_CONFIG, str(path))
    assert flops == get_flops(CBM_CONFIG, widths) and flops['flops'] < get_flops(CBM_CONFIG)['flops']
    rows = verify_subnets(CBM_CONFIG, [str(path)], input_shape=(3, 8, 8))
    assert [row['pattern'] for row in rows] == ['kept'] and rows[0]['ok'], rows
