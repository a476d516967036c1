"""A one-line progress bar for the data tools (mmengine's ``ProgressBar``
needs mmengine, which the torch-free tools do not import)."""
import sys
import time
from typing import TextIO


class ProgressBar:
    """``done/total, items/s, elapsed, ETA`` redrawn in place on ``file``.

    Args:
        total: Number of items.
        file: Where to draw (stdout); without a terminal, one line every 10%.
    """

    def __init__(self, total: int, file: TextIO = sys.stdout) -> None:
        self.total, self.done, self.file = max(total, 1), 0, file
        self.start = time.perf_counter()
        self.live = file.isatty()

    def update(self, count: int = 1) -> None:
        step = max(self.total // 10, 1)
        before, self.done = self.done, self.done + count
        if not self.live and self.done // step == before // step and \
                self.done != self.total:
            return
        elapsed = time.perf_counter() - self.start
        rate = self.done / max(elapsed, 1e-9)
        eta = (self.total - self.done) / max(rate, 1e-9)
        line = (f'{self.done}/{self.total}, {rate:.1f} it/s, elapsed '
                f'{elapsed:.0f} s, ETA {eta:.0f} s')
        end = '\n' if not self.live or self.done >= self.total else ''
        self.file.write(('\r' if self.live else '') + line + end)
        self.file.flush()
