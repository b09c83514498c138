# The evolutionary search of a digits detector supernet's backbone, small enough for a CPU (a few minutes): half
# the backbone's FLOPs, recalibration on 8 batches, 4 generations of 12 candidates (40 at most), each scored by
# COCO box mAP on the held-out part of the digits detection set's `train` split.
_base_ = ['./evolution_detection.py']
search_cfg = dict(
    scorer=dict(calibration_batches=8),
    population_size=12,
    top_k=4,
    num_mutation=6,
    num_crossover=6,
    mutation_prob=0.2,
    max_generations=4,
    max_evaluations=40)
