"""Pruning on the digit pairs, for search_vs_uniform.py: Dagger's kept channels and the uniform-width subnet, both
cut from one pretrained full network and fine-tuned the same way.

The full network (all-4 arch of the ground truth's space) is trained with the table's recipe (seed 0) and saved
as a checkpoint of the space's digit-pairs supernet, which Dagger (``configs/dagger/dagger_cbm-resnet-8-16_
digit-pairs.py``) loads to gate to the budget, and from which the uniform subnet is exported (the leftmost
channels). Each exported model (weights inherited, batch norms recalibrated by ``export_subnet``) is fine-tuned
with :func:`fine_tune_recipe` and tested on the test pairs. Everything is kept under ``<work-dir>/pruning/``.
"""
import dataclasses
import os
import os.path as osp

import torch

from digit_pairs_supernets import config_path, read_json, write_json
from mmwidth.apis.export import export_subnet
from mmwidth.ground_truth.standalone import PairTensors, Recipe, build_subnet, evaluate, fit, train_subnet
from mmwidth.search.uniform import uniform_subnet
from mmwidth.space.subnet_file import load_subnet, save_subnet
from mmwidth.utils.checkpoint import load_checkpoint_file, model_record, save_checkpoint_atomically
from mmwidth.utils.config import build_model, load_config
from mmwidth.utils.entry_points import build_runner
from mmwidth.utils.errors import WidthSearchError

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DAGGER = osp.join(ROOT, 'configs', 'dagger', 'dagger_cbm-resnet-8-16_digit-pairs.py')
# the supernet whose checkpoint layout holds the pretrained full network (any method's: the same architecture)
HOLDER = config_path('bcnet')


def fine_tune_recipe(recipe: Recipe) -> Recipe:
    """Fine-tuning a pruned model: half the table's iterations at a tenth of its learning rate."""
    return dataclasses.replace(recipe, lr=recipe.lr / 10, iterations=recipe.iterations // 2)


def pretrained_full(recipe: Recipe, space, data: PairTensors, root: str) -> str:
    """The checkpoint of the full network trained with the table's recipe (seed 0), trained on first use."""
    path = osp.join(root, 'full.pth')
    if osp.isfile(path):
        return path
    torch.manual_seed(0)
    network = build_subnet(recipe, space.full())
    fit(network, recipe, 0, data)
    holder = build_model(load_config(HOLDER))
    os.makedirs(root, exist_ok=True)
    holder.architecture.load_state_dict(network.state_dict(), strict=True)
    save_checkpoint_atomically(dict(meta=dict(mmwidth=model_record(holder)), state_dict=holder.state_dict()), path)
    write_json(osp.join(root, 'full.json'),
               dict(test_top1=evaluate(network, data.images['test'], data.labels['test'])))
    return path


def dagger_export(budget: float, full: str, root: str) -> str:
    """The export directory of Dagger's kept channels at ``budget`` of the FLOPs (gated from ``full``)."""
    work = osp.join(root, f'budget{budget * 100:g}', 'dagger')
    out = osp.join(work, 'export')
    if not osp.isfile(osp.join(out, 'model.pth')):
        cfg = load_config(DAGGER)
        cfg.merge_from_dict({'load_from': full, 'model.flops_target': budget, 'work_dir': work,
                             'experiment_name': 'dagger', 'log_level': 'WARNING'})
        build_runner(cfg).train()
        if not osp.isfile(osp.join(work, 'subnet.json')):
            raise WidthSearchError(f'Dagger did not reach {budget:.0%} of the FLOPs in {cfg.train_cfg.max_iters} '
                                   'iterations')
        with open(osp.join(work, 'last_checkpoint')) as f:
            gated = f.read().strip()
        export_subnet(load_config(DAGGER), osp.join(work, 'subnet.json'), gated, out)
    return out


def uniform_export(budget: float, space, full: str, root: str) -> str:
    """The export directory of the uniform-width subnet at ``budget`` (its leftmost channels of ``full``)."""
    work = osp.join(root, f'budget{budget * 100:g}', 'uniform')
    out = osp.join(work, 'export')
    if not osp.isfile(osp.join(out, 'model.pth')):
        subnet = osp.join(work, 'subnet.json')
        os.makedirs(work, exist_ok=True)
        save_subnet(subnet, uniform_subnet(space, budget * space.flops(space.full())))
        export_subnet(load_config(HOLDER), subnet, full, out, side='left')
    return out


def fine_tuned(recipe: Recipe, space, export_dir: str, seeds: int, data: PairTensors) -> dict:
    """Test top-1 of an exported model after :func:`fine_tune_recipe` with each seed (cached beside it)."""
    path = osp.join(export_dir, 'fine_tuned.json')
    runs = read_json(path) or {}
    subnet = osp.join(export_dir, 'subnet.json')
    channels = space.check_subnet(load_subnet(subnet), source=f'subnet file {subnet}')
    weights = load_checkpoint_file(osp.join(export_dir, 'model.pth'))['state_dict']
    for seed in range(seeds):
        if str(seed) not in runs:
            runs[str(seed)] = train_subnet(fine_tune_recipe(recipe), channels, seed, data, weights=weights)
            write_json(path, runs)
    return dict(channels=channels, accuracy=[runs[str(seed)]['accuracy'] for seed in range(seeds)])


def pruned_rows(recipe: Recipe, budget: float, space, data: PairTensors, seeds: int, work_dir: str) -> list:
    """(name, channels, fine-tuned test top-1 per seed) of Dagger and of the uniform subnet at ``budget``."""
    root = osp.join(work_dir, 'pruning')
    full = pretrained_full(recipe, space, data, root)
    exports = dict(dagger=dagger_export(budget, full, root), uniform=uniform_export(budget, space, full, root))
    return [(f'{name} (fine-tuned)', fine_tuned(recipe, space, export_dir, seeds, data))
            for name, export_dir in exports.items()]
