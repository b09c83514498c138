"""Ground truths for width search: Channel-Bench-Macro tables (and their oracle) and the embedded digits tables."""
from .cbm_oracle import ChannelBenchMacroOracle

__all__ = ['ChannelBenchMacroOracle']
