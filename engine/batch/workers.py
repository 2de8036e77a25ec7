"""Worker processes for batches: one pipe per worker, one chunk in flight per worker, results in input order.

Not ``multiprocessing.Pool`` nor ``ProcessPoolExecutor``: both read every worker's results from one
shared pipe that the parent also holds open, so a worker killed while writing a result leaves the
parent waiting for ever for the rest of it (seen in CI, and in 1 of 6 runs of our worker-death test).
Here each worker has a pipe of its own whose other end only that worker holds: when it dies, its pipe
ends, and the batch stops with error B100 instead of hanging. A worker gets a new chunk only when it
has sent back the last one, so neither side can block writing while the other is blocked writing too.
Workers start from a fork server, so they inherit no lock another thread of the parent held.
"""

from __future__ import annotations

import pickle
import signal
from collections.abc import Callable, Generator, Iterable
from multiprocessing import connection, get_context
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

STOP_SECONDS = 5.0  # how long an idle worker may take to leave before it is killed


class WorkerLost(Exception):
    """A worker ended without sending back its chunk; ``chunk`` is that chunk's first item."""

    def __init__(self, chunk: list[Any]) -> None:
        super().__init__("a worker process ended before sending back its results")
        self.chunk = chunk


class _Worker:
    """One process with its own pipe; ``index`` is the chunk it is working on, if any."""

    def __init__(self, context: Any, setup: bytes, work: Callable[..., Any]) -> None:
        ours, theirs = context.Pipe()
        self.process = context.Process(target=_serve, args=(theirs, setup, work), daemon=True)
        self.process.start()
        theirs.close()  # only the worker holds its end now: its death ends the pipe
        self.pipe = ours
        self.index: int | None = None

    def give(self, index: int, chunk: list[Any]) -> None:
        self.index = index
        try:
            self.pipe.send(chunk)
        except OSError:  # it died while idle
            raise WorkerLost(chunk) from None

    def take(self, chunk: list[Any]) -> Any:
        try:
            return self.pipe.recv()
        except (EOFError, OSError):
            raise WorkerLost(chunk) from None
        finally:
            self.index = None

    def stop(self) -> None:
        """Ask an idle worker to leave; a busy one (its chunk no longer wanted) is terminated."""
        if self.index is None and self.process.is_alive():
            try:
                self.pipe.send(None)
            except OSError:
                pass  # it has gone already
            self.process.join(STOP_SECONDS)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()
        self.pipe.close()


def map_in_order(setup: Callable[[], Any], work: Callable[[Any, list[Item]], list[Result]],
                 chunks: Iterable[list[Item]], jobs: int,
                 window: int) -> Generator[tuple[list[Item], list[Result]], None, None]:
    """Each chunk with ``work(state, chunk)`` computed in a worker, in input order.

    ``setup`` is called once here; its pickled result is each worker's ``state``. At most ``window``
    chunks are out (sent, or done and waiting for an earlier one), so memory does not grow with the input.
    Raises ``WorkerLost`` if a worker ends without sending back its chunk.
    """
    context = get_context("forkserver")
    context.set_forkserver_preload([work.__module__])
    state = pickle.dumps(setup())
    workers = [_Worker(context, state, work) for _ in range(jobs)]
    source = iter(enumerate(chunks))
    out: dict[int, list[Item]] = {}  # chunk index → chunk, from sending it until it is yielded
    done: dict[int, list[Result]] = {}
    next_index = 0
    exhausted = False
    try:
        while True:
            for worker in workers:
                if worker.index is None and not exhausted and len(out) < window:
                    item = next(source, None)
                    if item is None:
                        exhausted = True
                    else:
                        out[item[0]] = item[1]
                        worker.give(*item)
            while next_index in done:
                yield out.pop(next_index), done.pop(next_index)
                next_index += 1
            busy = [worker for worker in workers if worker.index is not None]
            if not busy:
                if exhausted and not out:
                    return
                continue
            ready = connection.wait([worker.pipe for worker in busy] + [worker.process.sentinel for worker in busy])
            for worker in busy:
                if worker.pipe in ready or worker.process.sentinel in ready:
                    index = worker.index
                    assert index is not None
                    done[index] = worker.take(out[index])
    finally:
        for worker in workers:
            worker.stop()


def _serve(pipe: Any, setup: bytes, work: Callable[[Any, list[Any]], list[Any]]) -> None:
    """A worker's life: unpickle the state once, then answer chunks until told to stop or the parent goes."""
    # Ctrl-C reaches the whole process group: the parent stops the batch, so a worker need not say anything.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    state = pickle.loads(setup)  # pickled by our own parent process
    while True:
        try:
            chunk = pipe.recv()
            if chunk is None:
                return
            pipe.send(work(state, chunk))
        except (EOFError, OSError):
            return  # the parent has gone (or closed our pipe): nothing is waiting for a result
