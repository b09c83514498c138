"""Channel-Bench-Macro as an oracle: a search scores a candidate by looking it up in the benchmark's table."""
from typing import Dict

from ..registry import TASK_UTILS
from ..space.width_space import Subnet
from .cbm_table import load_cbm_table, subnet_to_arch


@TASK_UTILS.register_module()
class ChannelBenchMacroOracle:
    """Scores a subnet with the table's ``key`` (the mean CIFAR-10 accuracy of 3 trainings from scratch), so
    that search algorithms can be compared on ground truth without training a supernet."""

    def __init__(self, table: str, space: str, key: str = 'mean', runner=None, subject=None):
        self.table = load_cbm_table(table)
        self.space = space
        self.key = key

    def score(self, widths: Subnet) -> Dict:
        return dict(score=float(self.table[subnet_to_arch(self.space, widths)][self.key]))
