"""The speed-up receipt of an export: its fields and ratios, and its refusal of an export whose ONNX file did not
shrink with the parameters its widths remove. What the timings show is benchmarks' business; the tool's
receipt.json is checked with the export test (tests/test_search/test_supernet_search.py)."""
import pytest
import torch

from mmwidth.apis.analysis import load_model_and_space
from mmwidth.export.static_model import export_static_model
from mmwidth.latency.receipt import ReceiptError, format_receipt, speedup_receipt
from mmwidth.sharing.index_sets import subnet_index_sets

SUPERNET = 'configs/bcnet/bcnet_cbm-resnet_digits.py'


def plain(model, space, widths):
    return export_static_model(model, space, subnet_index_sets(space.full(), widths, 'left',
                                                               blocks=space.blocks)).eval()


@pytest.fixture(scope='module')
def digits():
    model, space, _ = load_model_and_space(SUPERNET)
    half = {name: choices[len(choices) // 2] for name, choices in space.choices.items()}
    return space, half, plain(model, space, space.full()), plain(model, space, half)


def test_receipt_compares_the_subnet_with_the_full_model_on_each_runtime(digits):
    space, half, full, subnet = digits
    receipt = speedup_receipt(full, subnet, space, half, runtimes=['onnxruntime', 'torch'], threads=1,
                              throughput_batch=3, rounds=1)
    assert receipt['flops'] == dict(full=space.flops(space.full()), subnet=space.flops(half),
                                    ratio=round(space.flops(half) / space.flops(space.full()), 4))
    assert receipt['params']['subnet'] == space.params(half) < receipt['params']['full']
    sizes = receipt['onnx_bytes']
    # float32 weights: the file shrinks by about 4 bytes per removed parameter
    removed = receipt['params']['full'] - receipt['params']['subnet']
    assert 4 * removed * 0.95 < sizes['full'] - sizes['subnet'] < 4 * removed * 1.05
    for key, batch in (('latency_ms', 1), ('throughput_ms', 3)):
        assert set(receipt[key]) == {'onnxruntime', 'torch'}
        for entry in receipt[key].values():
            assert entry['batch'] == batch and entry['threads'] == 1 and entry['full'] > 0 < entry['subnet']
            assert entry['ratio'] == pytest.approx(entry['subnet'] / entry['full'], abs=1e-3)
    assert receipt['runtimes']['onnxruntime']['versions']['onnxruntime']
    assert receipt['machine']['cores'] and receipt['input_shape'] == list(space.graph.input_shape)
    printed = format_receipt(receipt).splitlines()
    assert len(printed) == 3 + 4 and 'latency onnxruntime (batch 1, 1 thr)' in printed[3]
    assert next(p for p in full.parameters()).device == torch.device('cpu')


def test_receipt_fails_when_the_onnx_file_did_not_shrink(digits):
    """An export that keeps every channel (here: the full model handed over as the subnet of half the widths, as
    a masking exporter would produce) is refused before any timing."""
    space, half, full, _ = digits
    with pytest.raises(ReceiptError, match=r'did not shrink with the parameters: (\d+) -> \1 bytes'):
        speedup_receipt(full, full, space, half, runtimes=['onnxruntime'])
