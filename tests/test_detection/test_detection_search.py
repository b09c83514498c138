"""A digits detector supernet searched by mmdet's CocoMetric (box mAP on the held-out part of `train`), through the
command-line tools, as the classification search is tested: the exported detector scores in tools/test.py what
the search scored, a killed search resumes to the same result, 2 processes agree with 1."""
import json
import os
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from test_search.test_supernet_search import free_port, kill_after_the_first_generation, ok, tool

ROOT = Path(__file__).resolve().parents[2]
SUPERNET = 'configs/bcnet/bcnet_fcos_r18-narrow_fpn_digits.py'
SEARCH = 'configs/bcnet/bcnet_fcos_r18-narrow_fpn_search_digits.py'
# a small held-out part, and every prediction kept (a briefly trained detector scores low, but not 0)
DATA = ['train_dataloader.dataset.holdout=32', 'search_dataloader.dataset.holdout=32',
        'model.architecture.test_cfg.score_thr=0.0', 'model.architecture.test_cfg.max_per_img=20']
SMALL = DATA + ['train_cfg.scorer.calibration_batches=2', 'train_cfg.population_size=4', 'train_cfg.top_k=2',
                'train_cfg.num_mutation=2', 'train_cfg.num_crossover=2', 'train_cfg.max_generations=2',
                'train_cfg.max_evaluations=6']
TRAIN_ITERS = 40


@pytest.fixture(scope='module')
def supernet(tmp_path_factory) -> Path:
    work_dir = tmp_path_factory.mktemp('detector_supernet')
    ok(tool('train.py', SUPERNET, '--work-dir', str(work_dir), '--cfg-options', *DATA,
            f'train_cfg.max_iters={TRAIN_ITERS}', 'train_cfg.val_interval=1000',
            f'default_hooks.checkpoint.interval={TRAIN_ITERS}'))
    return work_dir / f'iter_{TRAIN_ITERS}.pth'


def search(supernet: Path, work_dir: Path, *extra: str, **kwargs) -> dict:
    ok(tool('search.py', SEARCH, '--checkpoint', str(supernet), '--work-dir', str(work_dir), *extra,
            '--cfg-options', *SMALL, **kwargs))
    return json.loads((work_dir / 'search_result.json').read_text())


@pytest.fixture(scope='module')
def searched(supernet, tmp_path_factory) -> Path:
    work_dir = tmp_path_factory.mktemp('detector_search')
    search(supernet, work_dir)
    return work_dir


def test_search_scores_by_box_map_within_the_backbone_budget(searched):
    result = json.loads((searched / 'search_result.json').read_text())
    assert result['budget']['scope'] == 'backbone'
    limit = result['budget']['limits']['flops']
    assert result['backbone_flops'] <= limit < result['flops']
    scores = [entry['score'] for entry in result['history']]
    # box mAPs of distinct candidates: in [0, 1], not all equal (the detector found something)
    assert all(0 <= s <= 1 for s in scores) and len(set(scores)) > 1
    assert all(entry['backbone_flops'] <= limit for entry in result['history'])


@pytest.fixture(scope='module')
def exported(supernet, searched, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp('detector_subnet')
    ok(tool('export_subnet.py', SEARCH, str(searched / 'search_result.json'), '--checkpoint', str(supernet),
            '--out', str(out), '--cfg-options', *SMALL))
    return out


def test_exported_detector_scores_what_the_search_scored(searched, exported, tmp_path):
    result = json.loads((searched / 'search_result.json').read_text())
    side = max(result['patterns'], key=result['patterns'].get)
    # the search scored on the held-out part of `train`: test the exported detector on the same images
    same_split = tmp_path / 'held_out_test.py'
    same_split.write_text(f"_base_ = ['{exported / 'config.py'}']\n"
                          'test_dataloader = dict(_base_.search_dataloader, _delete_=True)\n'
                          'test_evaluator = _base_.search_evaluator\n')
    ok(tool('test.py', str(same_split), str(exported / 'model.pth'), '--work-dir', str(tmp_path / 'test'), '--out',
            str(tmp_path / 'metrics.json'), '--out-item', 'metrics', '--cfg-options', *DATA))
    box_map = json.loads((tmp_path / 'metrics.json').read_text())['coco/bbox_mAP']
    assert box_map == pytest.approx(result['patterns'][side], abs=1e-3)  # 0.1 points of mAP


def test_exported_detector_fine_tunes(exported, tmp_path):
    ok(tool('train.py', str(exported / 'config.py'), '--work-dir', str(tmp_path), '--cfg-options', *DATA,
            'train_cfg.max_iters=2', 'train_cfg.val_interval=1000', 'default_hooks.checkpoint.interval=2'))
    assert (tmp_path / 'iter_2.pth').is_file()


def test_exported_detector_onnx_file_shrinks_with_its_params(exported, tmp_path):
    pytest.importorskip('onnx', reason='torch.onnx.export needs the onnx package')
    from mmwidth.apis.export import export_onnx
    from mmwidth.utils.config import build_model, load_config

    full_cfg = load_config(str(ROOT / SUPERNET))
    full = build_model(Config(dict(default_scope=full_cfg.default_scope, model=full_cfg.model.architecture)))
    found_cfg = load_config(str(exported / 'config.py'))
    found = build_model(found_cfg)
    found.load_state_dict(torch.load(exported / 'model.pth', weights_only=False)['state_dict'])
    sizes, params = [], []
    for name, model in (('full', full), ('found', found)):
        path = export_onnx(model, str(tmp_path / f'{name}.onnx'), (3, 64, 64))
        sizes.append(os.path.getsize(path))
        params.append(sum(p.numel() for p in model.parameters()))
    size_ratio, params_ratio = sizes[1] / sizes[0], params[1] / params[0]
    assert params_ratio < 0.9  # the found backbone is physically smaller ...
    assert size_ratio == pytest.approx(params_ratio, abs=0.03)  # ... and so is its ONNX file


def test_killed_detector_search_resumes_to_the_same_result(supernet, searched, tmp_path):
    straight = json.loads((searched / 'search_result.json').read_text())
    work_dir = tmp_path / 'killed'
    kill_after_the_first_generation(SEARCH, supernet, work_dir, SMALL)
    resumed = search(supernet, work_dir, '--resume')
    assert resumed['subnet'] == straight['subnet'] and resumed['history'] == straight['history']


def test_two_process_detector_search_finds_what_one_finds(supernet, searched, tmp_path):
    single = json.loads((searched / 'search_result.json').read_text())
    double = search(supernet, tmp_path / 'two', launcher=free_port())
    assert double['subnet'] == single['subnet']
    assert [e['score'] for e in double['history']] == [e['score'] for e in single['history']]
