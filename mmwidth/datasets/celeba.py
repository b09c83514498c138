"""CelebA's face attributes as an mmpretrain multi-label dataset, read from the files of the official release."""
import os
import os.path as osp
from typing import Dict, Iterator, List, Sequence, Tuple

import numpy as np
from mmpretrain.datasets import MultiLabelDataset

from ..registry import DATASETS
from ..utils.errors import ConfigError, DatasetError

IMAGE_DIR = 'img_align_celeba'
ATTRIBUTE_FILE = 'list_attr_celeba.txt'
PARTITION_FILE = 'list_eval_partition.txt'
# The official archive keeps the two lists in these folders (and the images in Img/); an unpacked copy often has
# them at the top.
FILE_FOLDERS = {ATTRIBUTE_FILE: ('', 'Anno'), PARTITION_FILE: ('', 'Eval')}
ARCHIVE_IMAGE_FOLDER = 'Img'
# The partition file's codes
PARTITIONS = dict(train=0, val=1, test=2)
SPLITS = tuple(PARTITIONS) + ('all', )


def find_list(data_root: str, name: str) -> str:
    """The path of one of the release's text files, at the top of ``data_root`` or in its official folder."""
    candidates = [osp.join(data_root, folder, name) for folder in FILE_FOLDERS[name]]
    for path in candidates:
        if osp.isfile(path):
            return path
    raise DatasetError(f'CelebA file not found: {" or ".join(candidates)}')


def numbered_lines(path: str) -> Iterator[Tuple[int, List[str]]]:
    """(line number, fields) of the non-empty lines: fields split on any run of white space (so CRLF line ends
    read as LF); a line that is not UTF-8 text fails naming it."""
    with open(path, 'rb') as f:
        for number, raw in enumerate(f, start=1):
            try:
                fields = raw.decode('utf-8').split()
            except UnicodeDecodeError as err:
                raise DatasetError(f'{path}, line {number}: not UTF-8 text (byte {raw[err.start:err.start + 1]!r} '
                                   f'at column {err.start + 1})') from None
            if fields:
                yield number, fields


def check_unique(path: str, name: str, number: int, seen: Dict[str, int]) -> None:
    """Records that image ``name`` is listed on line ``number`` of ``path``, failing if an earlier line did."""
    if name in seen:
        raise DatasetError(f'{path}, line {number}: image {name} is listed again (first on line {seen[name]})')
    seen[name] = number


def read_attributes(path: str) -> Tuple[Tuple[str, ...], List[str], np.ndarray, List[int]]:
    """The attribute names, the image file names, their (N, attributes) bool values and their line numbers in
    ``list_attr_celeba.txt``: line 1 the number of images, line 2 the names, then ``<file> <1|-1> ...``."""
    lines = numbered_lines(path)
    number, fields = next(lines, (1, []))
    if len(fields) != 1 or not fields[0].isdigit():
        raise DatasetError(f'{path}, line {number}: expected the number of images, got {" ".join(fields)!r}')
    count = int(fields[0])
    number, names = next(lines, (2, []))
    if not names:
        raise DatasetError(f'{path}, line {number}: expected the attribute names')
    files, rows, numbers, seen = [], [], [], {}
    for number, fields in lines:
        if len(fields) != len(names) + 1:
            raise DatasetError(f'{path}, line {number}: expected a file name and {len(names)} values, '
                               f'got {len(fields)} fields')
        values = fields[1:]
        bad = next((value for value in values if value not in ('1', '-1')), None)
        if bad is not None:
            raise DatasetError(f'{path}, line {number}: attribute values are 1 or -1, got {bad!r}')
        check_unique(path, fields[0], number, seen)
        files.append(fields[0])
        numbers.append(number)
        rows.append([value == '1' for value in values])
    if len(files) != count:
        raise DatasetError(f'{path}, line 1: announces {count} images, the file lists {len(files)}')
    return tuple(names), files, np.array(rows, dtype=bool).reshape(len(files), len(names)), numbers


def read_partition(path: str) -> Dict[str, int]:
    """``list_eval_partition.txt``: image file name -> 0 (train), 1 (val) or 2 (test)."""
    partition, seen = {}, {}
    for number, fields in numbered_lines(path):
        if len(fields) != 2 or fields[1] not in ('0', '1', '2'):
            raise DatasetError(f'{path}, line {number}: expected "<file> <0|1|2>", got {" ".join(fields)!r}')
        check_unique(path, fields[0], number, seen)
        partition[fields[0]] = int(fields[1])
    return partition


@DATASETS.register_module()
class CelebA(MultiLabelDataset):
    """The aligned faces of CelebA with their 40 binary attributes (mmpretrain's multi-label conventions: an
    image's ``gt_label`` is the list of indices of its positive attributes), from the official files:

    - ``img_align_celeba/000001.jpg`` ... (in ``data_root`` or ``data_root/Img``);
    - ``list_attr_celeba.txt`` (in ``data_root`` or ``data_root/Anno``): the number of images, the attribute
      names, then a line per image with its file name and one ``1`` / ``-1`` per attribute;
    - ``list_eval_partition.txt`` (in ``data_root`` or ``data_root/Eval``): ``<file> <0|1|2>`` = train / val /
      test.

    ``metainfo['classes']`` are the attribute names in file order (any number of attributes is read, so the same
    class reads mmwidth's embedded attribute set). A file that is missing or breaks the format is reported in one
    line naming the file and line, as is an image listed but absent.

    Args:
        data_root: the folder of the release.
        split: ``'train'``, ``'val'`` (the official validation partition: for scoring the candidates of a width
            search), ``'test'`` (for the final report) or ``'all'``.
        image_dir: the images' folder under ``data_root`` (or under ``data_root/Img``, as in the archive).
        **kwargs: other arguments of :class:`mmpretrain.datasets.BaseDataset` (``pipeline``, ``test_mode``...).
    """

    def __init__(self, data_root: str, split: str = 'train', image_dir: str = IMAGE_DIR, **kwargs):
        if split not in SPLITS:
            raise ConfigError(f'CelebA split must be one of {SPLITS}, got {split!r}')
        self.split = split
        if not osp.isdir(osp.join(data_root, image_dir)) and \
                osp.isdir(osp.join(data_root, ARCHIVE_IMAGE_FOLDER, image_dir)):
            image_dir = osp.join(ARCHIVE_IMAGE_FOLDER, image_dir)
        super().__init__(ann_file='', data_root=data_root, data_prefix=dict(img_path=image_dir), **kwargs)

    def load_data_list(self) -> List[dict]:
        attribute_file = find_list(self.data_root, ATTRIBUTE_FILE)
        names, files, values, numbers = read_attributes(attribute_file)
        given = self._metainfo.get('classes')
        if given is not None and tuple(given) != names:
            raise ConfigError(f'CelebA classes {tuple(given)} differ from the attributes of {ATTRIBUTE_FILE}')
        self._metainfo['classes'] = names
        chosen = self.split_rows(files)
        image_dir = self.data_prefix['img_path']
        sizes = {entry.name: entry.stat().st_size for entry in os.scandir(image_dir)} if osp.isdir(image_dir) else {}
        data_list = []
        for row in chosen:
            if not sizes.get(files[row]):
                problem = 'not found' if files[row] not in sizes else 'is empty (0 bytes)'
                raise DatasetError(f'{attribute_file}, line {numbers[row]}: image '
                                   f'{osp.join(image_dir, files[row])} {problem}')
            data_list.append(dict(img_path=osp.join(image_dir, files[row]),
                                  gt_label=np.flatnonzero(values[row]).tolist()))
        return data_list

    def split_rows(self, files: Sequence[str]) -> List[int]:
        """Indices (in the attribute file) of the images of the split."""
        if self.split == 'all':
            return list(range(len(files)))
        path = find_list(self.data_root, PARTITION_FILE)
        partition = read_partition(path)
        missing = next((name for name in files if name not in partition), None)
        if missing is not None:
            raise DatasetError(f'{path}: no partition for image {missing} of {ATTRIBUTE_FILE}')
        code = PARTITIONS[self.split]
        return [row for row, name in enumerate(files) if partition[name] == code]

    def attribute_matrix(self) -> np.ndarray:
        """(N, attributes) bool: which attributes each image of the split has."""
        matrix = np.zeros((len(self), len(self.CLASSES)), dtype=bool)
        for index in range(len(self)):
            matrix[index, self.get_cat_ids(index)] = True
        return matrix

    def extra_repr(self) -> List[str]:
        return [f'Split: \t{self.split}', f'Attributes: \t{len(self.CLASSES)}']
