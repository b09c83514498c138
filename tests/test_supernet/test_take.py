"""How dynamic layers read their weights: views for slices, at most one copy per pass, the same values."""
import pytest
import torch
from torch import nn

from mmwidth.supernet.dynamic_layers import make_dynamic, take_weight


def test_conv_weight_of_an_input_slice_is_copied_once_contiguous():
    conv = make_dynamic(nn.Conv2d(8, 6, 3))
    conv.mmwidth_out, conv.mmwidth_in = slice(0, 3), slice(2, 6)
    weight = conv.weight
    assert weight.is_contiguous()  # the conv's forward and backward passes need not copy it again
    assert torch.equal(weight, conv._parameters['weight'][0:3, 2:6])
    conv.mmwidth_in = None
    assert conv.weight.data_ptr() == conv._parameters['weight'].data_ptr()  # an output slice stays a view


def test_two_gathers_are_one_and_linear_slices_stay_views():
    weight = torch.randn(6, 8, 3, 3)
    out_index, in_index = torch.tensor([0, 2, 5]), torch.tensor([1, 3, 4, 7])
    expected = weight.index_select(0, out_index).index_select(1, in_index)
    assert torch.equal(take_weight(weight, out_index, in_index, contiguous=True), expected)
    assert torch.equal(take_weight(weight, out_index, slice(2, 6), contiguous=True), weight[out_index][:, 2:6])
    linear = make_dynamic(nn.Linear(8, 4))
    linear.mmwidth_in = slice(0, 5)
    assert linear.weight.data_ptr() == linear._parameters['weight'].data_ptr()  # matmul reads the strided view


def test_batch_norm_with_gathered_channels_in_eval_and_training():
    norm = make_dynamic(nn.BatchNorm2d(6))
    with torch.no_grad():
        norm.running_mean.copy_(torch.arange(6.))
    index = torch.tensor([1, 4])
    norm.mmwidth_out = index
    inputs = torch.randn(2, 2, 3, 3)
    norm.eval()
    expected = (inputs - torch.tensor([1., 4.])[:, None, None]) / (1 + norm.eps)**0.5
    assert torch.allclose(norm(inputs), expected, atol=1e-6)
    norm.train()
    norm(inputs)
    mean = norm._buffers['running_mean']
    assert torch.allclose(mean[index], 0.9 * torch.tensor([1., 4.]) + 0.1 * inputs.mean((0, 2, 3)))
    assert torch.equal(mean[[0, 2, 3, 5]], torch.tensor([0., 2., 3., 5.]))  # the others untouched


def _index(kind: str, channels: int):
    return dict(slice=slice(1, channels - 1), gather=torch.tensor([0, 2, channels - 1]), all=None)[kind]


@pytest.mark.parametrize('rows,columns', [('slice', 'slice'), ('gather', 'slice'), ('slice', 'gather'),
                                          ('gather', 'gather'), ('gather', 'all'), ('all', 'slice')])
def test_a_weight_block_and_its_gradient_are_those_of_indexing(rows, columns):
    weight = torch.randn(6, 8, 3, 3, requires_grad=True)
    out_index, in_index = _index(rows, 6), _index(columns, 8)
    block = take_weight(weight, out_index, in_index, contiguous=True)
    assert block.is_contiguous()
    upstream = torch.randn_like(block)
    (block * upstream).sum().backward()
    reference = weight.detach().clone().requires_grad_()
    expected = reference[slice(None) if out_index is None else out_index]
    expected = expected[:, slice(None) if in_index is None else in_index]
    (expected * upstream).sum().backward()
    assert torch.equal(block, expected)
    assert torch.equal(weight.grad, reference.grad)  # the others' gradient is zero, the block's is upstream's
