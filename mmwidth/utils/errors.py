"""Errors that mmwidth reports to a user in one line (bad configs, subnet files, budgets, checkpoints)."""
import errno

# What is wrong with a path the user gave or with the machine, not with the code: a missing file, a directory
# that cannot be written, a full disk or quota, a read-only file system, a file where a directory must go.
USER_OS_ERRNOS = (errno.ENOENT, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.ENOTDIR,
                  errno.EISDIR, errno.EEXIST)


class WidthSearchError(Exception):
    """Base of every error caused by the user's input rather than by a bug."""


class ConfigError(WidthSearchError, ValueError):
    """A config (or a command-line option) is missing, unreadable or inconsistent."""


class CheckpointError(WidthSearchError, RuntimeError):
    """A checkpoint is missing, unreadable or does not fit the model it is loaded into."""


class DatasetError(WidthSearchError, ValueError):
    """A dataset's files are missing or do not follow their format (the message names the file and line)."""


def is_user_os_error(err: BaseException) -> bool:
    """Whether ``err`` is an ``OSError`` about the user's paths or the machine (see ``USER_OS_ERRNOS``)."""
    return isinstance(err, OSError) and err.errno in USER_OS_ERRNOS


def describe(err: BaseException) -> str:
    """The one line a user reads: an OS error's reason and path, else the message."""
    if isinstance(err, OSError) and err.strerror and err.filename:
        return f'{err.strerror}: {err.filename}'
    return str(err)
