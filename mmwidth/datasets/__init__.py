from .digits import DigitsDataset
from .held_out import HeldOutSplit

__all__ = ['DigitsDataset', 'HeldOutSplit']
