# The digits' evolutionary search made lighter for the digit-mosaics supernets, whose candidates cost twice a
# digits one (more val images): recalibration on 5 batches, 3 generations of 16 candidates (48 at most), so that
# `tools/demo.py --task attributes` stays within 10 minutes on 2 CPU cores.
_base_ = ['./evolution_digits.py']
search_cfg = dict(scorer=dict(calibration_batches=5), max_generations=3, max_evaluations=48)
