"""The analysis tools on package configs: JSON outputs, exact figures, verification and one-line errors."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import config_path

from mmwidth.apis import get_flops, load_model_and_space, verify_subnets
from mmwidth.space.width_space import SubnetError
from mmwidth.utils.config import parse_input_shape
from mmwidth.utils.errors import ConfigError, WidthSearchError

ROOT = Path(__file__).resolve().parents[2]


def run_tool(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / 'tools' / 'analysis' / script), *args],
                          capture_output=True, text=True, cwd=ROOT)


def test_width_space_json():
    result = run_tool('width_space.py', config_path('mobilenet_v2'), '--json')
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)  # nothing but JSON on stdout
    assert len(report['groups']) == 25 and report['input_shape'] == [3, 224, 224]
    assert {'name', 'channels', 'members'} <= set(report['groups'][0])


def test_analysis_tools_take_cfg_options():
    """A scope given on the command line, no wrapper config: only the first stages' groups are searched."""
    scoped = ['--cfg-options', 'width_space.scope=[backbone.conv1,backbone.layer1]']
    report = json.loads(run_tool('width_space.py', config_path('mobilenet_v2'), '--json', *scoped).stdout)
    assert sorted(g['name'] for g in report['groups']) == ['backbone.conv1.conv', 'backbone.layer1.0.conv.1.conv']
    assert report['entries'] == ['forward']
    result = run_tool('verify_subnet.py', config_path('mobilenet_v2'), '--random', '1', '--input-shape', '3', '32',
                      '32', '--json', *scoped)
    assert result.returncode == 0 and len(json.loads(result.stdout)) == 3, result.stderr[-2000:]
    full = json.loads(run_tool('get_flops.py', config_path('mobilenet_v2'), '--json', *scoped).stdout)
    assert full == {'flops': 300_774_272, 'params': 3_504_872}  # the scope changes what is searched, not the model


def test_get_flops_json_and_subnet(tmp_path):
    result = run_tool('get_flops.py', config_path('resnet50'), '--json')
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {'flops': 4_089_184_256, 'params': 25_557_032}
    report = json.loads(run_tool('width_space.py', config_path('resnet50'), '--json').stdout)
    subnet = {g['name']: g['channels'] // 2 for g in report['groups']}
    (tmp_path / 'half.json').write_text(json.dumps(subnet))
    half = get_flops(config_path('resnet50'), str(tmp_path / 'half.json'))
    assert 0.2 < half['flops'] / 4_089_184_256 < 0.3  # about a quarter: most convs halve both sides


def test_get_flops_of_a_scope():
    """A detector's backbone alone: its own layers only, fewer FLOPs and params than the whole detector, and the
    same figures as the ResNet-50 classifier's backbone without its head."""
    whole = get_flops(config_path('retinanet'), input_shape=(3, 128, 160))
    backbone = get_flops(config_path('retinanet'), input_shape=(3, 128, 160), scope='backbone')
    classifier = get_flops(config_path('resnet50'), input_shape=(3, 128, 160), scope='backbone')
    assert backbone['flops'] < whole['flops'] and backbone['params'] < whole['params']
    assert backbone == classifier
    result = run_tool('get_flops.py', config_path('retinanet'), '--input-shape', '3', '128', '160', '--scope',
                      'backbone', '--json')
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == backbone


@pytest.mark.parametrize('name,shape', [('resnet50', None), ('mobilenet_v2', None), ('efficientnet_b0', None),
                                        ('retinanet', (3, 128, 160))])
def test_verify_random_subnets(name, shape):
    rows = verify_subnets(config_path(name), num_random=1, seed=1, input_shape=shape)
    assert [row['pattern'] for row in rows] == ['left', 'right', 'random']
    for row in rows:
        assert row['ok'], row
        assert row['max_abs_diff'] <= 1e-4


def test_verify_subnet_cli(tmp_path):
    result = run_tool('verify_subnet.py', config_path('resnet18_cifar'), '--random', '2', '--json')
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 6 and all(r['flops'] == r['flops_counted'] for r in rows)


def test_channel_bench_macro_cli(cbm_resnet_table):
    result = run_tool('channel_bench_macro.py', '--space', 'resnet', '--table', str(cbm_resnet_table), '--json')
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report['checked'], report['flops_mismatch'], report['params_mismatch']) == (16384, 0, 0)
    assert len(report['groups']) == 7


def test_one_line_errors(tmp_path):
    result = run_tool('get_flops.py', str(tmp_path / 'missing.py'))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f'error: config file not found: {tmp_path / "missing.py"}']
    bad = tmp_path / 'bad.json'
    bad.write_text('{"backbone.layer1.0.conv1": 3,')
    result = run_tool('verify_subnet.py', config_path('resnet18_cifar'), '--subnet', str(bad))
    assert result.returncode == 2 and 'Traceback' not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(f'error: subnet file {bad} is not valid JSON')


def test_subnet_file_errors(tmp_path):
    config = config_path('resnet18_cifar')
    full = load_model_and_space(config)[1].full()
    cases = {
        'unknown': ({**full, 'backbone.layer9.residual': 8}, 'unknown group "backbone.layer9.residual"'),
        'missing': ({k: v for k, v in list(full.items())[1:]}, 'missing 1 of 12 groups'),
        'range': ({**full, 'backbone.layer1.0.conv1': 0}, 'out of range [1, 64]'),
    }
    for name, (subnet, message) in cases.items():
        path = tmp_path / f'{name}.json'
        path.write_text(json.dumps(subnet))
        with pytest.raises(SubnetError) as err:
            get_flops(config, str(path))
        assert message in str(err.value) and str(path) in str(err.value)
    with pytest.raises(WidthSearchError, match='subnet file not found'):
        get_flops(config, str(tmp_path / 'nothing.json'))
    with pytest.raises(ConfigError, match='--input-shape'):
        parse_input_shape([3, 0, 32])
