# The evolutionary search of a digits detector supernet's backbone, small enough for a CPU (a few minutes):
# recalibration on 8 batches, 4 generations of 12 candidates (40 at most). A leaf config:
#   train_cfg = dict(_delete_=True, **_base_.evolution_detection_digits)
_base_ = ['./evolution_detection.py']
evolution_detection_digits = dict(
    _base_.evolution_detection,
    scorer=dict(_base_.evolution_detection.scorer, calibration_batches=8),
    population_size=12,
    top_k=4,
    num_mutation=6,
    num_crossover=6,
    mutation_prob=0.2,
    max_generations=4,
    max_evaluations=40)
