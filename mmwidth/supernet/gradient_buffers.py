"""Zero tensors that dynamic weights' gradients are written into, reused from one step to the next.

A weight block's gradient is a tensor of the whole parameter's size (zero outside the block). Allocated afresh,
it costs page faults each step on a CPU: the optimizer drops the gradients (``zero_grad(set_to_none=True)``) and the
allocator hands memory of that size back to the system, so the next step touches new pages (ResNet-50's convs at
half width: 28 ms a step, 3-4% of a forward + backward pass on 2 cores). A few buffers per parameter are kept
instead and one is reused when nothing else refers to its memory: one zero-fill of memory already mapped. The cost
is memory: up to ``MAX_BUFFERS`` gradients of those parameters' size stay allocated between steps. On CUDA the
caching allocator already reuses memory without page faults, and keeping buffers would only raise peak memory, so
CUDA tensors get new ones.
"""
import torch
from torch.utils.weak import WeakIdKeyDictionary

# The gradient, plus the pending one of a later backward pass that accumulates into it (BCNet's and AutoSlim's
# several passes a step); more in use at once get new tensors.
MAX_BUFFERS = 2


def _references(tensor: torch.Tensor) -> int:
    """How many tensors share ``tensor``'s memory (plus the storage object read here)."""
    return torch._C._storage_Use_Count(tensor.untyped_storage()._cdata)


class _Buffer:

    def __init__(self, parameter: torch.Tensor):
        self.tensor = torch.zeros_like(parameter)
        self.unshared = _references(self.tensor)

    def fits(self, parameter: torch.Tensor) -> bool:  # only CPU parameters have buffers
        return (self.tensor.shape, self.tensor.stride(), self.tensor.dtype) == (
            parameter.shape, parameter.stride(), parameter.dtype)

    def free(self) -> bool:
        # Not a gradient, a pending gradient of this backward pass (a layer used twice), nor a tensor a user kept.
        return _references(self.tensor) == self.unshared


_buffers = WeakIdKeyDictionary()  # parameter -> its buffers; the entry goes with the parameter


def zero_gradient(parameter: torch.Tensor) -> torch.Tensor:
    """A zero tensor with ``parameter``'s size and strides, to write a gradient into and return from a backward
    pass. Autograd makes it the parameter's ``.grad`` without a copy (it is a new tensor object over the buffer's
    memory, referred to nowhere else). A parameter off the CPU, or a backward pass that builds a graph
    (``create_graph``), gets a new tensor."""
    if parameter.device.type != 'cpu' or torch.is_grad_enabled():
        return torch.zeros_like(parameter)
    buffers = [buffer for buffer in _buffers.get(parameter, ()) if buffer.fits(parameter)]
    buffer = next((buffer for buffer in buffers if buffer.free()), None)
    if buffer is not None:
        buffer.tensor.zero_()
    elif len(buffers) < MAX_BUFFERS:
        buffer = _Buffer(parameter)
        buffers.append(buffer)
    else:
        return torch.zeros_like(parameter)
    _buffers[parameter] = buffers
    return buffer.tensor.detach()
