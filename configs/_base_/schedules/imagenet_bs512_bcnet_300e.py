# BCNet's MobileNetV2 supernet recipe (the authors' BCNet code, ALGORITHMS.md section 2e, V1 column): the
# ResNet-50 recipe with weight decay 5e-5, a batch of 512 (8 GPUs x 64) and 300 epochs (752k iterations).
_base_ = ['./imagenet_bs256_bcnet_30e.py']

optim_wrapper = dict(optimizer=dict(weight_decay=5e-5))
param_scheduler = [_base_.param_scheduler[0], dict(_base_.param_scheduler[1], end=300)]
train_cfg = dict(max_epochs=300)
auto_scale_lr = dict(base_batch_size=512)
