from .reconstruction import reconstruction_views, save_reconstruction_figure
from .show_hook import ShowPredictionsHook

__all__ = ['reconstruction_views', 'save_reconstruction_figure',
           'ShowPredictionsHook']
