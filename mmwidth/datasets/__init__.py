from .celeba import CelebA
from .digit_mosaics import DigitMosaics
from .digit_pairs import DigitPairs
from .digits import DigitsDataset
from .held_out import HeldOutSplit

__all__ = ['CelebA', 'DigitMosaics', 'DigitPairs', 'DigitsDataset', 'HeldOutSplit']
