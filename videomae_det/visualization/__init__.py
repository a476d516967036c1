from .reconstruction import reconstruction_views, save_reconstruction_figure

__all__ = ['reconstruction_views', 'save_reconstruction_figure']
