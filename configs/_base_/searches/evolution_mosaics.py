# The digits' evolutionary search made lighter for the digit-mosaics supernets, whose candidates cost twice a
# digits one (more val images): recalibration on 5 batches, 3 generations of 16 candidates (48 at most), so that
# `tools/demo.py --task attributes` stays within 10 minutes on 2 CPU cores; candidates maximise the mean attribute
# accuracy. A leaf config: train_cfg = dict(_delete_=True, **_base_.evolution_mosaics)
_base_ = ['./evolution_digits.py']
evolution_mosaics = dict(
    _base_.evolution_digits,
    scorer=dict(_base_.evolution_digits.scorer, calibration_batches=5, metric='attributes/mean_accuracy'),
    max_generations=3,
    max_evaluations=48)
