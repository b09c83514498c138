"""Building an exported subnet from a config: the architecture with the subnet's channels, no dynamic layer."""
from typing import Mapping, Optional

from torch import nn

from ..registry import MODELS
from ..space.width_space import WidthSpace
from ..supernet.resize import resize_layers


@MODELS.register_module()
def SlimmedModel(architecture: dict, channels: Mapping[str, int], width_space: dict,
                 data_preprocessor: Optional[dict] = None) -> nn.Module:
    """The model of ``architecture`` (e.g. an mmpretrain classifier or an mmdet detector) built with the
    ``channels`` of each group of its width space: a plain, physically smaller instance of the architecture's
    own class, freshly initialised, that loads an exported ``model.pth`` or trains from scratch.

    ``width_space`` groups the channels as the supernet's did (its ``input_shape`` and grouping options).
    """
    architecture = dict(architecture)
    if data_preprocessor is not None:  # the runner hands the config's data_preprocessor to the outer model
        architecture.setdefault('data_preprocessor', data_preprocessor)
    model = MODELS.build(architecture)
    space = WidthSpace.from_config(model, width_space)
    widths = space.check_subnet(channels, source='SlimmedModel channels')
    resize_layers(model, space.graph, {space.graph.index[name]: width for name, width in widths.items()
                                       if width != space.channels(name)})
    # what the checkpoint loaded into it must be: an export of this subnet (mmwidth.utils.checkpoint.check_fits)
    model.mmwidth_record = dict(model='SlimmedModel', subnet=dict(widths))
    return model
