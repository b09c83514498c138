"""Analytic FLOPs/params equal published figures, module-by-module counts and Channel-Bench-Macro's tables."""
import numpy as np
import pytest
from conftest import build_package_model

from mmwidth.apis.analysis import count_differences
from mmwidth.estimators.counter import count_flops_params, count_per_module
from mmwidth.export.static_model import export_static_model
from mmwidth.ground_truth.cbm_table import arch_to_subnet, cbm_width_space, check_cbm_table, closed_form
from mmwidth.sharing.index_sets import subnet_index_sets
from mmwidth.space.width_space import WidthSpace
from mmwidth.supernet.dynamic_supernet import DynamicSupernet


@pytest.mark.parametrize('name,groups,flops,params', [
    ('resnet50', 37, 4_089_184_256, 25_557_032),
    ('mobilenet_v2', 25, 300_774_272, 3_504_872),
])
def test_full_model_figures(name, groups, flops, params):
    model = build_package_model(name)
    space = WidthSpace.from_model(model, (3, 224, 224))
    assert len(space.names) == groups
    assert space.flops(space.full()) == flops
    assert space.params(space.full()) == params
    assert count_flops_params(model, (3, 224, 224)) == (flops, params)


def test_random_subnets_equal_counted_dynamic_model():
    model = build_package_model('efficientnet_b0')
    space = WidthSpace.from_model(model, (3, 64, 64))
    supernet = DynamicSupernet(model, space)
    rng = np.random.default_rng(1)
    subnets = [space.sample(rng) for _ in range(3)]
    batch = space.estimator.batch(np.array([[s[n] for n in space.names] for s in subnets]))
    for number, subnet in enumerate(subnets):
        with supernet.subnet(subnet_index_sets(space.full(), subnet, 'right')):
            flops, _ = count_flops_params(model, (3, 64, 64))
        assert space.flops(subnet) == flops == batch['flops'][number]
        assert space.params(subnet) == batch['params'][number]


@pytest.mark.parametrize('space', ['resnet', 'mobilenet'])
def test_cbm_sanity_values(space):
    width_space = cbm_width_space(space)
    expected = dict(resnet={'1111111': (90_096_896, 963_658), '4444444': (1_436_226_560, 15_356_170),
                            '4432214': (794_495_488, 6_208_394)},
                    mobilenet={'1111111': (14_285_312, 125_418), '4444444': (211_281_920, 1_804_170),
                               '4432214': (122_923_008, 716_234)})[space]
    for arch, (flops, params) in expected.items():
        subnet = arch_to_subnet(space, arch)
        assert (width_space.flops(subnet), width_space.params(subnet)) == (flops, params) == closed_form(space, arch)


@pytest.mark.parametrize('space', ['resnet', 'mobilenet'])
def test_cbm_all_archs_match_closed_forms(space):
    report = check_cbm_table(space)
    assert (report['checked'], report['flops_mismatch'], report['params_mismatch']) == (16384, 0, 0)


def test_cbm_resnet_table_matches(cbm_resnet_table):
    report = check_cbm_table('resnet', str(cbm_resnet_table))
    assert (report['checked'], report['flops_mismatch'], report['params_mismatch']) == (16384, 0, 0)


def test_per_module_costs_sum_up_and_equal_the_exported_models_counts():
    model = build_package_model('mobilenet_v2')
    space = WidthSpace.from_model(model, (3, 32, 32))
    subnet = space.sample(np.random.default_rng(0))
    costs = space.estimator.per_module(subnet)
    assert sum(f for f, _ in costs.values()) == space.flops(subnet)
    assert sum(p for _, p in costs.values()) == space.params(subnet)
    static = export_static_model(model, space, subnet_index_sets(space.full(), subnet, 'left'))
    assert costs == count_per_module(static, (3, 32, 32))
    assert count_differences(space, subnet, static) == []


def test_count_differences_name_the_modules_of_a_wrong_width():
    """Analytic figures of one subnet against the export of another that differs in one group: exactly that
    group's layers differ."""
    model = build_package_model('mobilenet_v2')
    space = WidthSpace.from_model(model, (3, 32, 32))
    name = 'backbone.layer2.0.conv.0.conv'
    exported = dict(space.full(), **{name: space.choices[name][0]})
    static = export_static_model(model, space, subnet_index_sets(space.full(), exported, 'left'))
    differing = count_differences(space, space.full(), static)
    assert {line.split(':')[0] for line in differing} == {m.split(':')[0] for m in space.graph.group(name).members}
    assert any(line.startswith(f'{name}: FLOPs ') for line in differing)
