"""Errors that mmwidth reports to a user in one line (bad configs, subnet files, budgets, checkpoints)."""


class WidthSearchError(Exception):
    """Base of every error caused by the user's input rather than by a bug."""


class ConfigError(WidthSearchError, ValueError):
    """A config (or a command-line option) is missing, unreadable or inconsistent."""


class CheckpointError(WidthSearchError, RuntimeError):
    """A checkpoint is missing, unreadable or does not fit the model it is loaded into."""


class DatasetError(WidthSearchError, ValueError):
    """A dataset's files are missing or do not follow their format (the message names the file and line)."""
