from .channel_fairness import ChannelFairnessHook
from .norm_recalibration import SubnetNormRecalibrationHook

__all__ = ['ChannelFairnessHook', 'SubnetNormRecalibrationHook']
