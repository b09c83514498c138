# Evolutionary search of the bcnet digits supernet under a latency budget: 50% of the largest subnet's latency on
# ONNX Runtime (CPU, 2 threads, batch 1), as predicted by a latency table measured on this machine on first use
# (work_dir/latency_table_onnxruntime.json, about 30 s, reused while it holds for this machine and model); the best
# finalists are then timed end to end and the choice is made on the measured figure. A table built beforehand
# with tools/analysis/latency_table.py is used with latency_table='FILE'.
#   python tools/train.py configs/bcnet/bcnet_cbm-resnet_search_latency_digits.py --cfg-options load_from=SUPERNET.pth
_base_ = ['./bcnet_cbm-resnet_search_digits.py']
train_cfg = dict(
    budget=dict(
        _delete_=True,
        latency='50%',
        latency_table=dict(runtime='onnxruntime', threads=2, batch=1),
        finalists=5))
