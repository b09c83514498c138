# A small vision transformer (mmpretrain's VisionTransformer: 4 layers of 64 dims and 4 heads, 4x4 patches of a
# 16x16 image, a cls token) as an mmpretrain classifier, and its width space: the embedding width (one group
# along the residual stream, cls token and position embedding included), each attention's inner width (kept a
# multiple of its 4 heads) and each MLP's hidden width, at 1/4 .. 4/4 of their maxima. Derived configs set the
# algorithm `type` (and its options).
model = dict(
    architecture=dict(
        type='mmpretrain.ImageClassifier',
        backbone=dict(
            type='mmpretrain.VisionTransformer',
            arch=dict(embed_dims=64, num_layers=4, num_heads=4, feedforward_channels=128),
            img_size=16,
            patch_size=4,
            drop_rate=0.1),
        neck=None,
        head=dict(
            type='mmpretrain.VisionTransformerClsHead',
            num_classes=10,
            in_channels=64,
            loss=dict(type='mmpretrain.CrossEntropyLoss', loss_weight=1.0))),
    width_space=dict(input_shape=(3, 16, 16), bins=4),
)
