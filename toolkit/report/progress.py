"""Progress for long commands: kept for code written before issue 20; the helper is
:func:`toolkit.outputs.progress` (a bar on a terminal, one line per stage in a log)."""

from __future__ import annotations


def stage_bar(total: int, desc: str, *, progress: bool | None = None):
    """A :class:`toolkit.outputs.Progress` counting the stages of a command.

    Parameters
    ----------
    total : int
        Number of stages.
    desc : str
        Label (the command's name).
    progress : bool, optional
        True: a bar; False: lines; default: a bar when stderr is a terminal, lines otherwise.

    Returns
    -------
    toolkit.outputs.Progress
        Call ``.set_postfix_str(stage)`` (or ``.stage(name)``) as each stage starts and
        ``.update()`` as it finishes; use it as a context manager.
    """
    from toolkit.outputs import progress as make_progress

    return make_progress(total, desc, tty=progress)
