"""Multi-head attention (``nn.MultiheadAttention``) is searched with its residual stream: query, key and value
and the stream share one width split into heads, the MLP's hidden width is a group of its own, and the dynamic
subnet, the exported model, the analytic and the counted FLOPs/params (attention's matmuls included) all agree."""
import copy

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from mmwidth.apis.analysis import verify_model_subnets
from mmwidth.estimators.counter import count_per_module
from mmwidth.export.static_model import export_static_model
from mmwidth.sharing.index_sets import subnet_index_sets
from mmwidth.space.tracer import ChannelTracer
from mmwidth.space.width_space import WidthSpace
from mmwidth.supernet.dynamic_supernet import DynamicSupernet
from mmwidth.supernet.resize import resize_layers

EMBED, HEADS, HIDDEN, TOKENS = 16, 4, 32, 4


class TinyTransformer(nn.Module):
    """Patch embedding, one pre-norm transformer block (attention called with keywords, as mmcv's wrapper does,
    and an MLP), mean pooling and a linear head."""

    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(3, EMBED, 4, stride=4)
        self.norm1 = nn.LayerNorm(EMBED)
        self.attn = nn.MultiheadAttention(EMBED, HEADS, batch_first=True)
        self.norm2 = nn.LayerNorm(EMBED)
        self.fc1 = nn.Linear(EMBED, HIDDEN)
        self.fc2 = nn.Linear(HIDDEN, EMBED)
        self.head = nn.Linear(EMBED, 10)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        y = self.norm1(x)
        x = x + self.attn(query=y, key=y, value=y, need_weights=False)[0]
        x = x + self.fc2(F.gelu(self.fc1(self.norm2(x))))
        return self.head(x.mean(1))


def test_attention_shares_the_stream_width_in_whole_head_blocks():
    graph = ChannelTracer().trace(TinyTransformer(), (3, 8, 8))
    groups = {g.name: g for g in graph.groups if g.searchable}
    assert set(groups) == {'residual', 'fc1'}
    stream = groups['residual']
    assert stream.blocks == HEADS and stream.channels == EMBED
    assert {'attn:in', 'attn.out_proj:in', 'attn.out_proj:out', 'norm1:norm', 'fc1:in', 'fc2:out', 'head:in',
            'patch:out'} <= set(stream.members)
    attn = next(layer for layer in graph.layers if layer.name == 'attn')
    assert (attn.macs_coef, attn.macs_per_channel) == (4 * TOKENS, 2 * TOKENS * TOKENS)


def test_attention_subnets_verify_and_count_the_matmuls():
    model = TinyTransformer()
    space = WidthSpace.from_model(model, (3, 8, 8))
    rows = verify_model_subnets(model, space, [space.smallest()], num_random=2)
    assert len(rows) == 9 and all(row['ok'] for row in rows), rows
    widths = dict(space.full(), residual=8)
    costs = space.estimator.per_module(widths)
    # per query token: q, k, v and output projections, then q k^T and attn v over the keys
    assert costs['attn'][0] == TOKENS * 4 * 8 * 8 + 2 * TOKENS * TOKENS * 8
    assert costs['attn'][1] == 3 * 8 * 8 + 3 * 8 and costs['attn.out_proj'] == (0, 8 * 8 + 8)
    static = export_static_model(model, space, subnet_index_sets(space.full(), widths, 'left', blocks=space.blocks))
    assert (static.attn.embed_dim, static.attn.head_dim, static.attn.out_proj.in_features) == (8, 2, 8)
    assert count_per_module(static, (3, 8, 8)) == costs


def test_attention_supernet_trains_and_resizes():
    torch.manual_seed(0)
    model = TinyTransformer()
    space = WidthSpace.from_model(model, (3, 8, 8))
    supernet = DynamicSupernet(model, space)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    before = model.attn.in_proj_weight.detach().clone()
    rng = np.random.default_rng(0)
    for _ in range(2):
        subnet = space.sample(rng)
        with supernet.subnet(subnet_index_sets(space.full(), subnet, 'random', blocks=space.blocks)):
            loss = model(torch.randn(2, 3, 8, 8)).logsumexp(1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert not torch.equal(before, model.attn._parameters['in_proj_weight'])
    widened = copy.deepcopy(TinyTransformer())
    resize_layers(widened, space.graph, {space.graph.index['residual']: 24})
    assert widened(torch.randn(1, 3, 8, 8)).shape == (1, 10) and widened.attn.in_proj_weight.shape == (72, 24)
