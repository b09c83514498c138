from .cbm_backbones import CBMMobileNet, CBMResNet

__all__ = ['CBMResNet', 'CBMMobileNet']
