"""Resuming a real MMEngine/mmpretrain training under torch's default ``weights_only=True`` loading."""
import pickle
import re
import uuid
import zipfile
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import pytest
import torch
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmengine.optim import OneCycleLR
from mmengine.runner import Runner
from mmengine.utils import ManagerMixin
from PIL import Image

from mmwidth.utils.checkpoint import load_checkpoint_file  # importing mmwidth registers the allow-list


class NotAllowListed:
    """A class no allow-list names: a checkpoint holding one must not load with weights only."""


class ReachesAnyAttribute:
    """Pickles to ``getattr(HistoryBuffer, 'register_statistics')``, an attribute MMEngine never pickles."""

    def __reduce__(self):
        return getattr, (HistoryBuffer, 'register_statistics')


class RecordTraining(Hook):
    """Records where training starts, the weights it starts from, and every iteration it runs."""

    def __init__(self) -> None:
        self.start_iter: Optional[int] = None
        self.start_weights: Dict[str, torch.Tensor] = {}
        self.iters: List[int] = []

    def before_train(self, runner) -> None:
        self.start_iter = runner.iter
        self.start_weights = {k: v.clone() for k, v in runner.model.state_dict().items()}

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self.iters.append(batch_idx)


def _manager_classes(cls: type = ManagerMixin) -> List[type]:
    subclasses = cls.__subclasses__()
    return subclasses + [sub for child in subclasses for sub in _manager_classes(child)]


@pytest.fixture(autouse=True)
def restore_global_instances():
    """Runner registers a DefaultScope, MessageHub, MMLogger and Visualizer per experiment; drop them afterwards."""
    saved = {cls: dict(cls._instance_dict) for cls in _manager_classes()}
    yield
    for cls in _manager_classes():
        for name, instance in cls._instance_dict.items():
            if name not in saved.get(cls, {}):
                for handler in getattr(instance, 'handlers', []):
                    handler.close()
        cls._instance_dict.clear()
        cls._instance_dict.update(saved.get(cls, {}))


@pytest.fixture
def image_root(tmp_path: Path) -> str:
    """Eight random 40x40 grayscale PNGs in an ImageNet-style ``class/image.png`` tree."""
    rng = np.random.default_rng(0)
    for name in ('cat', 'dog'):
        (tmp_path / 'images' / name).mkdir(parents=True)
        for i in range(4):
            pixels = rng.integers(0, 256, (40, 40), dtype=np.uint8)
            Image.fromarray(pixels).save(tmp_path / 'images' / name / f'{i}.png')
    return str(tmp_path / 'images')


def build_runner(image_root: str, work_dir: Path, max_iters: int, load_from: Optional[str] = None) -> Runner:
    """LeNet-5 classifier, SGD with momentum, linear warm-up then a step decay, a checkpoint every 2 iterations."""
    pipeline = [
        dict(type='LoadImageFromFile', color_type='grayscale'),
        dict(type='Resize', scale=(32, 32)),
        dict(type='PackInputs')
    ]
    return Runner(
        model=dict(
            type='ImageClassifier',
            data_preprocessor=dict(type='ClsDataPreprocessor', mean=[127.5], std=[127.5]),
            backbone=dict(type='LeNet5'),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=2, in_channels=120, loss=dict(type='CrossEntropyLoss'))),
        work_dir=str(work_dir),
        experiment_name=f'resume_{uuid.uuid4().hex}',
        train_dataloader=dict(
            batch_size=2,
            num_workers=0,
            sampler=dict(type='InfiniteSampler', shuffle=True),  # DefaultSampler would sleep 2 s per restart
            dataset=dict(type='CustomDataset', data_root=image_root, pipeline=pipeline)),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=max_iters),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=1e-4)),
        # The decay at iteration 5 and the momentum buffers match the uninterrupted run only if the scheduler and
        # optimizer states come back from the checkpoint. ``end`` is explicit: left out, it defaults to the first
        # run's ``max_iters`` (4), is saved in the scheduler state and restored on resume, so the decay never happens.
        param_scheduler=[
            dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=2),
            dict(type='MultiStepLR', milestones=[5], gamma=0.1, by_epoch=False, begin=0, end=8)
        ],
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False)),
        load_from=load_from,
        resume=load_from is not None,
        default_scope='mmpretrain',
        # No ``deterministic=True``: it would switch on ``torch.use_deterministic_algorithms`` for the whole
        # process, and the CPU kernels used here are deterministic anyway, so the runs match bit for bit.
        randomness=dict(seed=0),
        log_level='WARNING')


def train(runner: Runner) -> RecordTraining:
    record = RecordTraining()
    runner.register_hook(record)
    runner.train()
    return record


def test_resume_continues_like_an_uninterrupted_run(image_root: str, tmp_path: Path) -> None:
    train(build_runner(image_root, tmp_path / 'first', max_iters=4))
    checkpoint = str(tmp_path / 'first' / 'iter_4.pth')

    resumed = build_runner(image_root, tmp_path / 'resumed', max_iters=8, load_from=checkpoint)
    record = train(resumed)  # Runner.resume calls torch.load without weights_only, i.e. with weights only

    assert record.start_iter == 4
    assert record.iters == [4, 5, 6, 7]
    assert resumed.iter == 8
    saved = load_checkpoint_file(checkpoint)['state_dict']
    assert saved.keys() == record.start_weights.keys()
    for name, value in saved.items():
        assert torch.equal(record.start_weights[name], value), name

    uninterrupted = build_runner(image_root, tmp_path / 'uninterrupted', max_iters=8)
    train(uninterrupted)
    expected = uninterrupted.model.state_dict()
    for name, value in resumed.model.state_dict().items():
        assert torch.equal(value, expected[name]), name


def test_checkpoint_loads_with_weights_only_and_other_classes_do_not(image_root: str, tmp_path: Path) -> None:
    train(build_runner(image_root, tmp_path / 'run', max_iters=2))
    checkpoint = torch.load(tmp_path / 'run' / 'iter_2.pth')
    assert checkpoint['meta']['iter'] == 2
    assert isinstance(checkpoint['message_hub']['log_scalars']['train/loss'], HistoryBuffer)
    assert checkpoint['optimizer']['state']  # SGD momentum buffers

    foreign = tmp_path / 'foreign.pth'
    torch.save({'state_dict': {}, 'meta': NotAllowListed()}, foreign)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(foreign)
    message = rf'checkpoint {re.escape(str(foreign))} contains .*NotAllowListed which is not an allow-listed'
    with pytest.raises(RuntimeError, match=message):
        load_checkpoint_file(str(foreign))

    reaching = tmp_path / 'reaching.pth'
    torch.save({'meta': ReachesAnyAttribute()}, reaching)
    with pytest.raises(RuntimeError, match=r"getattr\(.*HistoryBuffer'>, 'register_statistics'\) which is not"):
        load_checkpoint_file(str(reaching))


def test_one_cycle_scheduler_state_loads_with_weights_only(tmp_path: Path) -> None:
    """OneCycleLR keeps its annealing function, a static method, in the state that checkpoints save."""
    optimizer = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1)
    for strategy in ('cos', 'linear'):
        scheduler = OneCycleLR(optimizer, eta_max=0.1, total_steps=4, anneal_strategy=strategy)
        torch.save(scheduler.state_dict(), tmp_path / 'scheduler.pth')
        assert torch.load(tmp_path / 'scheduler.pth')['anneal_func'] is scheduler.anneal_func


def test_numpy_1_checkpoint_names_load(tmp_path: Path) -> None:
    """numpy 1.x pickles its arrays and scalars from ``numpy.core.multiarray``; so would a checkpoint written there."""
    written = tmp_path / 'numpy2.pth'
    torch.save({'eta': np.float64(1.5), 'history': np.arange(3.0)}, written)
    numpy1 = tmp_path / 'numpy1.pth'
    with zipfile.ZipFile(written) as source, zipfile.ZipFile(numpy1, 'w') as target:
        for member in source.namelist():
            data = source.read(member)
            if member.endswith('data.pkl'):
                data = data.replace(b'numpy._core.multiarray', b'numpy.core.multiarray')
                assert b'numpy.core.multiarray' in data
            target.writestr(member, data)
    loaded = torch.load(numpy1)
    assert loaded['eta'] == 1.5 and loaded['history'].tolist() == [0.0, 1.0, 2.0]
