"""The torch-free part of videomae_det: AVA files and their evaluation, the
error type of bad input, plain-data pickles, video file names.

It imports numpy only (matplotlib when a plot is asked for), so the CSV and
data tools start in a fraction of a second; ``import videomae_det``, which
registers the models, pulls in torch, mmengine and mmaction2 (about 6 s).
"""
