"""mmwidth.CelebA on folders written here the way the official release looks (the 40 attribute names, values
padded to two characters, a trailing space after the names; CRLF line ends and the Anno/ + Eval/ layout of the
archive), every format error, and the embedded digit mosaics that the same class reads."""
import re

import numpy as np
import pytest
from mmengine.registry import init_default_scope
from PIL import Image
from sklearn.datasets import load_digits

from mmwidth.datasets import CelebA, DigitMosaics
from mmwidth.datasets.digit_mosaics import draw_mosaics
from mmwidth.utils.errors import ConfigError, DatasetError

NAMES = ('5_o_Clock_Shadow Arched_Eyebrows Attractive Bags_Under_Eyes Bald Bangs Big_Lips Big_Nose Black_Hair '
         'Blond_Hair Blurry Brown_Hair Bushy_Eyebrows Chubby Double_Chin Eyeglasses Goatee Gray_Hair Heavy_Makeup '
         'High_Cheekbones Male Mouth_Slightly_Open Mustache Narrow_Eyes No_Beard Oval_Face Pale_Skin Pointy_Nose '
         'Receding_Hairline Rosy_Cheeks Sideburns Smiling Straight_Hair Wavy_Hair Wearing_Earrings Wearing_Hat '
         'Wearing_Lipstick Wearing_Necklace Wearing_Necktie Young').split()
# image -> (partition, positive attributes)
IMAGES = {
    '000001.jpg': (0, ['Arched_Eyebrows', 'Attractive', 'Smiling', 'Young']),
    '000002.jpg': (0, []),
    '000003.jpg': (1, ['5_o_Clock_Shadow', 'Male', 'Young']),
    '000004.jpg': (2, NAMES),
    '000005.jpg': (0, ['Wearing_Hat']),
    '000006.jpg': (1, ['Eyeglasses', 'Male']),
}


def attribute_lines(images=IMAGES):
    lines = [str(len(images)), ' '.join(NAMES) + ' ']
    for name, (_, positive) in images.items():
        lines.append(name + ' ' + ' '.join(f'{1 if n in positive else -1:2d}' for n in NAMES))
    return lines


def partition_lines(images=IMAGES):
    return [f'{name} {part}' for name, (part, _) in images.items()]


def write_release(root, attributes=None, partition=None, archive_layout=False, newline='\n', images=IMAGES):
    """The release under ``root``: 178x218 JPEG faces and the two lists (in ``Img/``, ``Anno/`` and ``Eval/``
    with ``archive_layout``)."""
    image_dir = root / 'Img' / 'img_align_celeba' if archive_layout else root / 'img_align_celeba'
    image_dir.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in images:
        Image.fromarray(rng.integers(0, 256, (218, 178, 3), dtype=np.uint8)).save(image_dir / name)
    anno, evaluation = (root / 'Anno', root / 'Eval') if archive_layout else (root, root)
    anno.mkdir(exist_ok=True)
    evaluation.mkdir(exist_ok=True)
    for path, lines in ((anno / 'list_attr_celeba.txt', attributes or attribute_lines(images)),
                        (evaluation / 'list_eval_partition.txt', partition or partition_lines(images))):
        path.write_bytes((newline.join(lines) + newline).encode())
    return root


@pytest.fixture(autouse=True)
def scope():
    init_default_scope('mmwidth')


def check_release(root, image_dir='img_align_celeba'):
    lengths = {split: len(CelebA(data_root=str(root), split=split)) for split in ('train', 'val', 'test', 'all')}
    assert lengths == dict(train=3, val=2, test=1, all=6)
    dataset = CelebA(data_root=str(root), split='all')
    assert dataset.metainfo['classes'] == tuple(NAMES)
    for index, (name, (_, positive)) in enumerate(IMAGES.items()):
        assert dataset.get_cat_ids(index) == [NAMES.index(n) for n in positive]
        assert dataset.get_data_info(index)['img_path'] == str(root / image_dir / name)
    val = CelebA(data_root=str(root), split='val')
    assert [NAMES[i] for i in val.get_cat_ids(0)] == ['5_o_Clock_Shadow', 'Male', 'Young']


def test_official_layout(tmp_path):
    check_release(write_release(tmp_path / 'celeba'))


def test_archive_layout_with_crlf_and_extra_spaces(tmp_path):
    spaced = [re.sub(' ', '   ', line) + ' \t' for line in attribute_lines()]
    root = write_release(tmp_path / 'celeba', attributes=spaced, archive_layout=True, newline='\r\n')
    check_release(root, image_dir='Img/img_align_celeba')


def test_images_go_through_a_pipeline(tmp_path):
    root = write_release(tmp_path / 'celeba')
    dataset = CelebA(data_root=str(root), split='test', pipeline=[
        dict(type='mmpretrain.LoadImageFromFile'), dict(type='mmpretrain.PackInputs')])
    sample = dataset[0]
    assert tuple(sample['inputs'].shape) == (3, 218, 178)
    assert sample['data_samples'].gt_label.tolist() == list(range(40))


def replace_line(lines, number, text):
    lines = list(lines)
    lines[number - 1] = text
    return lines


ERRORS = [
    (dict(attributes=replace_line(attribute_lines(), 4, '000002.jpg' + ' -1' * 39)),
     r'list_attr_celeba.txt, line 4: expected a file name and 40 values, got 40 fields'),
    (dict(attributes=replace_line(attribute_lines(), 5, '000003.jpg' + ' -1' * 39 + ' 0')),
     r"list_attr_celeba.txt, line 5: attribute values are 1 or -1, got '0'"),
    (dict(attributes=replace_line(attribute_lines(), 1, 'images: 6')),
     r"list_attr_celeba.txt, line 1: expected the number of images, got 'images: 6'"),
    (dict(attributes=replace_line(attribute_lines(), 1, '7')),
     r'list_attr_celeba.txt, line 1: announces 7 images, the file lists 6'),
    (dict(partition=replace_line(partition_lines(), 2, '000002.jpg 3')),
     r"list_eval_partition.txt, line 2: expected \"<file> <0\|1\|2>\", got '000002.jpg 3'"),
    (dict(partition=partition_lines()[:-1]), r'list_eval_partition.txt: no partition for image 000006.jpg'),
    (dict(attributes=attribute_lines() + [attribute_lines()[3]]),
     r'list_attr_celeba.txt, line 9: image 000002.jpg is listed again \(first on line 4\)'),
    (dict(partition=partition_lines() + ['000001.jpg 2']),
     r'list_eval_partition.txt, line 7: image 000001.jpg is listed again \(first on line 1\)'),
]


@pytest.mark.parametrize('broken,message', ERRORS)
def test_format_errors_name_file_and_line(tmp_path, broken, message):
    root = write_release(tmp_path / 'celeba', **broken)
    with pytest.raises(DatasetError, match=message) as error:
        CelebA(data_root=str(root), split='train')
    assert str(root) in str(error.value) and '\n' not in str(error.value)


def test_undecodable_list_and_empty_image_are_named(tmp_path):
    root = write_release(tmp_path / 'celeba')
    partition = root / 'list_eval_partition.txt'
    lines = partition.read_bytes().split(b'\n')
    lines[2] = lines[2].replace(b'.jpg', b'.jp\xe9')  # Latin-1, not UTF-8
    partition.write_bytes(b'\n'.join(lines))
    with pytest.raises(DatasetError, match=r"list_eval_partition.txt, line 3: not UTF-8 text \(byte b'\\xe9' at "
                                           r'column 10\)'):
        CelebA(data_root=str(root), split='train')
    root = write_release(tmp_path / 'empty')
    (root / 'img_align_celeba' / '000005.jpg').write_bytes(b'')
    with pytest.raises(DatasetError, match=r'list_attr_celeba.txt, line 7: image .*000005.jpg is empty \(0 bytes\)'):
        CelebA(data_root=str(root), split='train')


def test_missing_files(tmp_path):
    root = write_release(tmp_path / 'celeba')
    (root / 'img_align_celeba' / '000005.jpg').unlink()
    with pytest.raises(DatasetError, match=r'list_attr_celeba.txt, line 7: image .*000005.jpg not found'):
        CelebA(data_root=str(root), split='train')
    assert len(CelebA(data_root=str(root), split='val')) == 2  # the other splits still load
    (root / 'list_eval_partition.txt').unlink()
    with pytest.raises(DatasetError, match=r'CelebA file not found: .*/list_eval_partition.txt or '
                                           r'.*/Eval/list_eval_partition.txt'):
        CelebA(data_root=str(root), split='val')
    with pytest.raises(DatasetError, match=r'CelebA file not found: .*list_attr_celeba.txt'):
        CelebA(data_root=str(tmp_path / 'nowhere'))
    with pytest.raises(ConfigError, match='split must be one of'):
        CelebA(data_root=str(root), split='valid')


# ------------------------------------------------------------------------------------------- embedded mosaics
@pytest.fixture(scope='module')
def mosaics(tmp_path_factory):
    root = tmp_path_factory.mktemp('mosaics') / 'digit_mosaics'
    init_default_scope('mmwidth')
    return root, {split: DigitMosaics(data_root=str(root), split=split) for split in ('train', 'val', 'test')}


def test_mosaics_are_a_celeba_release_of_their_digits(mosaics):
    root, datasets = mosaics
    assert {split: len(d) for split, d in datasets.items()} == dict(train=4000, val=500, test=1000)
    assert all(d.metainfo['classes'] == datasets['train'].metainfo['classes'] for d in datasets.values())
    classes = datasets['train'].metainfo['classes']
    assert len(classes) == 40 and len(set(classes)) == 40
    # read back by the plain CelebA class, from the official files
    assert len(CelebA(data_root=str(root), split='all')) == 5500
    images, digits = draw_mosaics('test')
    handwritten = load_digits()
    test = datasets['test']
    for index in range(0, 1000, 97):
        shown = digits[index]
        positive = {classes[i] for i in test.get_cat_ids(index)}
        assert {f'Contains_{d}' for d in range(10)} & positive == {f'Contains_{d}' for d in set(shown)}
        assert ('Sum_At_Least_18' in positive) == (shown.sum() >= 18)
        assert ('At_Least_3_Even' in positive) == (np.sum(shown % 2 == 0) >= 3)
        assert ('All_Distinct' in positive) == (len(set(shown)) == 4)
        jpeg = np.asarray(Image.open(test.get_data_info(index)['img_path']).convert('L'), dtype=float)
        assert np.abs(jpeg - images[index]).mean() < 8  # the JPEG shows the mosaic
        # the top-left tile is a handwritten image of the first digit
        assert any(np.abs(images[index][:8, :8] - np.round(t * 255 / 16)).max() == 0
                   for t in handwritten.images[handwritten.target == shown[0]])


def test_mosaics_are_deterministic_and_not_rewritten(mosaics, tmp_path):
    root, _ = mosaics
    again = tmp_path / 'again'
    DigitMosaics(data_root=str(again), split='val')
    for name in ('list_attr_celeba.txt', 'list_eval_partition.txt'):
        assert (again / name).read_bytes() == (root / name).read_bytes()
    stamp = (root / 'list_attr_celeba.txt').stat().st_mtime_ns
    DigitMosaics(data_root=str(root), split='val')
    assert (root / 'list_attr_celeba.txt').stat().st_mtime_ns == stamp
