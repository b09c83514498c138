"""Library side of tools/analysis/latency_table.py: a config's per-layer latency table, built and saved."""
import os.path as osp
from typing import Optional, Sequence

from ..latency.runtimes import build_runtime
from ..latency.table import LatencyTable
from ..utils.errors import ConfigError
from .analysis import ConfigLike, load_model_and_space


def build_latency_table(config: ConfigLike, out: str, runtime: str = 'onnxruntime', threads: Optional[int] = None,
                        batch: int = 1, scope: Optional[str] = None, grid: int = 6, anchors: int = 10,
                        probe_divisor: bool = True, input_shape: Optional[Sequence[int]] = None,
                        cfg_options: Optional[dict] = None, progress: bool = True) -> LatencyTable:
    """Measures the latency table of a config's width space on ``runtime`` of this machine (see
    :meth:`LatencyTable.build`) and writes it to ``out``; a table for a supernet config serves its search
    configs (same model, same input size)."""
    if osp.isdir(out):
        raise ConfigError(f'--out {out} is a directory; the latency table is one JSON file')
    if batch < 1:
        raise ConfigError(f'--batch must be a positive number, got {batch}')
    engine = build_runtime(runtime, threads)
    model, space, _ = load_model_and_space(config, input_shape, cfg_options)
    bar = None

    def advance(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            from mmengine.utils import ProgressBar
            bar = ProgressBar(total)
        bar.update()

    table = LatencyTable.build(model, space, engine, batch=batch, scope=scope, grid=grid, anchors=anchors,
                               probe_divisor=probe_divisor, progress=advance if progress else None)
    if bar is not None:
        print()
    table.save(out)
    return table
