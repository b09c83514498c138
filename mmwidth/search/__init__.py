from .base_loop import WidthSearchLoop
from .search_config import check_search_config
from .budget import Budget, BudgetError
from .evolution import EvolutionSearchLoop
from .greedy_slim import GreedySlimLoop
from .random_search import RandomSearchLoop
from .scorers import SupernetScorer
from .surrogate import RidgeSurrogate
from .subnet_val_loop import SubnetValLoop

__all__ = ['WidthSearchLoop', 'check_search_config', 'Budget', 'BudgetError', 'EvolutionSearchLoop', 'GreedySlimLoop',
           'RandomSearchLoop', 'SupernetScorer', 'RidgeSurrogate', 'SubnetValLoop']
