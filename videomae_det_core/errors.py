"""One base class for errors in what a user gave us.

An :class:`InputError`'s message is complete on its own: it names the file
and line, the config key or the checkpoint key, and says what to do. The
tools print it as one line (``error: ...``) and exit 1, with no traceback;
any other exception is a bug and keeps its traceback (exit 3).
"""
import re
from typing import Any, Callable


class InputError(Exception):
    """Bad input (a file, a config, a checkpoint); the message says which
    and how to fix it."""


# mmengine's registry re-raises build errors as
# "class `X` in module.py: <message>"; the prefix says nothing to a user
_BUILD_PREFIX = re.compile(r'^(class `\w+` in [\w./\\-]+\.py: )+')


def user_message(err: BaseException) -> str:
    """``err``'s message without the registry's build prefixes."""
    return _BUILD_PREFIX.sub('', str(err))


def report(err: BaseException) -> int:
    """Print an :class:`InputError` as one line on stderr; return the exit
    code for problems in the input (1)."""
    import sys
    print(f'error: {user_message(err)}', file=sys.stderr)
    return 1


BUG = 3  # exit code of an error that is not the input's: a traceback


def exit_code(run: Callable[..., Any], *args) -> int:
    """A tool's ``main``: ``run(*args)``, 0 when it returns, 1 with one line
    on stderr for an :class:`InputError`; any other exception is a bug:
    its traceback and exit code 3 (2 stays argparse's usage error)."""
    try:
        run(*args)
    except InputError as err:
        return report(err)
    except Exception:
        import traceback
        traceback.print_exc()
        return BUG
    return 0
