"""What every width-search loop shares: budget, scoring with a cache, resumable state, progress and results."""
import difflib
import json
import math
import os.path as osp
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.dist import broadcast_object_list, is_main_process
from mmengine.runner.base_loop import BaseLoop

from ..latency.runtimes import build_runtime
from ..latency.table import LatencyTable, LatencyTableError
from ..registry import TASK_UTILS
from ..space.subnet_file import save_subnet
from ..space.width_space import Subnet
from ..utils.checkpoint import load_checkpoint_file, save_checkpoint_atomically, weights_fingerprint
from ..utils.errors import ConfigError
from ..utils.files import atomic_write
from .budget import Budget
from .plots import plot_search
from ..supernet.subject import SearchSubject

Candidate = Tuple[int, ...]  # one choice index per group, in the space's group order

STATE_FILE = 'search_state.pth'
# how far (as a fraction) the machine's speed may have moved since the latency table was built before a search says so
DRIFT_WARNING = 0.15


def flatten(settings: dict, prefix: str = '') -> dict:
    """Nested settings as ``{'train_cfg.budget.flops': '50%', ...}``, so that a difference is named by its key."""
    flat = {}
    for key, value in settings.items():
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f'{prefix}{key}.'))
        else:
            flat[f'{prefix}{key}'] = value
    return flat


class Stage(list):
    """The candidates one generation or step scores: what a search loop iterates over, as a training loop
    iterates over its dataloader (hooks read its length; there is no dataset behind it)."""
    dataset = None


class WidthSearchLoop(BaseLoop):
    """Base of the search loops: ``train_cfg`` loops that MMEngine's runner runs as it runs a training
    (``tools/train.py``, ``dist_train.sh``, ``--resume``), on the supernet that ``load_from`` loads.

    Candidates are choice indices per group; each is scored once (a cache remembers every score). A subclass
    implements :meth:`search`, calling :meth:`begin_stage` and :meth:`evaluate` for candidates and
    :meth:`checkpoint` after each generation or step with the state it needs to go on; with ``resume=True`` a
    killed search continues from its last checkpoint and ends with the result an uninterrupted run would give.

    The runner's hooks see the search as a training: ``before_train``, ``before_train_epoch`` and
    ``after_train_epoch`` around each generation or step, ``before_train_iter`` and ``after_train_iter`` around
    each evaluation (``runner.iter`` counts evaluations, ``runner.epoch`` generations
    or steps, ``runner.max_iters`` is the evaluations it may take, so ``IterTimerHook`` gives the ETA), the
    scalars ``score``, ``best_score`` and ``mflops`` of each evaluation for ``LoggerHook``, the population's best
    and mean score and mean FLOPs per generation for the visualizer, and ``after_train``. Hooks that only serve a
    training are left out (``CheckpointHook`` would save the supernet with a candidate's batch-norm statistics,
    the search saves its own state, ``search_state.pth``; ``ChannelFairnessHook`` counts trained channels;
    ``ParamSchedulerHook`` schedules an optimizer the search does not use).

    Args:
        runner: the runner.
        dataloader: the training loader MMEngine hands every train loop (unused: the scorer names its data).
        budget: the resource limits (see :class:`Budget`), e.g. ``dict(flops='50%', window=0.8)``.
        scorer: how a candidate is scored: ``mmwidth.SupernetScorer`` (the default, from the supernet of
            ``load_from``) or an oracle such as ``mmwidth.ChannelBenchMacroOracle``.
        max_evaluations: stop after scoring this many distinct candidates.
        seed: seed of the loop's own random choices (identical on every rank).
        resume: continue the search saved in the work dir (``tools/train.py --resume`` sets it).
        plot: write the population and width plots.
    """

    is_width_search = True  # what makes a config whose train_cfg builds it a search config
    # how long it searches, not what: a resumed search may go on to other limits (and ends as an uninterrupted
    # search to those limits would)
    stopping_settings: Tuple[str, ...] = ('max_evaluations', )
    # hooks of a training that have nothing to do in a search (by class name)
    training_hooks: Tuple[str, ...] = ('CheckpointHook', 'ChannelFairnessHook', 'ParamSchedulerHook')

    def __init__(self, runner, dataloader=None, budget: Optional[dict] = None, scorer: Optional[dict] = None,
                 max_evaluations: Optional[int] = None, seed: int = 0, resume: bool = False, plot: bool = True):
        super().__init__(runner, Stage())
        if budget is None:
            raise ConfigError(f'{type(self).__name__} needs a budget, e.g. budget=dict(flops="50%")')
        unknown = sorted(set(budget) - set(Budget.OPTIONS))
        if unknown:
            hint = difflib.get_close_matches(unknown[0], Budget.OPTIONS, n=1)
            raise ConfigError(f'train_cfg.budget: unknown option {unknown[0]!r}'
                              + (f' (did you mean {hint[0]!r}?)' if hint else '') + f'; known: {list(Budget.OPTIONS)}')
        self.max_evaluations = max_evaluations
        self.resume = resume
        self.plot = plot
        self.generator = torch.Generator().manual_seed(seed)
        self.scores: Dict[Candidate, dict] = {}
        self.history: List[dict] = []
        self.stage = 0  # generation or step, for progress and history
        self._iter = 0
        self._started = 0.0
        self.subject = SearchSubject.from_runner(runner)
        self.space = self.subject.space
        self.budget = self.build_budget(self._with_latency_table(budget))
        self.scorer = TASK_UTILS.build(scorer or dict(type='mmwidth.SupernetScorer'),
                                       default_args=dict(runner=runner, subject=self.subject))
        runner.hooks[:] = [hook for hook in runner.hooks if type(hook).__name__ not in self.training_hooks]

    def build_budget(self, budget: dict) -> Budget:
        return Budget(self.space, **budget)

    def _with_latency_table(self, budget: dict) -> dict:
        """The budget with a latency table named by its runtime (``latency_table=dict(runtime='onnxruntime',
        threads=2, batch=1)``) measured here on first use: built on rank 0 into the work dir
        (``latency_table_<runtime>.json``, reused by later runs while it holds for this machine and model) and
        shared with the other ranks."""
        options = budget.get('latency_table')
        if not isinstance(options, dict) or 'runtime' not in options:
            return budget
        unknown = sorted(set(options) - {'runtime', 'threads', 'batch', 'grid', 'anchors'})
        if unknown:
            raise ConfigError(f'train_cfg.budget.latency_table: unknown option {unknown[0]!r}; a table measured on '
                              "first use takes runtime, threads, batch, grid and anchors")
        path = osp.join(self.runner.work_dir, f'latency_table_{options["runtime"]}.json')
        record = [None]
        if is_main_process():
            try:
                table = LatencyTable.load(path, self.space)
            except LatencyTableError:
                self.runner.logger.info(f'measuring the latency table on {options["runtime"]} (once) into {path}')
                settings = {k: v for k, v in options.items() if k not in ('runtime', 'threads')}
                table = LatencyTable.build(self.subject.architecture, self.space,
                                           build_runtime(options['runtime'], options.get('threads')),
                                           scope=budget.get('scope'), **settings)
                table.save(path)
            record = [table.record]
        broadcast_object_list(record)
        return dict(budget, latency_table=LatencyTable(record[0], self.space))

    # -------------------------------------------------------------------------------- what the runner reads
    @property
    def iter(self) -> int:
        return self._iter

    @property
    def max_iters(self) -> int:
        return self.max_evaluations or self.expected_evaluations()

    @property
    def epoch(self) -> int:
        return self.stage

    @property
    def max_epochs(self) -> Optional[int]:
        return None

    def expected_evaluations(self) -> int:
        """How many evaluations the search takes when ``max_evaluations`` does not limit it (for the ETA)."""
        raise NotImplementedError

    # ----------------------------------------------------------------------------------------------- running
    def run(self):
        runner = self.runner
        runner.logger.info(f'{type(self).__name__}: {len(self.space.names)} groups, FLOPs at input '
                           f'{list(self.space.graph.input_shape)}, budget {self.budget.describe()}, up to '
                           f'{self.max_evaluations or "unlimited"} evaluations')
        self.settings = self._settings()  # after load_from: the weights' hash is part of them
        state = self._load_state() if self.resume else None
        if state is not None:
            self.load_state(state)
            runner.logger.info(f'resumed the search at stage {self.stage} with {len(self.scores)} evaluations')
        runner.call_hook('before_train')
        self._started = time.time()
        self._first_evaluation = len(self.scores)
        chosen = self.search(state)
        finalists = self._time_finalists(chosen) if 'latency' in self.budget.limits else None
        if finalists:
            chosen = tuple(finalists[0]['candidate'])
        self._write_results(chosen, finalists)
        runner.call_hook('after_train')
        return runner.model

    def search(self, state: Optional[dict]) -> Candidate:
        """Runs the search (from ``state`` when resuming) and returns the chosen candidate."""
        raise NotImplementedError

    def _time_finalists(self, chosen: Candidate) -> List[dict]:
        """The best-scoring candidates the latency table admits (by score, the chosen one first among equals), timed end
        to end on the table's runtime in rounds of the budget's ``finalists`` (interleaved and paced by the largest
        subnet, see :meth:`~mmwidth.latency.table.LatencyTable.measure`), until one meets every limit as measured
        or four rounds have: the best-scoring admitted one is what the search keeps (or, when none is, the chosen
        one, with a warning). Measured on rank 0, shared with the others."""
        budget = self.budget
        ranked = sorted((e for e in self.history if tuple(e['candidate']) != tuple(chosen)
                         and budget.admits(self.widths(e['candidate']), window=False)), key=lambda e: -e['score'])
        chosen_score = self.scores[tuple(chosen)]['score'] if tuple(chosen) in self.scores else math.inf
        order = [tuple(e['candidate']) for e in ranked if e['score'] > chosen_score] + [tuple(chosen)] + \
            [tuple(e['candidate']) for e in ranked if e['score'] <= chosen_score]
        timed: List[dict] = []
        if is_main_process():
            for start in range(0, min(len(order), 4 * budget.finalists), budget.finalists):
                batch = order[start:start + budget.finalists]
                widths = [self.widths(candidate) for candidate in batch]
                times, drift = budget.latency_table.measure_with_drift(self.subject.architecture, widths)
                if any(abs(d - 1) > DRIFT_WARNING for d in drift.values()):
                    self.runner.logger.warning(
                        f'the table\'s smallest anchor subnet takes {drift["smallest"]:.2f}x the share of the '
                        'largest it took when the table was built: its predictions are off by up to about that on '
                        'this machine now (another load, or the table built elsewhere); the measured figures decide')
                for candidate, subnet, measured in zip(batch, widths, times):
                    predicted = budget.costs(subnet)
                    admitted = all(dict(predicted, latency=measured)[name] <= limit
                                   for name, limit in budget.limits.items())
                    timed.append(dict(candidate=list(candidate), score=self.scores.get(candidate, {}).get('score'),
                                      predicted_ms=predicted['latency'], measured_ms=measured, admitted=admitted,
                                      table_drift=drift))
                    self.runner.logger.info(f'finalist {len(timed)}: score {timed[-1]["score"]}, latency predicted '
                                            f'{predicted["latency"]:.3f} ms, measured {measured:.3f} ms'
                                            + ('' if admitted else ' (over the limit)'))
                if any(t['admitted'] for t in timed):
                    break
            timed.sort(key=lambda t: not t['admitted'])  # stable: the best-scoring admitted one first
            if not timed[0]['admitted']:
                self.runner.logger.warning(f'none of the {len(timed)} best candidates meets the latency limit as '
                                           'measured end to end: keeping the chosen one; rebuild the latency '
                                           'table (another load on the machine?) or loosen the limit')
        shared = [timed]
        broadcast_object_list(shared)
        return shared[0]

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

    def begin_stage(self, candidates: Sequence[Candidate]) -> None:
        """Starts a generation or step (an epoch to the hooks, its candidates the epoch's batches); the
        matching :meth:`checkpoint` ends it."""
        self.dataloader = Stage(tuple(int(c) for c in candidate) for candidate in candidates)
        self.runner.call_hook('before_train_epoch')

    def race_threshold(self) -> Optional[float]:
        """The score a candidate must be able to reach to matter (racing stops the others early): the best
        score so far; None: score it in full."""
        return max((entry['score'] for entry in self.history), default=None)

    def evaluate(self, candidate: Candidate) -> float:
        """The score of a candidate (scored once, then remembered), between the runner's iteration hooks."""
        candidate = tuple(int(c) for c in candidate)
        if candidate in self.scores:
            return self.scores[candidate]['score']
        runner = self.runner
        index = self.dataloader.index(candidate) if candidate in self.dataloader else len(self.dataloader)
        runner.call_hook('before_train_iter', batch_idx=index, data_batch=None)
        widths = self.widths(candidate)
        if hasattr(self.scorer, 'threshold'):
            self.scorer.threshold = self.race_threshold()
        result = self.scorer.score(widths)
        entry = dict(candidate=list(candidate), stage=self.stage, score=result['score'],
                     patterns=result.get('patterns', {}), flops=self.space.flops(widths),
                     params=self.space.params(widths))
        if result.get('raced'):
            entry['raced'] = True
        costs = self.budget.costs(widths)
        if self.budget.scope:
            entry.update({f'{self.budget.scope}_{k}': v for k, v in costs.items() if k != 'latency'})
        if 'latency' in costs:
            entry['latency_ms'] = costs['latency']  # predicted by the table
        self.scores[candidate] = entry
        self.history.append(entry)
        hub = runner.message_hub
        hub.update_scalar('train/score', entry['score'])
        hub.update_scalar('train/best_score', max(e['score'] for e in self.history))
        hub.update_scalar('train/mflops', entry['flops'] / 1e6)
        runner.call_hook('after_train_iter', batch_idx=index, data_batch=None, outputs=dict(score=entry['score']))
        self._iter += 1
        return entry['score']

    def best(self, candidates: Sequence[Candidate]) -> Candidate:
        return max(candidates, key=lambda c: self.scores[tuple(c)]['score'])

    # ------------------------------------------------------------------------------------------------- state
    @property
    def state_path(self) -> str:
        return osp.join(self.runner.work_dir, STATE_FILE)

    def checkpoint(self, **state) -> None:
        """Ends a generation or step: logs progress, gives the visualizer its scalars and saves what a resumed
        search needs (all ranks hold the same; rank 0 writes it)."""
        self.runner.call_hook('after_train_epoch')
        self._log_progress()
        stage = [entry for entry in self.history if entry['stage'] == self.stage - 1]
        if stage:
            self.runner.visualizer.add_scalars(dict(
                best_score=max(e['score'] for e in self.history),
                population_best_score=max(e['score'] for e in stage),
                population_mean_score=float(np.mean([e['score'] for e in stage])),
                population_mean_mflops=float(np.mean([e['flops'] for e in stage])) / 1e6), step=self.stage)
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
        """What decides the result, recorded in the state and compared on resume: the loop's ``train_cfg``
        (loop type and settings but ``stopping_settings``, budget, and the scorer with its data as it resolved
        them), the supernet's weights (a content hash, taken before any recalibration; none for an oracle, which
        scores without them) and the width space's fingerprint."""
        train_cfg = {key: value for key, value in self.runner.cfg.train_cfg.items()
                     if key not in ('resume', 'plot') + self.stopping_settings}
        train_cfg['scorer'] = getattr(self.scorer, 'settings', None) or train_cfg.get('scorer')
        weights = getattr(self.scorer, 'needs_trained_weights', False)
        settings = dict(train_cfg=train_cfg, weights=weights_fingerprint(self.subject.model) if weights else None,
                        space=self.space.fingerprint())
        return json.loads(json.dumps(settings, default=str))  # plain types, as the weights-only loader reads them

    def load_state(self, state: dict) -> None:
        self.stage = state['stage']
        self.generator.set_state(state['generator'])
        self.history = list(state['history'])
        self.scores = {tuple(entry['candidate']): entry for entry in self.history}
        self._iter = len(self.scores)

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

    def _write_results(self, chosen: Candidate, finalists: Optional[List[dict]] = None) -> None:
        entry = self.scores.get(tuple(chosen))
        widths = self.widths(chosen)
        latency = {}
        if finalists:
            timed = next(f for f in finalists if tuple(f['candidate']) == tuple(chosen))
            latency = dict(latency_ms=dict(predicted=timed['predicted_ms'], measured=timed['measured_ms'],
                                           **self.budget.latency_table.runtime().record()),
                           finalists=finalists)
        result = dict(subnet=widths, flops=self.space.flops(widths), params=self.space.params(widths),
                      score=None if entry is None else entry['score'],
                      patterns={} if entry is None else entry['patterns'], evaluations=len(self.scores),
                      loop=type(self).__name__, budget=self.budget.to_dict(), groups=self.space.full(),
                      scoring=getattr(self.scorer, 'scoring', None),
                      history=self.history, **latency, **self.extra_results())
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
        measured = f'{latency["latency_ms"]["measured"]:.3f} ms measured, ' if latency else ''
        message = f'search done: {len(self.scores)} evaluations; chosen subnet {result["flops"] / 1e6:.2f}M FLOPs, ' \
                  f'{result["params"] / 1e6:.3f}M params, {measured}score {result["score"]}; written to ' \
                  f'{work_dir}/subnet.json'
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
