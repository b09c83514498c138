"""What every width-search loop shares: budget, scoring with a cache, resumable state, progress and results."""
import difflib
import json
import os.path as osp
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.dist import is_main_process
from mmengine.runner.base_loop import BaseLoop

from ..registry import TASK_UTILS
from ..space.subnet_file import save_subnet
from ..space.width_space import Subnet
from ..utils.checkpoint import load_checkpoint_file, save_checkpoint_atomically, weights_fingerprint
from ..utils.errors import ConfigError
from ..utils.files import atomic_write
from .budget import Budget
from .plots import plot_search
from .subject import SearchSubject

Candidate = Tuple[int, ...]  # one choice index per group, in the space's group order

STATE_FILE = 'search_state.pth'


def flatten(settings: dict, prefix: str = '') -> dict:
    """Nested settings as ``{'search_cfg.budget.flops': '50%', ...}``, so that a difference is named by its key."""
    flat = {}
    for key, value in settings.items():
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f'{prefix}{key}.'))
        else:
            flat[f'{prefix}{key}'] = value
    return flat


class WidthSearchLoop(BaseLoop):
    """Base of the search loops, which ``tools/search.py`` runs on a runner built without training parts.

    Candidates are choice indices per group; each is scored once (a cache remembers every score). A subclass
    implements :meth:`search`, calling :meth:`evaluate` for candidates and :meth:`checkpoint` after each
    generation or step with the state it needs to go on; with ``resume=True`` a killed search continues from
    its last checkpoint and ends with the result an uninterrupted run would give.

    Args:
        scorer: how a candidate is scored (``mmwidth.SupernetScorer`` or an oracle such as
            ``mmwidth.ChannelBenchMacroOracle``).
        budget: the resource limits (see :class:`Budget`), e.g. ``dict(flops='50%', window=0.8)``.
        max_evaluations: stop after scoring this many distinct candidates.
        seed: seed of the loop's own random choices (identical on every rank).
    """

    # how long it searches, not what: a resumed search may go on to other limits (and ends as an uninterrupted
    # search to those limits would)
    stopping_settings: Tuple[str, ...] = ('max_evaluations', )

    def __init__(self, runner, scorer: Optional[dict] = None, budget: Optional[dict] = None,
                 max_evaluations: Optional[int] = None, seed: int = 0, resume: bool = False, plot: bool = True):
        # BaseLoop.__init__ would build the training dataloader, which a search does not use.
        self._runner = runner
        if scorer is None or budget is None:
            raise ConfigError(f'{type(self).__name__} needs a scorer and a budget, e.g. '
                              'budget=dict(flops="50%") and scorer=dict(type="mmwidth.SupernetScorer", ...)')
        unknown = sorted(set(budget) - set(Budget.OPTIONS))
        if unknown:
            hint = difflib.get_close_matches(unknown[0], Budget.OPTIONS, n=1)
            raise ConfigError(f'search_cfg.budget: unknown option {unknown[0]!r}'
                              + (f' (did you mean {hint[0]!r}?)' if hint else '') + f'; known: {list(Budget.OPTIONS)}')
        self.scorer_cfg = scorer
        self.budget_cfg = budget
        self.max_evaluations = max_evaluations
        self.resume = resume
        self.plot = plot
        self.generator = torch.Generator().manual_seed(seed)
        self.scores: Dict[Candidate, dict] = {}
        self.history: List[dict] = []
        self.stage = 0  # generation or step, for progress and history
        self._started = 0.0

    # ----------------------------------------------------------------------------------------------- set up
    def run(self):
        runner = self.runner
        self.subject = SearchSubject.from_runner(runner)
        self.space = self.subject.space
        self.budget = Budget(self.space, **self.budget_cfg)
        self.scorer = TASK_UTILS.build(self.scorer_cfg, default_args=dict(runner=runner, subject=self.subject))
        runner.logger.info(f'{type(self).__name__}: {len(self.space.names)} groups, FLOPs at input '
                           f'{list(self.space.graph.input_shape)}, budget {self.budget.describe()}, up to '
                           f'{self.max_evaluations or "unlimited"} evaluations')
        self.settings = self._settings()
        state = self._load_state() if self.resume else None
        if state is not None:
            self.load_state(state)
            runner.logger.info(f'resumed the search at stage {self.stage} with {len(self.scores)} evaluations')
        self._started = time.time()
        self._first_evaluation = len(self.scores)
        chosen = self.search(state)
        self._write_results(chosen)
        return runner.model

    def search(self, state: Optional[dict]) -> Candidate:
        """Runs the search (from ``state`` when resuming) and returns the chosen candidate."""
        raise NotImplementedError

    def extra_results(self) -> dict:
        """Entries a loop adds to ``search_result.json`` (e.g. greedy slimming's result of every target)."""
        return {}

    # ---------------------------------------------------------------------------------------- candidates
    def widths(self, candidate: Candidate) -> Subnet:
        return {name: self.space.choices[name][c] for name, c in zip(self.space.names, candidate)}

    def width_matrix(self, candidates: Sequence[Candidate]) -> np.ndarray:
        choices = [np.array(self.space.choices[name]) for name in self.space.names]
        index = np.asarray(candidates, dtype=np.int64).reshape(len(candidates), len(choices))
        return np.stack([c[index[:, i]] for i, c in enumerate(choices)], axis=1)

    def admits(self, candidates: Sequence[Candidate], window: bool = True) -> np.ndarray:
        if window:
            return self.budget.admits_batch(self.width_matrix(candidates))
        return np.array([self.budget.admits(self.widths(c), window=False) for c in candidates])

    def done(self) -> bool:
        return self.max_evaluations is not None and len(self.scores) >= self.max_evaluations

    def evaluate(self, candidate: Candidate) -> float:
        """The score of a candidate (scored once, then remembered)."""
        candidate = tuple(int(c) for c in candidate)
        if candidate not in self.scores:
            widths = self.widths(candidate)
            result = self.scorer.score(widths)
            entry = dict(candidate=list(candidate), stage=self.stage, score=result['score'],
                         patterns=result.get('patterns', {}), flops=self.space.flops(widths),
                         params=self.space.params(widths))
            if self.budget.scope:
                entry.update({f'{self.budget.scope}_{k}': v for k, v in self.budget.costs(widths).items()})
            self.scores[candidate] = entry
            self.history.append(entry)
        return self.scores[candidate]['score']

    def best(self, candidates: Sequence[Candidate]) -> Candidate:
        return max(candidates, key=lambda c: self.scores[tuple(c)]['score'])

    # ------------------------------------------------------------------------------------------------- state
    @property
    def state_path(self) -> str:
        return osp.join(self.runner.work_dir, STATE_FILE)

    def checkpoint(self, **state) -> None:
        """Saves what a resumed search needs (all ranks hold the same; rank 0 writes it) and logs progress."""
        self._log_progress()
        if not is_main_process():
            return
        save_checkpoint_atomically(dict(loop=type(self).__name__, settings=self.settings, stage=self.stage,
                                        generator=self.generator.get_state(), history=self.history, **state),
                                   self.state_path)

    def _load_state(self) -> Optional[dict]:
        if not osp.isfile(self.state_path):
            self.runner.logger.info(f'no search state at {self.state_path}: starting afresh')
            return None
        state = load_checkpoint_file(self.state_path)
        if state.get('loop') != type(self).__name__:
            raise ConfigError(f'{self.state_path} holds a {state.get("loop")} search, not a {type(self).__name__}')
        if 'settings' not in state:
            raise ConfigError(f'{self.state_path} does not record its settings (an older mmwidth wrote it): it '
                              'cannot be resumed; search afresh')
        saved, now = flatten(state['settings']), flatten(self.settings)
        changed = next((key for key in {**saved, **now} if saved.get(key) != now.get(key)), None)
        if changed is not None:
            raise ConfigError(f'--resume continues only the same search: {changed} was {saved.get(changed)!r} in '
                              f'{self.state_path}, now {now.get(changed)!r} (search afresh in another work dir)')
        return state

    def _settings(self) -> dict:
        """What decides the result, recorded in the state and compared on resume: the loop's ``search_cfg``
        (loop type and settings but ``stopping_settings``, budget, scorer and its data), the supernet's weights (a content hash, taken
        before any recalibration; none for an oracle, which scores without them) and the width space's
        fingerprint."""
        search_cfg = self.runner.cfg.get('search_cfg') or dict(scorer=self.scorer_cfg, budget=self.budget_cfg)
        search_cfg = {key: value for key, value in search_cfg.items()
                      if key not in ('resume', 'plot') + self.stopping_settings}
        weights = getattr(self.scorer, 'needs_trained_weights', False)
        settings = dict(search_cfg=search_cfg, weights=weights_fingerprint(self.subject.model) if weights else None,
                        space=self.space.fingerprint())
        return json.loads(json.dumps(settings, default=str))  # plain types, as the weights-only loader reads them

    def load_state(self, state: dict) -> None:
        self.stage = state['stage']
        self.generator.set_state(state['generator'])
        self.history = list(state['history'])
        self.scores = {tuple(entry['candidate']): entry for entry in self.history}

    # ------------------------------------------------------------------------------------------------ output
    def _log_progress(self) -> None:
        done = len(self.scores)
        if not self.history:
            return
        best = max(self.history, key=lambda e: e['score'])
        rate = (time.time() - self._started) / max(done - self._first_evaluation, 1)
        left = ''
        if self.max_evaluations:
            left = f', about {rate * max(self.max_evaluations - done, 0) / 60:.1f} min left'
        self.runner.logger.info(
            f'[{type(self).__name__} stage {self.stage}] {done} evaluations{left}; best score {best["score"]:.4f} '
            f'at {best["flops"] / 1e6:.2f}M FLOPs; budget {self.budget.describe()}; {rate:.2f} s per evaluation')

    def _write_results(self, chosen: Candidate) -> None:
        entry = self.scores.get(tuple(chosen))
        widths = self.widths(chosen)
        result = dict(subnet=widths, flops=self.space.flops(widths), params=self.space.params(widths),
                      score=None if entry is None else entry['score'],
                      patterns={} if entry is None else entry['patterns'], evaluations=len(self.scores),
                      loop=type(self).__name__, budget=self.budget.to_dict(), groups=self.space.full(),
                      scoring=getattr(self.scorer, 'scoring', None),
                      history=self.history, **self.extra_results())
        if any(layer.name.startswith('backbone.') for layer in self.space.graph.layers):
            backbone = self.space.scoped_estimator('backbone')  # e.g. a detector's: reported beside the whole
            result.update(backbone_flops=backbone.flops(widths), backbone_params=backbone.params(widths))
        self.result = result
        if not is_main_process():
            return
        work_dir = self.runner.work_dir
        with atomic_write(osp.join(work_dir, 'search_result.json')) as f:
            json.dump(result, f, indent=1)
        save_subnet(osp.join(work_dir, 'subnet.json'), widths)
        message = f'search done: {len(self.scores)} evaluations; chosen subnet {result["flops"] / 1e6:.2f}M FLOPs, ' \
                  f'{result["params"] / 1e6:.3f}M params, score {result["score"]}; written to {work_dir}/subnet.json'
        if self.plot:
            paths = plot_search(result, self.budget, work_dir)
            message += f'; plots: {", ".join(paths)}'
        self.runner.logger.info(message)

    # ----------------------------------------------------------------------------------------------- sampling
    def sample(self, count: int, probs: Optional[List[np.ndarray]] = None, exclude: Sequence[Candidate] = (),
               batch: int = 4096, attempts: int = 50) -> List[Candidate]:
        """Up to ``count`` new candidates inside the budget window, each group's choice drawn from ``probs``
        (uniform when None), none scored before or in ``exclude``."""
        taken = set(self.scores) | {tuple(c) for c in exclude}
        found: List[Candidate] = []
        for _ in range(attempts):
            if len(found) >= count:
                break
            columns = []
            for i, name in enumerate(self.space.names):
                weights = torch.ones(len(self.space.choices[name]), dtype=torch.float64) if probs is None else \
                    torch.as_tensor(probs[i], dtype=torch.float64)
                columns.append(torch.multinomial(weights, batch, replacement=True, generator=self.generator))
            drawn = torch.stack(columns, dim=1).numpy()
            for row in drawn[self.admits([tuple(r) for r in drawn])]:
                candidate = tuple(int(c) for c in row)
                if candidate not in taken:
                    taken.add(candidate)
                    found.append(candidate)
                    if len(found) == count:
                        break
        return found
