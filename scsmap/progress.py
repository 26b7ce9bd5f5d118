"""A labelled progress display over the stages of a command (compute, COG, checksums, statistics, STAC ...).

:class:`Progress` shows one line per stage on stderr: in a terminal a live display drawn with rich
(label, bar, count, elapsed time), elsewhere (a log file, a pipe, ``make`` output captured by CI) plain
lines that read well in a log: one when a stage starts, one at every further tenth of a long stage and
one when it ends, each with the time since the command started. :data:`QUIET` shows nothing.

The pipeline and the outputs stages take a :class:`Progress` and call :meth:`Progress.stage`; the dask
computation reports its tasks through :meth:`Stage.dask` (threaded scheduler; a distributed run shows
the stage's start and end only).

In a log a stage that ends within :data:`QUIET_SECONDS` takes one line (``statistics: 130 done in
0.2 s``); a longer one says when it started and, every :data:`LOG_EVERY_SECONDS` at most, how far it is.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, TextIO

#: a stage that ends within this many seconds takes one line in a log (no "started" line)
QUIET_SECONDS = 1.0
#: at most one "n %" line per stage in a log this often
LOG_EVERY_SECONDS = 3.0


class Stage:
    """One stage of a :class:`Progress`: ``advance`` after each of ``total`` items, or ``update`` a fraction."""

    def __init__(self, progress: Progress, label: str, total: int | None, detail: str):
        self.progress, self.label, self.total, self.detail = progress, label, total, detail
        self.done = 0
        self.fraction = 0.0
        self.t0 = time.perf_counter()
        self._lock = threading.Lock()
        self._tenth = 0
        self._logged = self.t0
        self._announce: threading.Timer | None = None
        self.announced = False
        self.finished = False

    def advance(self, n: int = 1) -> None:
        """``n`` more items done."""
        with self._lock:
            self.done += n
            self.fraction = self.done / self.total if self.total else 0.0
        self.progress._update(self)

    def update(self, fraction: float) -> None:
        """The share of the stage done, 0..1 (for stages without countable items)."""
        with self._lock:
            self.fraction = min(1.0, max(self.fraction, fraction))
        self.progress._update(self)

    @contextlib.contextmanager
    def dask(self, part: int = 0, parts: int = 1) -> Iterator[None]:
        """Report the tasks of the dask computations inside the block as part ``part`` of ``parts`` of the stage."""
        if not self.progress.enabled:
            yield
            return
        from dask.callbacks import Callback

        stage = self

        class _Tasks(Callback):
            def _start_state(self, dsk: Any, state: Any) -> None:
                self._state = state

            def _posttask(self, key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
                done = len(state["finished"])
                total = done + sum(len(state[k]) for k in ("ready", "waiting", "running"))
                if total:
                    stage.update((part + done / total) / parts)

        with _Tasks():
            yield


class Progress:
    """The progress display of one command, on stderr.

    Parameters
    ----------
    enabled : bool
        False: nothing is shown (``-q``).
    live : bool, optional
        Draw a live display (rich); default: when stderr is a terminal. Otherwise plain lines.
    stream : file, optional
        Where plain lines go (default: ``sys.stderr`` at the time of writing).
    """

    def __init__(self, enabled: bool = True, live: bool | None = None, stream: TextIO | None = None):
        self.enabled = enabled
        self.t0 = time.perf_counter()
        self._stream = stream
        self._live_requested = live
        self._rich: Any = None
        self._tasks: dict[int, Any] = {}
        self._lock = threading.Lock()

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stderr

    @property
    def live(self) -> bool:
        if self._live_requested is not None:
            return self._live_requested
        try:
            return self.stream.isatty()
        except (AttributeError, ValueError):
            return False

    def _line(self, text: str) -> None:
        self.stream.write(f"[{time.perf_counter() - self.t0:7.1f} s] {text}\n")
        self.stream.flush()

    def _start_rich(self) -> Any:
        if self._rich is None:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._rich = Progress(
                TextColumn("[bold]{task.description:<12}"),
                BarColumn(bar_width=30),
                TextColumn("{task.percentage:>3.0f} %"),
                TextColumn("{task.fields[count]:>9}"),
                TimeElapsedColumn(),
                TextColumn("{task.fields[detail]}"),
                console=Console(file=self.stream),
                transient=False,
            )
            self._rich.start()
        return self._rich

    @contextlib.contextmanager
    def stage(self, label: str, total: int | None = None, detail: str = "") -> Iterator[Stage]:
        """A stage of ``total`` items (or of a fraction, :meth:`Stage.update`), shown while the block runs."""
        st = Stage(self, label, total, detail)
        if self.enabled:
            with self._lock:
                if self.live:
                    self._tasks[id(st)] = self._start_rich().add_task(
                        label, total=total or 100, detail=detail, count=f"0/{total}" if total else ""
                    )
                else:  # said only when the stage is still running a moment later
                    st._announce = threading.Timer(QUIET_SECONDS, self._announce, (st,))
                    st._announce.daemon = True
                    st._announce.start()
        ok = False
        try:
            yield st
            ok = True
        finally:
            if self.enabled:
                with self._lock:
                    took = time.perf_counter() - st.t0
                    if self.live:
                        task = self._tasks.pop(id(st))
                        end = (total or 100) if ok else None
                        count = f"{st.done}/{total}" if total else ""
                        self._rich.update(task, completed=end, detail=detail if ok else "interrupted", count=count)
                    else:
                        st.finished = True
                        if st._announce is not None:
                            st._announce.cancel()
                        what = (f"{total} " if total else "") + ("done" if ok else "interrupted")
                        more = f" ({detail})" if detail and not st.announced else ""
                        self._line(f"{label}: {what} in {took:.1f} s{more}")

    def _update(self, st: Stage) -> None:
        if not self.enabled:
            return
        with self._lock:
            if self.live:
                task = self._tasks.get(id(st))
                if task is not None:
                    self._rich.update(
                        task,
                        completed=st.done if st.total else round(100 * st.fraction),
                        count=f"{st.done}/{st.total}" if st.total else "",
                    )
            else:
                tenth = int(st.fraction * 10)
                now = time.perf_counter()
                if st.announced and st._tenth < tenth < 10 and now - st._logged >= LOG_EVERY_SECONDS:
                    st._tenth, st._logged = tenth, now
                    count = f" ({st.done}/{st.total})" if st.total else ""
                    self._line(f"{st.label}: {10 * tenth} %{count}")

    def _announce(self, st: Stage) -> None:
        with self._lock:
            if st.finished:
                return
            st.announced = True
            st._logged = time.perf_counter()
            self._line(f"{st.label}: started" + (f" ({st.detail})" if st.detail else ""))

    def close(self) -> None:
        """Stop the live display (the finished stages stay on the screen)."""
        if self._rich is not None:
            self._rich.stop()
            self._rich = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


#: shows nothing
QUIET = Progress(enabled=False)
