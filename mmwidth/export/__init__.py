from .slimmed_model import SlimmedModel
from .static_model import export_static_model

__all__ = ['SlimmedModel', 'export_static_model']
