"""Progress bars for long commands: on a terminal only, never written into logs."""

from __future__ import annotations

import shutil
import sys


def stage_bar(total: int, desc: str, *, progress: bool | None = None):
    """A tqdm bar counting the stages of a command.

    Parameters
    ----------
    total : int
        Number of stages.
    desc : str
        Label shown before the bar (the command's name).
    progress : bool, optional
        Force the bar on or off; by default it shows only when stderr is a terminal, since a
        bar written into a log file or CI output is noise.

    Returns
    -------
    tqdm.tqdm
        Call ``.set_postfix_str(stage)`` and ``.update()`` as each stage finishes; ``.close()``
        at the end (or use it as a context manager).
    """
    from tqdm.auto import tqdm

    enabled = sys.stderr.isatty() if progress is None else bool(progress)
    # shutil falls back to $COLUMNS/$LINES or 80x24 when a pseudo-terminal reports a size of
    # zero, where tqdm would draw an empty bar or hide it as "below the screen".
    size = shutil.get_terminal_size()
    return tqdm(
        total=total,
        desc=desc,
        unit="step",
        disable=not enabled,
        leave=False,
        ncols=size.columns,
        nrows=size.lines,
    )
