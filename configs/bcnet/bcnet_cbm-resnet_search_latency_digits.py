# Evolutionary search of the bcnet digits supernet under a latency budget: 50% of the largest subnet's latency on
# ONNX Runtime (CPU), as predicted by a latency table measured on this machine; the best finalists are then timed
# end to end and the choice is made on the measured figure.
#   python tools/analysis/latency_table.py configs/bcnet/bcnet_cbm-resnet_digits.py \
#       --out work_dirs/latency/bcnet_cbm-resnet_digits_onnxruntime.json
#   python tools/train.py configs/bcnet/bcnet_cbm-resnet_search_latency_digits.py --cfg-options load_from=SUPERNET.pth
_base_ = ['./bcnet_cbm-resnet_search_digits.py']
train_cfg = dict(
    budget=dict(
        _delete_=True,
        latency='50%',
        latency_table='work_dirs/latency/bcnet_cbm-resnet_digits_onnxruntime.json',
        finalists=5))
