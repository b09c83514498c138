"""What every command-line tool of mmwidth shares: one-line errors, ``--debug`` and JSON-only standard output."""
import argparse
import contextlib
import json
import sys
from typing import Any, Callable, Iterator

from .config import BUILD_MISTAKES, DictAction, describe_build_mistake, is_build_mistake
from .errors import WidthSearchError, describe, is_user_os_error


def add_debug_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--debug', action='store_true',
                        help='show the traceback of a user\'s mistake too (internal errors always show theirs)')


def add_cfg_options(parser: argparse.ArgumentParser) -> None:
    """``--cfg-options key=value ...``: settings merged into the config (e.g. a width-space scope or exclusion)
    without writing a wrapper config."""
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, metavar='KEY=VALUE',
                        help='override config settings, e.g. model.width_space.exclude=[backbone.layer4]')


def add_model_tool_options(parser: argparse.ArgumentParser) -> None:
    """What every tool that reads a model config takes: ``--input-shape``, ``--json``, ``--cfg-options`` and
    ``--debug``."""
    parser.add_argument('--input-shape', type=int, nargs='+', help='C H W (default: from the data pipeline)')
    parser.add_argument('--json', action='store_true', help='print only JSON')
    add_cfg_options(parser)
    add_debug_flag(parser)


def positive_int(text: str) -> int:
    """An argparse ``type``: a count that must check or do something (``--random 0`` would check nothing)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f'must be a positive integer, got {text}')
    return value


def non_negative_float(text: str) -> float:
    """An argparse ``type``: a tolerance (a negative one would fail every comparison, nan pass none)."""
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f'must be a number >= 0, got {text}')
    return value


@contextlib.contextmanager
def tool_session(json_output: bool, debug: bool = False) -> Iterator[None]:
    """Runs a tool's work. With ``--json``, anything the libraries print goes to stderr so that stdout carries
    only the JSON. A user's mistake (an mmwidth error; a missing file, an unwritable directory or a full disk;
    a config value or key a builder or constructor rejects, also where the runner builds parts late, e.g. the
    data loaders or the training loop) ends the tool with ``error: <what is wrong>``
    and exit status 2 (with ``debug``, with its traceback too); any other exception is a bug and keeps its
    traceback."""
    redirect = contextlib.redirect_stdout(sys.stderr) if json_output else contextlib.nullcontext()
    try:
        with redirect:
            yield
    except (WidthSearchError, OSError, *BUILD_MISTAKES) as err:
        if debug or not (isinstance(err, WidthSearchError) or is_user_os_error(err) or is_build_mistake(err)):
            raise
        message = describe(err) if isinstance(err, (WidthSearchError, OSError)) else describe_build_mistake(err)
        print(f'error: {message}', file=sys.stderr)
        sys.exit(2)


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2))


def run_and_report(work: Callable[[], Any], json_output: bool, print_table: Callable[[Any], None]) -> None:
    """A benchmark's entry: its work with everything the runners log kept off stdout, then its result as JSON
    (``--json``) or as the table ``print_table`` makes of it."""
    with tool_session(json_output=True):
        result = work()
    if json_output:
        print_json(result)
    else:
        print_table(result)
