"""Dynamic layers slice contiguous channels as views (a conv's input slice: one copy), gather others, and keep norm
statistics in place."""
import torch
from torch import nn

from mmwidth.space.channel_graph import Layer
from mmwidth.supernet.dynamic_layers import make_dynamic, make_static


def test_conv_slices_are_views_and_gradients_reach_the_selected_weights():
    conv = make_dynamic(nn.Conv2d(8, 6, 3, padding=1))
    conv.mmwidth_out, conv.mmwidth_in = slice(2, 6), slice(0, 3)
    full = conv._parameters['weight']
    assert conv.weight.is_contiguous() and torch.equal(conv.weight, full[2:6, :3])  # an input slice: one copy
    x = torch.randn(2, 3, 5, 5)
    out = conv(x)
    expected = nn.functional.conv2d(x, full[2:6, :3], conv._parameters['bias'][2:6], padding=1)
    torch.testing.assert_close(out, expected)
    out.sum().backward()
    used = full.grad.abs().sum(dim=(2, 3)) > 0
    assert used[2:6, :3].all() and not used[:2].any() and not used[:, 3:].any()
    assert conv.state_dict()['weight'].shape == (6, 8, 3, 3)


def test_conv_gathers_arbitrary_channels():
    conv = make_dynamic(nn.Conv2d(4, 5, 1, bias=False))
    conv.mmwidth_out, conv.mmwidth_in = torch.tensor([0, 3, 4]), torch.tensor([1, 2])
    torch.testing.assert_close(conv.weight, conv._parameters['weight'][[0, 3, 4]][:, [1, 2]])
    # the gather's own backward writes the gradient of exactly those weights (zeros elsewhere)
    grad = torch.randn(3, 2, 1, 1)
    (conv.weight * grad).sum().backward()
    expected = torch.zeros(5, 4, 1, 1)
    expected[torch.tensor([0, 3, 4])[:, None], torch.tensor([1, 2])[None, :]] = grad
    torch.testing.assert_close(conv._parameters['weight'].grad, expected)


def test_depthwise_conv_uses_its_channels_as_groups():
    conv = make_dynamic(nn.Conv2d(6, 6, 3, padding=1, groups=6), Layer('conv', 'conv', (), depthwise=True))
    conv.mmwidth_out = torch.tensor([1, 4])
    assert conv.groups == 2 and conv.weight.shape == (2, 1, 3, 3)
    assert conv(torch.randn(1, 2, 4, 4)).shape == (1, 2, 4, 4)
    make_static(conv)
    assert type(conv) is nn.Conv2d and conv.groups == 6


def test_grouped_conv_indexes_its_weight_by_positions_inside_a_group():
    conv = make_dynamic(nn.Conv2d(8, 6, 1, groups=2, bias=False))
    # channels 1, 2 of each input group (of 4) and channel 1 of each output group (of 3)
    conv.mmwidth_in, conv.mmwidth_out = torch.tensor([1, 2, 5, 6]), torch.tensor([1, 4])
    assert conv.groups == 2 and conv.weight.shape == (2, 2, 1, 1)
    torch.testing.assert_close(conv.weight, conv._parameters['weight'][[1, 4]][:, [1, 2]])
    x = torch.randn(1, 8, 3, 3)
    mask = torch.zeros(1, 8, 1, 1)
    mask[:, [1, 2, 5, 6]] = 1  # the full conv on the kept inputs only
    expected = nn.functional.conv2d(x * mask, conv._parameters['weight'], groups=2)[:, [1, 4]]
    torch.testing.assert_close(conv(x[:, [1, 2, 5, 6]]), expected)


def test_transposed_conv_weight_is_in_by_out_per_group():
    conv = make_dynamic(nn.ConvTranspose2d(4, 6, 2, stride=2, groups=2))
    conv.mmwidth_in, conv.mmwidth_out = torch.tensor([0, 2]), torch.tensor([1, 2, 4, 5])
    torch.testing.assert_close(conv.weight, conv._parameters['weight'][[0, 2]][:, [1, 2]])
    torch.testing.assert_close(conv.bias, conv._parameters['bias'][[1, 2, 4, 5]])
    assert conv(torch.randn(1, 2, 3, 3)).shape == (1, 4, 6, 6)


def test_layer_norm_normalises_the_active_channels_only():
    norm = make_dynamic(nn.LayerNorm(6))
    with torch.no_grad():
        norm._parameters['weight'].uniform_()
    norm.mmwidth_out = torch.tensor([0, 3, 4])
    x = torch.randn(2, 3)
    assert norm.normalized_shape == (3, )
    torch.testing.assert_close(norm(x), nn.functional.layer_norm(x, (3, ), norm._parameters['weight'][[0, 3, 4]],
                                                                 norm._parameters['bias'][[0, 3, 4]]))
    make_static(norm)
    assert type(norm) is nn.LayerNorm and norm.normalized_shape == (6, )


def test_linear_slices_inputs_and_outputs():
    linear = make_dynamic(nn.Linear(6, 4))
    linear.mmwidth_in, linear.mmwidth_out = slice(1, 4), slice(0, 2)
    x = torch.randn(3, 3)
    torch.testing.assert_close(linear(x), x @ linear._parameters['weight'][:2, 1:4].T + linear._parameters['bias'][:2])


def test_batch_norm_updates_only_the_used_statistics():
    for index in (slice(2, 5), torch.tensor([0, 2, 5])):
        norm = make_dynamic(nn.BatchNorm2d(6, momentum=1.0)).train()
        norm.mmwidth_out = index
        x = torch.randn(8, 3, 4, 4) * 2 + 3
        norm(x)
        used = torch.zeros(6, dtype=torch.bool)
        used[index] = True
        torch.testing.assert_close(norm._buffers['running_mean'][used], x.mean(dim=(0, 2, 3)))
        assert (norm._buffers['running_mean'][~used] == 0).all()
        assert (norm._buffers['running_var'][~used] == 1).all()


def test_monitor_sees_training_forward_passes_only():
    seen = []
    conv = make_dynamic(nn.Conv2d(2, 4, 1))
    conv.mmwidth_monitor = lambda layer: seen.append(layer.mmwidth_out)
    conv.mmwidth_out = slice(0, 2)
    conv.train()(torch.randn(1, 2, 2, 2))
    conv.eval()(torch.randn(1, 2, 2, 2))
    assert seen == [slice(0, 2)]
