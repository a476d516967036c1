"""One rule for samples that fail to load (a corrupt or truncated video, a
missing file): a clear error naming the file, raised where it happens, or,
with ``skip_bad_samples=True`` in the dataset config, a warning per skipped
sample with the running count, and another sample drawn in its place
(mmengine's refetch). Skipping is never silent.
"""
from mmengine.logging import print_log


class SampleLoadError(RuntimeError):
    """A sample could not be loaded; the message names its file."""


class BadSampleMixin:
    """For mmengine datasets whose samples carry ``filename`` (or
    ``frame_dir``)."""

    def __init__(self, *args, skip_bad_samples: bool = False,
                 **kwargs) -> None:
        self.skip_bad_samples, self.skipped = skip_bad_samples, 0
        super().__init__(*args, **kwargs)

    def prepare_data(self, idx: int):
        try:
            return super().prepare_data(idx)
        except Exception as err:
            info = self.get_data_info(idx)
            name = info.get('filename', info.get('frame_dir', f'#{idx}'))
            message = f'{name}: cannot load sample {idx}: ' \
                f'{type(err).__name__}: {err}'
            if not self.skip_bad_samples:
                raise SampleLoadError(message + ' (set skip_bad_samples='
                                      'True in the dataset to skip such '
                                      'samples)') from err
            self.skipped += 1
            print_log(f'skipped {message} ({self.skipped} skipped so far in '
                      'this process)', logger='current', level=30)
            return None  # mmengine draws another sample

