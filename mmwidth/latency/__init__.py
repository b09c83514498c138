"""Latency: runtimes that time a module, per-layer latency tables of a width space, and speed-up receipts."""
from .runtimes import Runtime, build_runtime, machine_record, median_ms

__all__ = ['Runtime', 'build_runtime', 'machine_record', 'median_ms']
