from .cbm_backbones import CBMMobileNet, CBMResNet
from .cbm_oracle import ChannelBenchMacroOracle

__all__ = ['CBMResNet', 'CBMMobileNet', 'ChannelBenchMacroOracle']
