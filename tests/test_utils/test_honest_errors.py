"""Only a user's mistakes become one-line errors; a bug inside a model's code keeps its traceback, and --debug
shows the traceback of a mistake too."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mmengine.config import Config
from torch import nn

from mmwidth.registry import MODELS
from mmwidth.utils.config import build_model, load_config
from mmwidth.utils.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
BROKEN_MODULE = '''
from torch import nn
from mmwidth.registry import MODELS


@MODELS.register_module(force=True)
class HonestErrorsBrokenModel(nn.Module):
    def __init__(self, channels=4):
        super().__init__()
        self.conv = nn.Conv2d(3, channels // 0, 1)  # a bug, not a config mistake
'''


@MODELS.register_module(force=True)
class HonestErrorsModel(nn.Module):

    def __init__(self, channels: int, broken: bool = False):
        super().__init__()
        self.conv = nn.Conv2d(3, channels // (0 if broken else 1), 1)


def _halve(channels):
    return channels / 2 + None  # a bug in code the constructor runs: a TypeError that no config value explains


@MODELS.register_module(force=True)
class HonestErrorsStrictModel(nn.Module):
    """Rejects a value itself (a config mistake), or fails in a helper it calls (a bug)."""

    def __init__(self, channels: int, helper_bug: bool = False):
        super().__init__()
        if channels < 1:
            raise ValueError(f'channels must be >= 1, got {channels}')
        self.conv = nn.Conv2d(3, _halve(channels) if helper_bug else channels, 1)


def config(**model) -> Config:
    return Config(dict(default_scope='mmwidth', model=model))


def test_bug_in_a_model_keeps_its_exception():
    with pytest.raises(ZeroDivisionError):
        build_model(config(type='HonestErrorsModel', channels=4, broken=True))


@pytest.mark.parametrize('model,words', [(dict(type='NoSuchModel'), 'is not in the'),
                                         (dict(type='HonestErrorsModel'), 'channels'),
                                         (dict(type='HonestErrorsModel', channels=4, colour=1), 'colour')])
def test_config_mistakes_are_config_errors(model, words):
    with pytest.raises(ConfigError, match=words):
        build_model(config(**model))


def test_a_constructor_rejecting_a_value_is_a_mistake_a_failing_helper_a_bug():
    with pytest.raises(ConfigError, match='HonestErrorsStrictModel: ValueError: channels must be >= 1, got 0'):
        build_model(config(type='HonestErrorsStrictModel', channels=0))
    with pytest.raises(TypeError, match='unsupported operand'):
        build_model(config(type='HonestErrorsStrictModel', channels=4, helper_bug=True))


def test_broken_config_file_is_a_config_error(tmp_path):
    path = tmp_path / 'broken.py'
    path.write_text('model = dict(type="X"\n')
    with pytest.raises(ConfigError, match='broken.py'):
        load_config(str(path))


def test_tools_show_tracebacks_of_bugs_and_with_debug(tmp_path):
    (tmp_path / 'honest_errors_broken.py').write_text(BROKEN_MODULE)
    broken = tmp_path / 'broken_model.py'
    broken.write_text("custom_imports = dict(imports=['honest_errors_broken'], allow_failed_imports=False)\n"
                      "model = dict(type='HonestErrorsBrokenModel')\nwidth_space = dict(input_shape=(3, 8, 8))\n")
    unknown = tmp_path / 'unknown_model.py'
    unknown.write_text("model = dict(type='NoSuchModel')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]))

    def get_flops(*args):
        return subprocess.run([sys.executable, str(ROOT / 'tools/analysis/get_flops.py'), *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)

    result = get_flops(str(broken))
    assert result.returncode == 1 and 'Traceback' in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith('ZeroDivisionError')
    result = get_flops(str(unknown), '--debug')
    assert result.returncode == 1 and 'Traceback' in result.stderr and 'NoSuchModel' in result.stderr
