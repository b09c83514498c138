from .analysis import describe_width_space, get_flops, load_model_and_space, verify_subnets
from .latency import build_latency_table
from .search import run_search

__all__ = ['describe_width_space', 'get_flops', 'load_model_and_space', 'verify_subnets', 'run_search',
           'build_latency_table']
