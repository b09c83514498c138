"""Layer families: one file per family of channel layers, registered in ``CHANNEL_LAYERS`` (imported when the
registry is first searched, see :mod:`mmwidth.registry`)."""
from .base import ChannelLayer, DynamicLayerMixin, layer_type, layer_type_of

__all__ = ['ChannelLayer', 'DynamicLayerMixin', 'layer_type', 'layer_type_of']
