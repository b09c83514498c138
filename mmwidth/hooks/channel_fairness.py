"""How evenly a width supernet trains its channels."""
import json
import os.path as osp
from typing import Dict, Optional

import torch
from mmengine.dist import master_only
from mmengine.hooks import Hook

from ..algorithms.base import algorithm_of
from ..registry import HOOKS
from ..supernet.channel_usage import ChannelUsage


@HOOKS.register_module()
class ChannelFairnessHook(Hook):
    """Counts how many times each channel of each searchable group took part in a trained forward pass, and
    logs ``fairness/cv``: the coefficient of variation (std / mean) of the counts over all searchable channels.

    The counts come from what the dynamic layers actually used (each group's first producing layer reports its
    channels on every forward pass with gradients), not from what the sampler meant to train. They are kept in
    checkpoints; at the end of training a per-group picture (``<out_file>.png``) and the raw counts
    (``<out_file>.json``) are written to the work directory.
    """
    priority = 'NORMAL'  # before LoggerHook, so that the logged cv is this iteration's

    def __init__(self, interval: int = 10, out_file: str = 'channel_fairness'):
        self.interval = interval
        self.out_file = out_file
        self.usage: Optional[ChannelUsage] = None
        self._restored: Optional[Dict[str, torch.Tensor]] = None  # counts read from a checkpoint

    def before_train(self, runner) -> None:
        self.usage = ChannelUsage(algorithm_of(runner, type(self).__name__).supernet, self._restored)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self.every_n_train_iters(runner, self.interval) or self.is_last_train_iter(runner):
            runner.message_hub.update_scalar('train/fairness/cv', self.usage.coefficient_of_variation())

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.usage is not None:
            checkpoint['channel_fairness'] = {name: c.clone() for name, c in self.usage.counts.items()}

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        saved = checkpoint.get('channel_fairness')
        if saved is not None:
            self._restored = {name: c.cpu().long() for name, c in saved.items()}

    @master_only
    def after_train(self, runner) -> None:
        path = osp.join(runner.work_dir, self.out_file)
        cv = self.usage.coefficient_of_variation()
        with open(f'{path}.json', 'w') as f:
            json.dump(dict(cv=cv, counts={name: c.tolist() for name, c in self.usage.counts.items()}), f)
        self._plot(f'{path}.png', cv)
        runner.logger.info(f'channel fairness: cv {cv:.4f}; per-group counts in {path}.png')

    def _plot(self, path: str, cv: float) -> None:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
        names = list(self.usage.counts)
        cols = min(4, len(names))
        rows = -(-len(names) // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.4 * rows), squeeze=False)
        for ax, name in zip(axes.flat, names):
            counts = self.usage.counts[name].numpy()
            ax.bar(range(len(counts)), counts, width=1.0, color='tab:blue')
            ax.set_title(name, fontsize=8)
            ax.set_xlabel('channel', fontsize=7)
            ax.set_ylabel('trained passes', fontsize=7)
            ax.tick_params(labelsize=6)
        for ax in list(axes.flat)[len(names):]:
            ax.axis('off')
        fig.suptitle(f'Channel fairness: how often each channel was trained (cv {cv:.3f})')
        fig.tight_layout()
        fig.savefig(path, dpi=90)
        plt.close(fig)
