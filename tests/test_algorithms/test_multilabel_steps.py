"""Multi-label (attribute) supernets: every algorithm's train step learns the multi-label head's binary
cross-entropy, and AutoSlim distils per-attribute sigmoid probabilities for a sigmoid head, chosen from the head."""
import numpy as np
import pytest
import torch
from algorithm_helpers import INPUT_SHAPE, sgd
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

from mmwidth.ground_truth.cbm_table import cbm_model_cfg
from mmwidth.registry import MODELS

NUM_ATTRIBUTES = 6
LABELS = [[0, 2], [0, 1, 2, 3, 5], [0], [0, 4]]  # attribute 0 on all images, 2 on half
ALGORITHMS = dict(BCNet={}, BCNetV2=dict(min_bins=1), CafeNet=dict(num_placements=2), AutoSlim={})


def architecture(head: str = 'mmpretrain.MultiLabelLinearClsHead', **loss):
    cfg = cbm_model_cfg('resnet', '1111111')
    cfg['head'] = dict(type=head, num_classes=NUM_ATTRIBUTES, in_channels=cfg['head']['in_channels'],
                       loss=dict(type='mmpretrain.CrossEntropyLoss', **loss))
    return cfg


def build(kind: str, arch: dict = None, **kwargs):
    init_default_scope('mmwidth')
    torch.manual_seed(0)
    return MODELS.build(dict(type=f'mmwidth.{kind}', architecture=arch or architecture(use_sigmoid=True),
                             width_space=dict(input_shape=INPUT_SHAPE, bins=4), seed=0, **kwargs)).train()


def attribute_batch() -> dict:
    images = torch.randint(0, 256, (len(LABELS), ) + INPUT_SHAPE, generator=torch.Generator().manual_seed(0),
                           dtype=torch.uint8)
    return dict(inputs=list(images), data_samples=[DataSample().set_gt_label(labels) for labels in LABELS])


def targets() -> np.ndarray:
    truth = np.zeros((len(LABELS), NUM_ATTRIBUTES))
    for row, labels in enumerate(LABELS):
        truth[row, labels] = 1
    return truth


def logits_of(algorithm, widths) -> torch.Tensor:
    """The subnet's logits on the batch, as a train step computes them (batch-norm on batch statistics)."""
    data = algorithm.data_preprocessor(attribute_batch(), True)
    with torch.no_grad(), algorithm.supernet.subnet(algorithm.index_sets(widths)):
        return algorithm(**data, mode='tensor')


@pytest.mark.parametrize('kind', sorted(ALGORITHMS))
def test_every_algorithm_trains_on_the_binary_cross_entropy(kind):
    """With a zeroed head every subnet predicts 0.5 for each attribute: each trained pass then costs
    ``attributes x ln 2`` (AutoSlim's distillation between equal probabilities costs 0), and one SGD step moves
    each attribute's bias by ``lr x passes x (share of images with it - 0.5)``: up, down, or not at all for an
    attribute half the images have -- which a softmax over the attributes would move."""
    algorithm = build(kind, **ALGORITHMS[kind])
    head = algorithm.architecture.head.fc
    torch.nn.init.zeros_(head.weight)
    torch.nn.init.zeros_(head.bias)
    log = algorithm.train_step(attribute_batch(), sgd(algorithm, lr=1.0))
    assert float(log['loss']) == pytest.approx(NUM_ATTRIBUTES * np.log(2), rel=1e-5)
    share = targets().mean(axis=0)
    assert share[2] == 0.5 and share[0] == 1
    moved = head.bias.detach().numpy()
    assert moved[0] > 0 and moved[2] == pytest.approx(0, abs=1e-7)
    assert moved / moved[0] == pytest.approx((share - 0.5) / (share[0] - 0.5), rel=1e-4)


def bernoulli_kl(teacher: np.ndarray, student: np.ndarray) -> float:
    p, q = 1 / (1 + np.exp(-teacher)), 1 / (1 + np.exp(-student))
    return float(np.mean(np.sum(p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q)), axis=1)))


def softmax_kl(teacher: np.ndarray, student: np.ndarray) -> float:
    p = np.exp(teacher) / np.exp(teacher).sum(1, keepdims=True)
    q = np.exp(student) / np.exp(student).sum(1, keepdims=True)
    return float(np.mean(np.sum(p * np.log(p / q), axis=1)))


def test_autoslim_distils_sigmoid_probabilities_of_a_multi_label_head():
    algorithm = build('AutoSlim', num_random_samples=0)
    teacher = logits_of(algorithm, algorithm.space.largest()).double().numpy()
    student = logits_of(algorithm, algorithm.space.smallest()).double().numpy()
    log = algorithm.train_step(attribute_batch(), sgd(algorithm, lr=0.0))
    # the largest subnet learns the labels: binary cross-entropy summed over attributes, averaged over images
    truth = targets()
    bce = -np.mean(np.sum(truth * np.log(1 / (1 + np.exp(-teacher))) +
                          (1 - truth) * np.log(1 - 1 / (1 + np.exp(-teacher))), axis=1))
    assert float(log['max_loss']) == pytest.approx(bce, rel=1e-4)
    # the smallest learns the largest's per-attribute probabilities, not a softmax over the attributes
    assert float(log['min_loss']) == pytest.approx(bernoulli_kl(teacher, student), rel=1e-4)
    assert bernoulli_kl(teacher, student) != pytest.approx(softmax_kl(teacher, student), rel=0.05)


def test_autoslim_chooses_the_distillation_from_the_head():
    def binary(arch):
        return build('AutoSlim', arch=arch).binary_distillation

    assert binary(architecture(use_sigmoid=True))  # the multi-label head
    assert binary(architecture('mmpretrain.LinearClsHead', use_sigmoid=True))  # a sigmoid loss on a linear head
    assert not binary(architecture('mmpretrain.LinearClsHead'))  # softmax cross-entropy: single label
    algorithm = build('AutoSlim')
    # a constant shift of the logits leaves a softmax unchanged but moves every sigmoid probability
    student = torch.randn(3, NUM_ATTRIBUTES, generator=torch.Generator().manual_seed(1))
    assert float(algorithm.distill_loss(student, student + 2)) > 0.1
    assert float(algorithm.distill_loss(student, student)) == pytest.approx(0, abs=1e-6)
    single = build('AutoSlim', arch=architecture('mmpretrain.LinearClsHead'))
    assert float(single.distill_loss(student, student + 2)) == pytest.approx(0, abs=1e-6)
