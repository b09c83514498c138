# ImageNet-1k as in imagenet_bs64.py, 32 images per GPU.
_base_ = ['./imagenet_bs64.py']
train_dataloader = dict(batch_size=32)
val_dataloader = dict(batch_size=32)
test_dataloader = dict(batch_size=32)
