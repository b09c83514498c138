# Dagger's gating phase from a pretrained model, epoch-based (a proposal, ALGORITHMS.md section 5c): at most 10
# epochs (about 10% of a standard ImageNet schedule) at a constant network lr of 0.01, the Dagger module 10x faster
# and without weight decay; gating stops once the hard gates' FLOPs are within 1% of the target for `patience`
# steps. Derived configs set the model (mmwidth.Dagger, its patience and pretrained weights), the weight decay,
# and the lr and epochs where their task differs.
_base_ = ['./supernet_epoch_based.py']

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, nesterov=True),
    paramwise_cfg=dict(custom_keys={'dagger_module': dict(lr_mult=10.0, decay_mult=0.0)}))
param_scheduler = []
train_cfg = dict(max_epochs=10)
custom_hooks = [dict(type='mmwidth.DaggerGatingHook')]
# the Dagger module takes no part in the forward passes after the gates freeze
model_wrapper_cfg = dict(type='mmwidth.WidthSearchDDP', find_unused_parameters=True)
