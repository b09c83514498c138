"""mmwidth: network width search for OpenMMLab."""
from .utils.checkpoint import register_checkpoint_globals
from .version import __version__

register_checkpoint_globals()

__all__ = ['__version__']
