from .autoslim import AutoSlim
from .base import WidthSearchAlgorithm
from .bcnet import BCNet, BCNetV2
from .cafenet import CafeNet
from .dagger import Dagger
from .distributed import WidthSearchDDP

__all__ = ['WidthSearchAlgorithm', 'AutoSlim', 'BCNet', 'BCNetV2', 'CafeNet', 'Dagger', 'WidthSearchDDP']
