"""Evaluating one supernet's subnets, one after another, on the same split: MMEngine's ValLoop on cached
batches."""
import logging
from typing import List, Optional, Tuple

import torch
from mmengine.logging import print_log
from mmengine.runner import ValLoop
from mmengine.runner.amp import autocast
from torch import nn

from ..registry import LOOPS


@LOOPS.register_module()
class SubnetValLoop(ValLoop):
    """MMEngine's ``ValLoop`` (its dataloader, evaluator and ``fp16`` autocast) for scoring many subnets of one
    model on the same split.

    The split's batches go through the data pipeline and the model's data preprocessor once and are kept, on
    the model's device, when they fit in ``max_cache_mb`` (else they are read again for every subnet). The
    runner's validation hooks are not called: they belong to a training's own validation (e.g.
    ``SubnetNormRecalibrationHook`` would recalibrate the supernet's largest subnet over the candidate's
    statistics). The evaluation can be split (:meth:`process` part of the batches, :meth:`peek` at the metrics
    so far, go on), which racing uses.

    Args:
        runner: the runner (builds the dataloader and the evaluator, as for ``ValLoop``).
        dataloader: the split's loader (a config or a built loader).
        evaluator: its evaluator (a config or a built one).
        model: the model whose active subnet is evaluated (not wrapped: a subnet's evaluation runs no DDP
            forward; under distributed runs the sampler shares the split out and the evaluator gathers results).
        fp16: evaluate under autocast, as ``ValLoop(fp16=True)``.
        cache: keep the preprocessed batches.
        max_cache_mb: the most memory the cache may take.
    """

    def __init__(self, runner, dataloader, evaluator, model: nn.Module, fp16: bool = False, cache: bool = True,
                 max_cache_mb: float = 4096):
        super().__init__(runner, dataloader, evaluator, fp16)
        self.model = model
        self.cache = cache
        self.max_cache_mb = max_cache_mb
        self._cached: Optional[List[Tuple[dict, int]]] = None
        self._samples = 0  # samples processed since the last evaluation, on this rank

    def _batches(self):
        """(preprocessed batch, number of samples) per batch, from the cache once it is filled."""
        if self._cached is not None:
            yield from self._cached
            return
        cached, size = [], 0.0
        for batch in self.dataloader:
            data = self.model.data_preprocessor(batch, False)
            item = (data, len(data['data_samples']) if data.get('data_samples') is not None else len(data['inputs']))
            if self.cache and cached is not None:
                size += sum(t.numel() * t.element_size() for t in data.values() if isinstance(t, torch.Tensor))
                if size / 2**20 > self.max_cache_mb:
                    print_log(f'the search split does not fit the cache ({self.max_cache_mb:g} MB, '
                              'SupernetScorer.max_cache_mb): it is read again for every subnet', logger='current',
                              level=logging.WARNING)
                    cached = None
                else:
                    cached.append(item)
            yield item
        if self.cache and cached is not None:
            self._cached = cached

    @torch.no_grad()
    def process(self, start: int = 0, stop: Optional[int] = None) -> int:
        """Evaluates the active subnet on batches ``start:stop``, adding their results to the evaluator's.
        Returns the number of samples this rank has processed since the last :meth:`evaluate`."""
        self.model.eval()
        for index, (data, samples) in enumerate(self._batches()):
            if index < start:
                continue
            if stop is not None and index >= stop:
                break
            with autocast(enabled=self.fp16):
                outputs = self.model(data['inputs'], data.get('data_samples'), mode='predict')
            self.evaluator.process(data_samples=outputs, data_batch=data)
            self._samples += samples
        return self._samples

    def results(self) -> list:
        """The evaluator's results so far (to come back to after evaluating another subnet)."""
        return [list(metric.results) for metric in self.evaluator.metrics]

    def restore(self, results: list, samples: int) -> None:
        for metric, kept in zip(self.evaluator.metrics, results):
            metric.results = list(kept)
        self._samples = samples

    def evaluate(self, size: Optional[int] = None) -> dict:
        """The metrics of what was processed (``size`` samples over all ranks: the whole split by default)."""
        self._samples = 0
        return self.evaluator.evaluate(len(self.dataloader.dataset) if size is None else size)

    def peek(self, size: int) -> dict:
        """The metrics of what was processed so far (``size`` samples over all ranks), keeping the results to go
        on with."""
        kept, samples = self.results(), self._samples
        metrics = self.evaluate(size)
        self.restore(kept, samples)
        return metrics

    def run(self) -> dict:
        """The metrics of the active subnet on the whole split."""
        self.process()
        return self.evaluate()
