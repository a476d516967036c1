from videomae_det_core.sample_videos import sample_videos

from .files import set_default_mode

__all__ = ['sample_videos', 'set_default_mode', 'type_name']


def type_name(value) -> str:
    """A config's ``type`` as its registry name, whatever the config style:
    ``'mmaction.VideoMAE'`` -> ``'VideoMAE'``; a class (new-style configs)
    -> its name."""
    if isinstance(value, str):
        return value.rpartition('.')[2]
    return getattr(value, '__name__', str(value))
