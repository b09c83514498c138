from .channel_fairness import ChannelFairnessHook
from .checkpoint_fit import CheckpointFitHook
from .dagger_gating import DaggerGatingHook
from .norm_recalibration import SubnetNormRecalibrationHook

__all__ = ['ChannelFairnessHook', 'CheckpointFitHook', 'DaggerGatingHook', 'SubnetNormRecalibrationHook']
