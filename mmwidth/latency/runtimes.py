"""Where latency is measured: a module run on a deployment runtime (ONNX Runtime on CPU, PyTorch eager on CPU or
CUDA) and timed, and the record of the machine and runtime that a measurement only holds for.

Each runtime is registered in ``LATENCY_RUNTIMES`` under the name tools and budgets give (``--runtime
onnxruntime``); a user's runtime (TensorRT, OpenVINO, a board) is one registered subclass of :class:`Runtime`.
"""
import io
import os
import platform
import statistics
import time
import warnings
from contextlib import contextmanager
from typing import Any, Callable, Dict, List, Optional, Sequence

import torch
from torch import nn

from ..registry import LATENCY_RUNTIMES
from ..utils.errors import ConfigError
from ..utils.model_call import flatten_tensors


def median_ms(run: Callable[[], Any], warmup: int = 3, min_repeats: int = 10, min_seconds: float = 0.1,
              max_repeats: int = 1000) -> float:
    """The median wall time of ``run()`` in milliseconds, over at least ``min_repeats`` calls and
    ``min_seconds`` (a median, since other processes on the machine only ever add time)."""
    for _ in range(warmup):
        run()
    times = []
    start = time.perf_counter()
    while len(times) < max_repeats and (len(times) < min_repeats or time.perf_counter() - start < min_seconds):
        begin = time.perf_counter()
        run()
        times.append(time.perf_counter() - begin)
    return statistics.median(times) * 1e3


def _cpu_name() -> str:
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_record(device: str = 'cpu') -> Dict[str, Any]:
    """What a timing depends on besides the runtime: the processor, its cores and, on CUDA, the GPU."""
    record = dict(cpu=_cpu_name(), cores=os.cpu_count(), system=platform.system(), arch=platform.machine())
    if device.startswith('cuda'):
        record['gpu'] = torch.cuda.get_device_name(torch.device(device))
    return record


class _Call(nn.Module):
    """A module's call on positional tensors as a module whose outputs are a flat tuple of tensors (what ONNX
    exporters trace; an attention layer returns a tuple with None in it)."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = module

    def forward(self, *inputs):
        return tuple(flatten_tensors(self.module(*inputs)))


def onnx_bytes(module: nn.Module, inputs: Sequence[torch.Tensor]) -> bytes:
    """``module(*inputs)`` exported as an ONNX model (TorchScript exporter, in eval mode), in memory."""
    buffer = io.BytesIO()
    names = [f'input{i}' for i in range(len(inputs))]
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter('ignore')  # the TorchScript exporter's deprecation notice, on every call
        torch.onnx.export(_Call(module).eval(), tuple(inputs), buffer, dynamo=False, input_names=names)
    return buffer.getvalue()


class Runtime:
    """A deployment runtime that runs a module on given inputs and times it.

    Args:
        threads: intra-op threads (None: the runtime's default, all cores); part of every record, since a
            latency only holds for the threads it was measured with.
    """
    name = ''
    device = 'cpu'

    def __init__(self, threads: Optional[int] = None):
        if threads is not None and threads < 1:
            raise ConfigError(f'threads must be a positive number, got {threads}')
        self.threads = threads

    def versions(self) -> Dict[str, str]:
        return dict(torch=torch.__version__)

    def record(self) -> Dict[str, Any]:
        """The runtime, its versions and threads: what a table or receipt names its figures by."""
        return dict(runtime=self.name, versions=self.versions(), threads=self.threads, device=self.device)

    def prepare(self, module: nn.Module, inputs: Sequence[torch.Tensor]) -> Callable[[], Any]:
        """A function that runs ``module(*inputs)`` once on this runtime (everything done once is done here)."""
        raise NotImplementedError

    def measure(self, module: nn.Module, inputs: Sequence[torch.Tensor], **timing) -> float:
        """Median latency of ``module(*inputs)`` in ms (``timing``: see :func:`median_ms`)."""
        return self.measure_interleaved([self.prepare(module, inputs)], rounds=1, **timing)[0]

    def measure_interleaved(self, runs: Sequence[Callable[[], Any]], rounds: int = 3,
                            pace: Optional[Callable[[], Any]] = None, pace_ms: Optional[float] = None,
                            **timing) -> List[float]:
        """The latency of each prepared run (:meth:`prepare`) in ms: the median of ``rounds`` medians, taken in
        turn over all of them, so that a slow spell of the machine (other processes, a busy neighbour of a
        virtual machine) spreads over every run instead of falling on one.

        Paced (``pace``, a prepared reference run, and ``pace_ms``, its time at another moment): each timing sits
        between two timings of the reference and is scaled by ``pace_ms`` over their mean, so that on a machine
        whose speed moves within seconds (a shared virtual machine: 2-4x here over minutes, with nothing else
        running) the runs are timed as fractions of the reference and given at the speed ``pace_ms`` was
        measured at. The reference should load the machine as the runs do (a model's full width for its
        subnets): a small kernel that stays in cache is not slowed as they are.
        """
        times: List[List[float]] = [[] for _ in runs]
        with self.threads_in_use():
            before = median_ms(pace, **timing) if pace else None
            for _ in range(rounds):
                for i, run in enumerate(runs):
                    ms = median_ms(run, **timing)
                    if pace:
                        after = median_ms(pace, **timing)
                        ms *= 2 * pace_ms / (before + after)
                        before = after
                    times[i].append(ms)
        return [statistics.median(t) for t in times]

    @contextmanager
    def threads_in_use(self):
        yield


@LATENCY_RUNTIMES.register_module('onnxruntime')
class OnnxRuntimeCPU(Runtime):
    """ONNX Runtime's CPU execution provider, all graph optimisations on (it folds batch norms into the convs
    before them and fuses their activations), one inter-op thread."""
    name = 'onnxruntime'

    def __init__(self, threads: Optional[int] = None):
        super().__init__(threads)
        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            raise ConfigError('the onnxruntime runtime needs the onnxruntime package: pip install onnxruntime') \
                from None

    def versions(self) -> Dict[str, str]:
        import onnxruntime
        return dict(super().versions(), onnxruntime=onnxruntime.__version__)

    def prepare(self, module, inputs):
        import onnxruntime
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads or 0
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        session = onnxruntime.InferenceSession(onnx_bytes(module, inputs), options,
                                               providers=['CPUExecutionProvider'])
        feed = {arg.name: tensor.detach().cpu().numpy() for arg, tensor in zip(session.get_inputs(), inputs)}
        return lambda: session.run(None, feed)


@LATENCY_RUNTIMES.register_module('torch')
class TorchEager(Runtime):
    """PyTorch eager mode in inference mode, on ``device`` (``'cpu'`` or ``'cuda'``; CUDA timings synchronise
    after each call)."""
    name = 'torch'

    def __init__(self, threads: Optional[int] = None, device: str = 'cpu'):
        super().__init__(threads)
        if device.startswith('cuda') and not torch.cuda.is_available():
            raise ConfigError(f'runtime torch on {device}: CUDA is not available on this machine')
        self.device = device

    def prepare(self, module, inputs):
        device = torch.device(self.device)
        module = module.eval().to(device)
        inputs = [tensor.to(device) for tensor in inputs]
        sync = torch.cuda.synchronize if device.type == 'cuda' else (lambda: None)

        def run():
            with torch.inference_mode():
                module(*inputs)
            sync()
        return run

    @contextmanager
    def threads_in_use(self):
        before = torch.get_num_threads()
        if self.threads:
            torch.set_num_threads(self.threads)
        try:
            yield
        finally:
            torch.set_num_threads(before)


@LATENCY_RUNTIMES.register_module('torch-cuda')
class TorchEagerCUDA(TorchEager):
    """PyTorch eager mode on the first CUDA device."""
    name = 'torch-cuda'

    def __init__(self, threads: Optional[int] = None):
        super().__init__(threads, device='cuda')


def build_runtime(runtime, threads: Optional[int] = None) -> Runtime:
    """A runtime from its registered name (``'onnxruntime'``, ``'torch'``, ``'torch-cuda'``), a config dict of one
    (``dict(type='torch', device='cuda:1', threads=4)``) or an instance."""
    if isinstance(runtime, Runtime):
        return runtime
    cfg = dict(type=runtime) if isinstance(runtime, str) else dict(runtime)
    name = cfg.pop('type')
    cls = LATENCY_RUNTIMES.get(name)
    if cls is None:
        raise ConfigError(f'unknown latency runtime {name!r}; known: {sorted(LATENCY_RUNTIMES.module_dict)}')
    if threads is not None:
        cfg.setdefault('threads', threads)
    return cls(**cfg)
