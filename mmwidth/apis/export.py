"""Library side of tools/export_subnet.py: a searched subnet as a plain model, its weights and its config."""
import copy
import json
import os
import os.path as osp
from typing import Optional, Sequence

import torch
from mmengine.config import Config

from ..export.static_model import export_static_model
from ..latency.receipt import speedup_receipt
from ..supernet.calibration import Calibration, recalibrate
from ..supernet.subject import SearchSubject, plain_space_options
from ..space.subnet_file import has_kept_indices, kept_index_sets, load_subnet, save_subnet
from ..utils.checkpoint import load_weights_strictly, model_record, save_checkpoint_atomically
from ..utils.config import base_training_cfg, build_model, load_config, search_loop_type
from ..utils.errors import ConfigError
from ..utils.files import atomic_write
from ..utils.model_call import WHOLE_FORWARD, TensorEntry, entry_outputs

CALIBRATIONS = ('search', 'config')
# Hooks that only make sense on a supernet (or, Dagger's, on the gated network).
SUPERNET_HOOKS = ('mmwidth.ChannelFairnessHook', 'mmwidth.SubnetNormRecalibrationHook', 'mmwidth.DaggerGatingHook')


def _calibration(cfg: Config, subnet_file: str, calibration: str) -> Calibration:
    """How to recalibrate batch norms: the calibration loader of the config's search scorer (the training loader
    unless ``train_cfg.scorer`` names another), with the batches and seed of the search (``'search'``: as its
    ``search_result.json`` records them, so that the export scores what the search scored), or of the config's
    scorer settings (``'config'``, and for a plain subnet file)."""
    if cfg.get('train_dataloader') is None:
        raise ConfigError('exporting recalibrates batch norms: the config needs a train_dataloader')
    train_cfg = cfg.get('train_cfg') or {}
    configured = Calibration.from_scorer_cfg(cfg, train_cfg.get('scorer') or {})
    recorded = recorded_calibration(subnet_file) if calibration == 'search' else None
    if not recorded:
        return configured
    if json.loads(json.dumps(configured.loader_cfg, default=str)) != recorded['loader_cfg']:
        raise ConfigError(f'{subnet_file}: the search calibrated on another loader than this config\'s '
                          'calibration loader; export with the search\'s config, or with --calibration config')
    return Calibration(configured.loader_cfg, recorded['num_batches'], recorded['seed'])


def _search_result(subnet_file: str) -> dict:
    """The content of a search result (an empty dict for a plain subnet file, or one that load_subnet will
    refuse)."""
    try:
        with open(subnet_file) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and 'subnet' in data else {}


def recorded_calibration(subnet_file: str) -> Optional[dict]:
    """The batch-norm recalibration a search result records its scores were made with (None: a plain subnet
    file, or a search without one, e.g. an oracle's)."""
    return (_search_result(subnet_file).get('scoring') or {}).get('calibration')


def _best_pattern(subnet_file: str) -> Optional[str]:
    """The best-scoring side or placement of a search result (None for a plain subnet file)."""
    patterns = _search_result(subnet_file).get('patterns')
    return max(patterns, key=patterns.get) if patterns else None


def export_subnet(config, subnet_file: str, checkpoint: str, out_dir: str, side: Optional[str] = None,
                  calibration: str = 'search', receipt: Optional[dict] = None) -> dict:
    """Writes ``out_dir/model.pth`` (the subnet's weights inherited from the supernet, with batch-norm statistics
    recalibrated as in the search), ``out_dir/config.py`` (builds that plain model for tools/test.py and
    tools/train.py) and ``out_dir/subnet.json``; with ``receipt`` (the options of
    :func:`mmwidth.latency.receipt.speedup_receipt`, ``{}`` for its defaults) also ``out_dir/receipt.json``, the
    subnet against the full model in FLOPs, params, ONNX bytes and measured latency.

    ``side`` picks the subnet that stands for the widths: ``left``/``right`` for BCNet, ``placement<k>`` for
    CafeNet; by default the best-scoring one of a search result, else the first. A subnet file that lists the
    kept channels (``{"channels": k, "indices": [...]}``, e.g. Dagger's) exports exactly those (side ``kept``).
    ``calibration``: ``'search'`` recalibrates as a search result records it, ``'config'`` as the config's
    ``train_cfg.scorer`` says (see :func:`_calibration`).
    """
    if calibration not in CALIBRATIONS:
        raise ConfigError(f'calibration must be one of {CALIBRATIONS}, got {calibration!r}')
    if osp.exists(out_dir) and not osp.isdir(out_dir):
        raise ConfigError(f'--out {out_dir} is a file; export writes a directory')
    cfg = config if isinstance(config, Config) else load_config(config)
    model = build_model(cfg)
    load_weights_strictly(model, checkpoint)
    subject = SearchSubject.from_model(model, cfg)
    entries = load_subnet(subnet_file)
    widths = subject.space.check_subnet(entries, source=f'subnet file {subnet_file}')
    if has_kept_indices(entries):  # the file names the kept channels themselves (a pruning result)
        patterns = dict(kept=kept_index_sets(entries, subject.space.full()))
    else:
        entries, patterns = widths, subject.patterns(widths)
    side = side or _best_pattern(subnet_file) or next(iter(patterns))
    if side not in patterns:
        raise ConfigError(f'--side {side} is not one of this supernet\'s subnets: {sorted(patterns)}')
    batches = _calibration(cfg, subnet_file, calibration).draw()
    architecture = subject.architecture
    with subject.supernet.subnet(patterns[side]):
        recalibrate(subject.model, batches)
        static = export_static_model(architecture, subject.space, patterns[side])
        _check_same_outputs(subject.model, architecture, static, batches[0], subject.space.graph.entries)
    if receipt is not None:  # measured before anything is written: a receipt that fails leaves no export
        receipt = speedup_receipt(_full_model(subject), static, subject.space, widths, **receipt)
    os.makedirs(out_dir, exist_ok=True)
    weights = osp.join(out_dir, 'model.pth')
    # what CheckpointFitHook checks when the exported config loads it: an export of exactly this subnet
    record = dict(model='SlimmedModel', subnet=widths, space=subject.space.fingerprint(),
                  supernet=dict(model_record(model), checkpoint=checkpoint, side=side))
    save_checkpoint_atomically(dict(meta=dict(mmwidth=record), state_dict=static.state_dict()), weights)
    save_subnet(osp.join(out_dir, 'subnet.json'), {name: entries[name] for name in widths})
    with atomic_write(osp.join(out_dir, 'config.py')) as f:
        f.write(_exported_config(cfg, subject, widths, osp.abspath(weights)).pretty_text)
    exported = dict(model=weights, config=osp.join(out_dir, 'config.py'), subnet=osp.join(out_dir, 'subnet.json'),
                    side=side, flops=subject.space.flops(widths), params=subject.space.params(widths))
    if receipt is not None:
        exported.update(receipt=receipt, receipt_file=osp.join(out_dir, 'receipt.json'))
        with atomic_write(exported['receipt_file']) as f:
            json.dump(receipt, f, indent=2)
    return exported


def _full_model(subject: SearchSubject) -> torch.nn.Module:
    """The architecture at full width as a plain model, what a receipt compares the export with."""
    full = next(iter(subject.patterns(subject.space.full()).values()))
    with subject.supernet.subnet(full):
        return export_static_model(subject.architecture, subject.space, full).eval()


@torch.no_grad()
def _check_same_outputs(model, architecture, static, batch, entries: Sequence[str]) -> None:
    """The exported model must compute what the supernet's subnet computes, loss-path heads included (a guard
    against silent errors)."""
    data = model.data_preprocessor(batch, False)
    architecture.eval()
    static.eval()
    expected = entry_outputs(architecture, data['inputs'], entries)
    got = entry_outputs(static, data['inputs'], entries)
    if any(a.shape != b.shape or not torch.allclose(a, b, atol=1e-4, rtol=1e-4) for a, b in zip(expected, got)):
        raise RuntimeError('the exported model does not reproduce the supernet subnet; please report this')


def _exported_config(cfg: Config, subject: SearchSubject, widths: dict, weights: str) -> Config:
    exported = copy.deepcopy(cfg)
    if 'architecture' in cfg.model:  # a width-search algorithm: keep what it wraps, grouped by its own options
        architecture, space = cfg.model.architecture, dict(subject.model.space_cfg)
    else:
        architecture, space = dict(cfg.model), plain_space_options(cfg)
    exported.model = dict(type='mmwidth.SlimmedModel', architecture=architecture, channels=widths,
                          width_space=space)
    exported.custom_hooks = [h for h in cfg.get('custom_hooks', []) if h.get('type') not in SUPERNET_HOOKS]
    if search_loop_type(cfg) is not None:  # a search config: fine-tuning trains as its supernet was trained
        exported.train_cfg = base_training_cfg(cfg.filename) if cfg.filename else None
    exported.load_from = weights  # fine-tuning starts from the inherited weights; set None to train from scratch
    exported.resume = False
    for key in ('width_space', 'work_dir'):
        exported.pop(key, None)
    return exported


def export_onnx(model: torch.nn.Module, out_file: str, input_shape, entry: str = WHOLE_FORWARD) -> str:
    """Writes ``model`` (e.g. an exported subnet built from its ``config.py``) as an ONNX file of its tensor-mode
    forward (a detector: backbone, neck and head outputs; ``entry='extract_feat'``: backbone and neck only, for
    two-stage detectors) on one input of ``input_shape`` (C, H, W). Needs the ``onnx`` package."""
    model.eval()
    with torch.no_grad():
        torch.onnx.export(TensorEntry(model, entry), (torch.zeros(1, *input_shape), ), out_file, dynamo=False,
                          input_names=['inputs'])
    return out_file
