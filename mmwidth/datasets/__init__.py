from .celeba import CelebA
from .digit_mosaics import DigitMosaics
from .digits import DigitsDataset
from .held_out import HeldOutSplit

__all__ = ['CelebA', 'DigitMosaics', 'DigitsDataset', 'HeldOutSplit']
