"""Writing result files atomically: checkpoints, search states, results and exports never left truncated."""
import contextlib
import os
import os.path as osp
import tempfile
from typing import IO, Iterator

from mmengine.fileio import LocalBackend, register_backend


@contextlib.contextmanager
def atomic_write(path: str, binary: bool = False) -> Iterator[IO]:
    """A file to write ``path``'s new content to: a temporary file in the same directory, renamed over ``path``
    (``os.replace``, atomic on one file system) once written and flushed; removed if writing fails (a full disk,
    an exception), so that a later step never reads a truncated file."""
    folder = osp.dirname(osp.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f'.{osp.basename(path)}.', suffix='.tmp')
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(temporary, 0o666 & ~umask)  # the mode a plain open() gives, not mkstemp's private 0600
        with os.fdopen(handle, 'wb' if binary else 'w') as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise


class AtomicLocalBackend(LocalBackend):
    """MMEngine's local file backend writing through :func:`atomic_write`: the backend of the runners'
    ``CheckpointHook`` (``backend_args=dict(backend='mmwidth_atomic')``, set by ``build_runner``), so that a
    checkpoint or ``last_checkpoint`` is whole or absent."""

    def put(self, obj: bytes, filepath) -> None:
        os.makedirs(osp.dirname(osp.abspath(filepath)), exist_ok=True)
        with atomic_write(str(filepath), binary=True) as f:
            f.write(obj)

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        self.put(obj.encode(encoding), filepath)


register_backend('mmwidth_atomic', AtomicLocalBackend, force=True)
