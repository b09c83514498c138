# The AutoSlim supernet recipe of BCNetV2's re-implementation (ALGORITHMS.md section 1e,
# strategies/NAS/mbv2_autoslim.yaml): lr 0.2 for 64 images per GPU (8 GPUs assumed: a batch of 512) with cosine
# decay, weight decay 4e-5, 50 epochs (also MMRazor's length). The rest (Nesterov momentum, no decay on
# normalization weights and biases) as in BCNetV2's own ImageNet recipe; no warmup.
_base_ = ['./imagenet_bs512_bcnetv2_300e.py']

param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=50, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=50)
