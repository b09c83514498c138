"""mmpose models (skipped without mmpose, the optional ``[pose]`` extra): a stock heatmap config is traced whole,
its head included (``forward`` requires ``data_samples``, which the tensor-mode call passes as None), at the input
size of its codec, and its subnets verify."""
import pytest

from mmwidth.apis.analysis import load_model_and_space, verify_model_subnets

from conftest import package_config

pytest.importorskip('mmpose', reason='mmpose is not installed (pip install -e .[pose], see the README)')

TD_HM_RES50 = 'body_2d_keypoint/topdown_heatmap/coco/td-hm_res50_8xb64-210e_coco-256x192.py'


def test_heatmap_model_is_traced_with_its_head_at_the_codec_size():
    model, space, _ = load_model_and_space(package_config('mmpose', TD_HM_RES50))
    graph = space.graph
    assert graph.input_shape == (3, 256, 192)  # the codec's input_size (192, 256) is (w, h)
    assert graph.entries == ('forward', )
    deconv = next(layer for layer in graph.layers if layer.name == 'head.deconv_layers.0')
    assert graph.groups[deconv.inputs[0].group].name in space.names  # the last stage feeds the head, searchable
    full = space.full()
    # the head's deconvs are a quarter of the MACs: 1.42 of 5.43 G
    assert (space.flops(full), space.scoped_estimator('head').flops(full)) == (5_426_380_800, 1_422_655_488)
    rows = verify_model_subnets(model, space, num_random=1)
    assert rows and all(row['ok'] for row in rows), rows
