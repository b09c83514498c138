"""What every command-line tool of mmwidth shares: one-line errors, ``--debug`` and JSON-only standard output."""
import argparse
import contextlib
import json
import sys
from typing import Any, Callable, Iterator

from .config import BUILD_MISTAKES, is_build_mistake
from .errors import WidthSearchError


def add_debug_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--debug', action='store_true',
                        help='show the traceback of a user\'s mistake too (internal errors always show theirs)')


@contextlib.contextmanager
def tool_session(json_output: bool, debug: bool = False) -> Iterator[None]:
    """Runs a tool's work. With ``--json``, anything the libraries print goes to stderr so that stdout carries
    only the JSON. A user's mistake (an mmwidth error, a missing file, a config value MMEngine's builders reject,
    also where the runner builds parts late, e.g. the data loaders) ends the tool with ``error: <what is wrong>``
    and exit status 2 (with ``debug``, with its traceback too); any other exception is a bug and keeps its
    traceback."""
    redirect = contextlib.redirect_stdout(sys.stderr) if json_output else contextlib.nullcontext()
    try:
        with redirect:
            yield
    except (WidthSearchError, FileNotFoundError, *BUILD_MISTAKES) as err:
        if debug or not (isinstance(err, (WidthSearchError, FileNotFoundError)) or is_build_mistake(err)):
            raise
        print(f'error: {err}', file=sys.stderr)
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
