"""Weight blocks' gradients reuse last step's memory only when nothing refers to it: the values are always those
of plain indexing."""
import torch
from torch import nn

from mmwidth.supernet.dynamic_layers import make_dynamic


def _conv(out_index, in_index):
    conv = make_dynamic(nn.Conv2d(8, 6, 3, bias=False))
    conv.mmwidth_out, conv.mmwidth_in = out_index, in_index
    return conv


def _expected_gradient(conv, inputs, uses: int = 1):
    """The gradient of ``sum(conv(inputs))`` (each use) by plain indexing of a copy of the weight."""
    weight = conv._parameters['weight'].detach().clone().requires_grad_()
    out_index, in_index = conv.mmwidth_out, conv.mmwidth_in
    for _ in range(uses):
        nn.functional.conv2d(inputs, weight[out_index][:, in_index]).sum().backward()
    return weight.grad


def _after_a_step():
    """A conv whose weight's gradient buffer was used by one step and then dropped; and that buffer's address."""
    conv = _conv(slice(0, 4), slice(2, 6))
    conv(torch.randn(2, 4, 5, 5)).sum().backward()
    memory = conv._parameters['weight'].grad.data_ptr()
    conv.zero_grad(set_to_none=True)
    return conv, memory


def test_a_dropped_gradient_is_reused_and_zeroed_for_the_next_block():
    conv, memory = _after_a_step()
    weight = conv._parameters['weight']
    inputs = torch.randn(2, 4, 5, 5)
    conv.mmwidth_out, conv.mmwidth_in = torch.tensor([1, 5]), torch.tensor([0, 3, 4, 7])  # other channels
    conv(inputs).sum().backward()
    assert weight.grad.data_ptr() == memory  # no new tensor (and no page faults) this step
    assert torch.equal(weight.grad, _expected_gradient(conv, inputs))  # last step's block was zeroed


def test_a_gradient_that_is_still_referred_to_is_never_overwritten():
    conv = _conv(slice(0, 4), slice(2, 6))
    weight = conv._parameters['weight']
    inputs = torch.randn(2, 4, 5, 5)
    conv(inputs).sum().backward()
    kept, kept_values = weight.grad, weight.grad.clone()  # e.g. a hook that logs gradients
    conv.zero_grad(set_to_none=True)
    for _ in range(2):  # the second pass finds both buffers in use (the kept tensor and the new gradient)
        conv(2 * inputs).sum().backward()
    assert torch.equal(kept, kept_values)
    assert torch.allclose(weight.grad, _expected_gradient(conv, 2 * inputs, uses=2))


def test_gradients_accumulate_over_passes_and_uses_of_a_layer():
    conv = _conv(torch.tensor([0, 2, 3]), torch.tensor([1, 4, 6, 7]))
    weight = conv._parameters['weight']
    inputs = torch.randn(2, 4, 5, 5)
    for _ in range(3):  # BCNet's and AutoSlim's passes accumulate into the first pass's gradient
        conv(inputs).sum().backward()
    assert torch.allclose(weight.grad, _expected_gradient(conv, inputs, uses=3))
    conv.zero_grad(set_to_none=True)
    (conv(inputs) + conv(inputs)).sum().backward()  # one layer twice in one graph: the first use's gradient pends
    assert torch.allclose(weight.grad, _expected_gradient(conv, inputs, uses=2))


def test_a_backward_pass_that_builds_a_graph_gets_a_gradient_of_its_own():
    conv, memory = _after_a_step()
    weight = conv._parameters['weight']
    inputs = torch.randn(2, 4, 5, 5)
    (gradient, ) = torch.autograd.grad(conv(inputs).sum(), weight, create_graph=True)
    assert gradient.data_ptr() != memory
    assert torch.equal(gradient, _expected_gradient(conv, inputs))
