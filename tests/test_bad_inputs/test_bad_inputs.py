"""The cases of issue 21, walked through the real tools on the digits configs: every wrong checkpoint, missing
weight, config mistake, bad path and bad data set ends with exit status 2 and exactly one ``error:`` line that
names the problem, and nothing is written as a result (no checkpoint, search state or result, metrics, export).
A new case joins the table ``CASES``."""
import errno
import json
import os
import shutil
from pathlib import Path

import pytest
import torch
from conftest import DIGITS_SEARCH as SEARCH
from conftest import DIGITS_SUPERNET as SUPERNET
from conftest import ROOT, one_line_error, tool

from mmwidth.apis.export import export_subnet
from mmwidth.utils.checkpoint import check_fits, model_record, save_checkpoint_atomically
from mmwidth.utils.cli import tool_session
from mmwidth.utils.config import build_model, load_config
from mmwidth.utils.errors import CheckpointError

AUTOSLIM = 'configs/autoslim/autoslim_cbm-resnet_digits.py'
DAGGER = 'configs/dagger/dagger_cbm-resnet_digits.py'
MOSAICS = 'configs/bcnet/bcnet_cbm-resnet_celeba-mosaics.py'
# What a tool writes as a result (and any checkpoint, *.pth); a refused run leaves none of them (the runner's log
# and its copy of the config may stay).
RESULTS = ('search_result.json', 'subnet.json', 'metrics.json', 'last_checkpoint')


@pytest.fixture(scope='module')
def inputs(digits_supernet, tmp_path_factory) -> dict:
    """The trained supernet, a checkpoint of another algorithm (AutoSlim, with the record its runs write) and
    the exports of two subnets (the smallest and the largest) of the supernet."""
    folder = tmp_path_factory.mktemp('inputs')
    autoslim = build_model(load_config(str(ROOT / AUTOSLIM)))
    torch.save(dict(meta=dict(mmwidth=model_record(autoslim)), state_dict=autoslim.state_dict()),
               folder / 'autoslim.pth')
    cfg_options = {'train_cfg.scorer.calibration_batches': 1}
    space = build_model(load_config(str(ROOT / SEARCH))).space
    for name, subnet in (('small', space.smallest()), ('large', space.largest())):
        (folder / f'{name}.json').write_text(json.dumps(subnet))
        export_subnet(load_config(str(ROOT / SEARCH), cfg_options), str(folder / f'{name}.json'),
                      str(digits_supernet), str(folder / name))
    (folder / 'taken').write_text('')
    return dict(ck=digits_supernet, autoslim=folder / 'autoslim.pth', small=folder / 'small',
                large=folder / 'large', subnet=folder / 'small.json', taken=folder / 'taken')


def locked_dir(tmp_path: Path) -> str:
    """A directory nobody may create files in (root ignores file modes: a read-only sysfs then)."""
    if os.geteuid() == 0:
        return '/sys/mmwidth-locked'
    locked = tmp_path / 'locked'
    locked.mkdir(mode=0o500)
    return str(locked)


def celeba_not_utf8(tmp_path: Path) -> str:
    """A CelebA release of two images (40 attributes, as the mosaics config's head has) whose partition list has a
    Latin-1 byte in line 2; the lists are read before any image."""
    root = tmp_path / 'celeba'
    (root / 'img_align_celeba').mkdir(parents=True)
    names = ' '.join(f'attribute{i}' for i in range(40))
    (root / 'list_attr_celeba.txt').write_text(f'2\n{names}\n' + ''.join(f'00000{i}.jpg' + ' -1' * 40 + '\n'
                                                                        for i in (1, 2)))
    (root / 'list_eval_partition.txt').write_bytes(b'000001.jpg 0\n00000\xe92.jpg 0\n')
    return str(root)


SMALL_SEARCH = ('train_cfg.scorer.calibration_batches=1', 'train_cfg.max_evaluations=2')
# (case, tool, its arguments, words of the one error line); {out}: where the tool may write, {work}: its work dir,
# {ck} {autoslim} {small} {large} {subnet} {taken}: the inputs, {locked} {celeba}: made for the case.
CASES = [
    # another algorithm's checkpoint, an export, the supernet on an export, another subnet's export
    ('test_autoslim', 'test.py', [SUPERNET, '{autoslim}', '--work-dir', '{work}', '--out', '{out}/metrics.json',
                                  '--out-item', 'metrics'], ['{autoslim}', 'checkpoint of AutoSlim', 'builds BCNet']),
    ('test_export_as_supernet', 'test.py', [SUPERNET, '{small}/model.pth', '--work-dir', '{work}'],
     ['checkpoint of SlimmedModel, this config builds BCNet']),
    ('test_supernet_as_export', 'test.py', ['{small}/config.py', '{ck}', '--work-dir', '{work}'],
     ['checkpoint of BCNet, this config builds SlimmedModel']),
    ('test_other_subnet', 'test.py', ['{small}/config.py', '{large}/model.pth', '--work-dir', '{work}'],
     ['{large}/model.pth', 'another subnet']),
    ('resume_autoslim', 'train.py', [SUPERNET, '--resume', '{autoslim}', '--work-dir', '{work}'],
     ['checkpoint of AutoSlim']),
    ('load_from_autoslim', 'train.py', [SUPERNET, '--work-dir', '{work}', '--cfg-options', 'load_from={autoslim}'],
     ['checkpoint of AutoSlim']),
    ('search_without_weights', 'search.py', [SEARCH, '--work-dir', '{work}'], ['--checkpoint']),
    ('train_search_without_weights', 'train.py', [SEARCH, '--work-dir', '{work}'],
     ['SupernetScorer scores the subnets of a trained supernet', 'load_from=SUPERNET.pth']),
    # a supernet config with a search half-defined: never a silent retraining
    ('old_search_cfg', 'train.py', [SUPERNET, '--work-dir', '{work}', '--cfg-options', 'search_cfg.budget.flops=50%'],
     ['search_cfg is no longer read']),
    ('search_settings_under_training', 'train.py', [SUPERNET, '--work-dir', '{work}', '--cfg-options',
                                                    'train_cfg.budget.flops=50%'],
     ['train_cfg has search settings (budget)', 'IterBasedTrainLoop']),
    ('search_loop_without_delete', 'train.py', [SUPERNET, '--work-dir', '{work}', '--cfg-options', 'load_from={ck}',
                                                'train_cfg.type=mmwidth.EvolutionSearchLoop',
                                                'train_cfg.budget.flops=50%'],
     ['mixes EvolutionSearchLoop', 'max_iters', '_delete_=True']),
    ('search_resume_checkpoint', 'train.py', [SEARCH, '--work-dir', '{work}', '--resume', '{ck}'],
     ['--resume takes no checkpoint for a search config']),
    ('search_resume_true', 'train.py', [SEARCH, '--work-dir', '{work}', '--cfg-options', 'load_from={ck}',
                                        'resume=True'], ["resume=True would resume the supernet's training"]),
    # config mistakes
    ('bins', 'train.py', [SUPERNET, '--work-dir', '{work}', '--cfg-options', 'model.width_space.bins=x'],
     ["bins must be an integer, got 'x'"]),
    ('model_key_typo', 'train.py', [SUPERNET, '--work-dir', '{work}', '--cfg-options', 'model.width_spcae.bins=4'],
     ['BCNet', "unexpected keyword argument 'width_spcae'"]),
    ('scope_nothere', 'train.py', [SUPERNET, '--work-dir', '{work}', '--cfg-options',
                                   'model.width_space.scope=[nothere]'], ["no searchable channel group", 'nothere']),
    ('budget_key_typo', 'search.py', [SEARCH, '--checkpoint', '{ck}', '--work-dir', '{work}', '--cfg-options',
                                      'train_cfg.budget.flop=50%', *SMALL_SEARCH], ["'flop' (did you mean 'flops'?)"]),
    ('loop_key_typo', 'search.py', [SEARCH, '--checkpoint', '{ck}', '--work-dir', '{work}', '--cfg-options',
                                    'train_cfg.populaton_size=4', *SMALL_SEARCH],
     ['EvolutionSearchLoop', "'populaton_size'"]),
    ('budget_nan', 'search.py', [SEARCH, '--checkpoint', '{ck}', '--work-dir', '{work}', '--cfg-options',
                                 'train_cfg.budget.flops=nan', *SMALL_SEARCH], ['flops limit', 'got nan']),
    ('cfg_options_nonsense', 'train.py', [SUPERNET, '--work-dir', '{work}', '--cfg-options', 'nonsense'],
     ["--cfg-options: 'nonsense' is not key=value"]),
    ('max_iters_abc', 'train.py', [SUPERNET, '--work-dir', '{work}', '--cfg-options', 'train_cfg.max_iters=abc'],
     ['IterBasedTrainLoop', "'abc'"]),
    # the digits configs' length comment with N <= 20: a documented one-line refusal
    ('schedule_too_short', 'train.py', [SUPERNET, '--work-dir', '{work}', '--cfg-options', 'train_cfg.max_iters=10',
                                        'param_scheduler.1.end=10'], ['end should be larger than begin']),
    # paths
    ('export_out_is_a_file', 'export_subnet.py', [SEARCH, '{subnet}', '--checkpoint', '{ck}', '--out', '{taken}'],
     ['--out {taken} is a file']),
    ('work_dir_not_writable', 'train.py', [SUPERNET, '--work-dir', '{locked}/work'], ['{locked}', 'ermi']),
    ('celeba_not_utf8', 'train.py', [MOSAICS, '--work-dir', '{work}', '--cfg-options', 'train_cfg.max_iters=1',
                                     'train_dataloader.dataset.type=mmwidth.CelebA',
                                     'train_dataloader.dataset.data_root={celeba}'],
     ['{celeba}/list_eval_partition.txt, line 2: not UTF-8 text']),
    # analysis options that would check nothing
    ('verify_random_0', 'analysis/verify_subnet.py', [SUPERNET, '--random', '0'], ['--random: must be a positive']),
    ('verify_negative_atol', 'analysis/verify_subnet.py', [SUPERNET, '--random', '1', '--atol', '-1'],
     ['--atol: must be a number >= 0']),
]


def results_in(folder: Path) -> list:
    return sorted(str(p) for p in folder.rglob('*') if p.name in RESULTS or p.suffix == '.pth')


@pytest.mark.parametrize('case,script,args,words', CASES, ids=[case[0] for case in CASES])
def test_refused_in_one_line_and_nothing_written(inputs, tmp_path, case, script, args, words):
    out = tmp_path / 'out'
    out.mkdir()
    values = dict(inputs, out=out, work=out / 'work')
    if '{locked}' in ' '.join(args):
        values['locked'] = locked_dir(tmp_path)
    if '{celeba}' in ' '.join(args):
        values['celeba'] = celeba_not_utf8(tmp_path)
    result = tool(script, *[arg.format(**values) for arg in args])
    one_line_error(result, *[word.format(**values) for word in words])
    assert results_in(out) == []
    assert inputs['taken'].read_text() == ''


def test_dagger_from_a_supernet_without_frozen_gates_fails(inputs, tmp_path):
    """Dagger starts from the supernet (a deliberate partial load, accepted and logged); its gates cannot freeze
    in 2 iterations: the run fails in one line and writes no subnet.json (its checkpoint can resume)."""
    result = tool('train.py', DAGGER, '--work-dir', str(tmp_path), '--cfg-options', f'load_from={inputs["ck"]}',
                  'model.pretrain_iters=0', 'train_cfg.max_iters=2', 'train_cfg.val_interval=1000')
    one_line_error(result, 'Dagger', 'before the hard gates reached the FLOPs target', 'no subnet.json written')
    assert 'load_partial: ' in result.stdout and 'dagger_module.' in result.stdout
    assert not (tmp_path / 'subnet.json').exists() and (tmp_path / 'iter_2.pth').is_file()


def test_a_full_disk_leaves_the_previous_file_and_one_line(tmp_path, capsys):
    """A checkpoint write that fails midway (ENOSPC) keeps the file that was there and leaves no partial one; the
    tools report it in one line."""
    path = tmp_path / 'iter_1.pth'
    save_checkpoint_atomically(dict(step=1), str(path))

    class FullDisk(dict):
        def __reduce_ex__(self, protocol):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    with pytest.raises(SystemExit) as exit_info, tool_session(json_output=False):
        save_checkpoint_atomically(dict(step=2, disk=FullDisk()), str(path))
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.splitlines() == [f'error: No space left on device: {path}']
    assert torch.load(path) == dict(step=1) and sorted(p.name for p in tmp_path.iterdir()) == ['iter_1.pth']


@pytest.fixture(scope='module')
def searched(inputs, tmp_path_factory) -> Path:
    """The work dir of a finished (2-candidate) search of the supernet, whose state a resume reads."""
    work_dir = tmp_path_factory.mktemp('searched')
    result = tool('search.py', SEARCH, '--checkpoint', str(inputs['ck']), '--work-dir', str(work_dir),
                  '--cfg-options', *SMALL_SEARCH)
    assert result.returncode == 0, result.stderr[-3000:]
    return work_dir


def other_weights(checkpoint: Path, path: Path) -> Path:
    """The checkpoint with one weight changed: the same model and record, other content."""
    content = torch.load(checkpoint)
    key = next(key for key in content['state_dict'] if key.endswith('conv1.weight'))
    content['state_dict'][key] = content['state_dict'][key] + 1
    torch.save(content, path)
    return path


@pytest.mark.parametrize('change,named', [('budget', 'train_cfg.budget.flops was'),
                                          ('loop', 'train_cfg.population_size was'),
                                          ('weights', 'weights was')])
def test_a_resumed_search_refuses_a_changed_setting(inputs, searched, tmp_path, change, named):
    work_dir = tmp_path / 'work'
    shutil.copytree(searched, work_dir)
    before = {name: (work_dir / name).read_bytes() for name in ('search_state.pth', 'search_result.json')}
    checkpoint = other_weights(inputs['ck'], tmp_path / 'other.pth') if change == 'weights' else inputs['ck']
    options = dict(budget=['train_cfg.budget.flops=25%'], loop=['train_cfg.population_size=8'], weights=[])[change]
    result = tool('search.py', SEARCH, '--checkpoint', str(checkpoint), '--work-dir', str(work_dir), '--resume',
                  '--cfg-options', *SMALL_SEARCH, *options)
    one_line_error(result, '--resume continues only the same search', named)
    assert {name: (work_dir / name).read_bytes() for name in before} == before


def test_a_partial_load_still_needs_shared_keys_of_the_model_s_shapes(inputs):
    """``load_partial=True`` lets keys on one side only pass, not other shapes nor a checkpoint sharing no key."""
    model = build_model(load_config(str(ROOT / DAGGER)))
    weights = torch.load(inputs['ck'])['state_dict']
    missing = check_fits(model, dict(state_dict=weights), 'supernet.pth', partial=True)
    assert missing and all(key not in weights for key in missing)
    key = next(key for key in weights if key.endswith('conv1.weight'))
    with pytest.raises(CheckpointError, match=rf'supernet.pth does not fit .* 1 other shapes .*{key}'):
        check_fits(model, dict(state_dict={**weights, key: weights[key][:1]}), 'supernet.pth', partial=True)
    with pytest.raises(CheckpointError, match='no key in common'):
        check_fits(model, dict(state_dict={f'other.{k}': v for k, v in weights.items()}), 'x.pth', partial=True)
    with pytest.raises(CheckpointError, match='missing keys .*unexpected keys'):
        check_fits(model, dict(state_dict=weights), 'supernet.pth')
