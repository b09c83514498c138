# BCNet supernet of a narrow RetinaNet (ResNet-18 at quarter width, FPN) on the embedded digits detection set
# (64x64), CPU-friendly; its backbone is searched (scope `backbone`), the FPN's lateral convs follow the searched
# stage widths. `tools/demo.py --task detection` trains, searches, exports and tests it.
_base_ = ['../_base_/models/retinanet_r18-narrow_fpn_digits.py', '../_base_/schedules/digits_detection_supernet.py']
model = dict(
    _delete_=True,
    type='mmwidth.BCNet',
    architecture=_base_.model,
    width_space=dict(input_shape=(3, 64, 64), scope=['backbone'], bins=8))
