from .channel_fairness import ChannelFairnessHook
from .dagger_gating import DaggerGatingHook
from .norm_recalibration import SubnetNormRecalibrationHook

__all__ = ['ChannelFairnessHook', 'DaggerGatingHook', 'SubnetNormRecalibrationHook']
