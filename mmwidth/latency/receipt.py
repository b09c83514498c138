"""The speed-up receipt of an export: what the exported subnet costs against the full model it was cut from, in
FLOPs, parameters, ONNX file size and latency measured on the runtimes it may be deployed on, each as a ratio.

A width search promises a faster model; the receipt is the measurement that says whether it is one on this
machine (a FLOPs cut that buys no speed shows up as a latency ratio near 1), and it fails when the exported file
did not shrink with the parameters the widths remove (an export that keeps channels it should cut).
"""
from typing import Any, Dict, Optional, Sequence

import torch
from torch import nn

from ..space.width_space import Subnet, WidthSpace
from ..utils.errors import WidthSearchError
from ..utils.model_call import TensorEntry
from .runtimes import build_runtime, machine_record, onnx_bytes

RECEIPT_FORMAT = 'mmwidth-receipt'
# float32 weights take 4 bytes each in an ONNX file; an export whose file shrinks by less than this fraction of
# 4 bytes per removed parameter did not cut what its widths say it cut
BYTES_PER_PARAM = 4
MIN_SHRINK = 0.5


class ReceiptError(WidthSearchError, RuntimeError):
    """The exported model is not as small as its widths say."""


def receipt_runtimes() -> list:
    """The runtimes a receipt times on: ONNX Runtime and PyTorch on CPU, and PyTorch on CUDA where present."""
    return ['onnxruntime', 'torch'] + (['torch-cuda'] if torch.cuda.is_available() else [])


def _compare(full: float, subnet: float) -> Dict[str, float]:
    return dict(full=full, subnet=subnet, ratio=round(subnet / full, 4) if full else None)


def check_onnx_shrink(sizes: Dict[str, float], params: Dict[str, float]) -> None:
    """Raises :class:`ReceiptError` when the ONNX file shrank by less than half of what the removed parameters
    take as float32 (``sizes`` and ``params`` as the receipt holds them)."""
    removed = params['full'] - params['subnet']
    shrunk = sizes['full'] - sizes['subnet']
    if removed > 0 and shrunk < MIN_SHRINK * BYTES_PER_PARAM * removed:
        raise ReceiptError(f'the exported ONNX file did not shrink with the parameters: {sizes["full"]} -> '
                           f'{sizes["subnet"]} bytes, while the widths remove {removed} parameters '
                           f'({BYTES_PER_PARAM * removed} bytes of float32); the export kept channels it should '
                           'have cut, please report this')


def speedup_receipt(full: nn.Module, subnet: nn.Module, space: WidthSpace, widths: Subnet,
                    runtimes: Optional[Sequence[str]] = None, threads: Optional[int] = None, batch: int = 1,
                    throughput_batch: Optional[int] = 8, rounds: int = 3, seed: int = 0) -> Dict[str, Any]:
    """The receipt of ``subnet`` (a plain model of ``widths``) against ``full`` (the same model at full width):
    FLOPs and params as the space counts them, the ONNX file of each, and the latency of each on every runtime
    (default :func:`receipt_runtimes`) at ``batch`` (``latency_ms``) and at ``throughput_batch`` (``throughput_ms``,
    None: not timed), timed in ``rounds`` interleaved rounds (:meth:`Runtime.measure_interleaved`) with ``threads``
    (default: torch's intra-op threads) on every runtime. Both models run the space's traced entry."""
    graph = space.graph
    threads = threads or torch.get_num_threads()
    entries = [TensorEntry(model, graph.entry).eval() for model in (full, subnet)]
    params = _compare(space.params(space.full()), space.params(widths))
    sizes = _compare(*(len(onnx_bytes(entry, [torch.zeros(1, *graph.input_shape)])) for entry in entries))
    check_onnx_shrink(sizes, params)  # before spending time on timings
    generator = torch.Generator().manual_seed(seed)
    receipt = dict(format=RECEIPT_FORMAT, version=1, entry=graph.entry, input_shape=list(graph.input_shape),
                   flops=_compare(space.flops(space.full()), space.flops(widths)), params=params, onnx_bytes=sizes,
                   latency_ms={}, throughput_ms={}, runtimes={}, machine=None)
    devices = set()
    try:
        for name in runtimes or receipt_runtimes():
            runtime = build_runtime(name, threads)
            devices.add(runtime.device)
            receipt['runtimes'][runtime.name] = runtime.record()
            for key, size in (('latency_ms', batch), ('throughput_ms', throughput_batch)):
                if size:
                    inputs = [torch.randn(size, *graph.input_shape, generator=generator)]
                    runs = [runtime.prepare(entry, inputs) for entry in entries]
                    timings = runtime.measure_interleaved(runs, rounds)
                    receipt[key][runtime.name] = dict(_compare(*[round(ms, 4) for ms in timings]), batch=size,
                                                      threads=threads)
    finally:
        for model in (full, subnet):  # a CUDA runtime moved them
            model.cpu()
    receipt['machine'] = machine_record(next((d for d in devices if d.startswith('cuda')), 'cpu'))
    return receipt


def format_receipt(receipt: Dict[str, Any]) -> str:
    """The receipt as the lines a tool prints: each figure full -> subnet with its ratio."""
    def line(label: str, entry: dict, unit: str, scale: float = 1) -> str:
        return (f'  {label:<42} {entry["full"] / scale:>10.3f} -> {entry["subnet"] / scale:>10.3f} {unit:<6} '
                f'({entry["ratio"]:.3f}x)')

    lines = [line('FLOPs', receipt['flops'], 'M', 1e6), line('params', receipt['params'], 'M', 1e6),
             line('ONNX file', receipt['onnx_bytes'], 'MB', 1e6)]
    for key, what in (('latency_ms', 'latency'), ('throughput_ms', 'batch time')):
        for name, entry in receipt[key].items():
            label = f'{what} {name} (batch {entry["batch"]}, {entry["threads"]} thr)'
            lines.append(line(label, entry, 'ms') + f'  speed-up {1 / entry["ratio"]:.2f}x')
    return '\n'.join(lines)
