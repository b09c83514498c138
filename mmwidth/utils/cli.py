"""What every command-line tool of mmwidth shares: one-line errors and JSON-only standard output."""
import contextlib
import json
import sys
from typing import Any, Iterator

from .errors import WidthSearchError


@contextlib.contextmanager
def tool_session(json_output: bool) -> Iterator[None]:
    """Runs a tool's work. With ``--json``, anything the libraries print goes to stderr so that stdout carries
    only the JSON. A user's mistake ends the tool with ``error: <what is wrong>`` and exit status 2."""
    redirect = contextlib.redirect_stdout(sys.stderr) if json_output else contextlib.nullcontext()
    try:
        with redirect:
            yield
    except (WidthSearchError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        sys.exit(2)


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2))
