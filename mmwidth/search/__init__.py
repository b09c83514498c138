from .base_loop import WidthSearchLoop
from .budget import Budget, BudgetError
from .evolution import EvolutionSearchLoop
from .greedy_slim import GreedySlimLoop
from .random_search import RandomSearchLoop
from .scorers import SupernetScorer

__all__ = ['WidthSearchLoop', 'Budget', 'BudgetError', 'EvolutionSearchLoop', 'GreedySlimLoop', 'RandomSearchLoop',
           'SupernetScorer']
