"""A warm kernel that runs many notebooks one after another, reset in between.

Each papermill run normally starts a fresh kernel (~1.3 s) and re-imports pandas and
plotly (~2 s more). Here a worker keeps one kernel, pre-imports coachkit, and hands
papermill its kernel manager: nbclient leaves a kernel it does not own alive
(papermill#438 / JUPYTER-NOTES). Between notebooks, `reset()` wipes the user namespace
(`%reset -f`), coachkit's per-kernel caches and figure ids, then checks that nothing
but IPython's own names is left; a notebook never starts on a dirty kernel.

What a reset keeps: the modules, and the district tables the kernel has loaded
(``coachkit.caching.keep``): read-only, handed to each notebook as a copy-on-write copy
(``load_dataset``), checked unchanged at every reset. Nothing a notebook defines.

Made cheap: one kernel client for the worker's life (a new client waits ≥0.2 s for the
kernel's IOPub to go quiet, twice a report: for the reset and for papermill's own
client, which gets ours through the ``coachkit_warm`` papermill engine), the objects
alive after warm-up frozen out of the garbage collector's scans (``gc.freeze``: the
reset's two collections walk only what the last notebook made) and no IPython history
database (nothing reads it in a batch run).
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time

import papermill
from jupyter_client import KernelManager
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger

WARMUP = """
import gc as _gc
import coachkit, coachkit.progress, coachkit.grouping, coachkit.charts, coachkit.talk
import coachkit.agenda, coachkit.tables, coachkit.store, coachkit.caching, pandas, plotly
coachkit.caching.keep(True)
_gc.collect()
_gc.freeze()
del _gc
"""
RESET = """
%reset -f
import gc as _gc, coachkit as _ck
_ck.charts.reset_ids()
_ck.caching.clear()
_ck.caching.check_kept()
_left = [k for k in globals() if not k.startswith('_')
         and k not in ('In', 'Out', 'get_ipython', 'exit', 'quit', 'open')]
assert not _left, f'kernel not clean after reset: {_left}'
del _left, _ck
_gc.collect()
"""
ENGINE = "coachkit_warm"


class KernelError(RuntimeError):
    pass


class _WarmClient(PapermillNotebookClient):
    """papermill's notebook client on a kernel client that is already connected."""

    def __init__(self, nb_man, warm_kc=None, **kw):
        super().__init__(nb_man, **kw)
        self.kc = warm_kc     # nbclient starts (and waits for) a new client only if None


class WarmEngine(NBClientEngine):
    """papermill's nbclient engine, passing the worker's kernel client through."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                 stderr_file=None, start_timeout=60, execution_timeout=None,
                                 warm_kc=None, **kwargs):
        kwargs = {k: v for k, v in kwargs.items()
                  if k not in ("input_path", "timeout", "startup_timeout")}
        return _WarmClient(nb_man, warm_kc=warm_kc, timeout=execution_timeout,
                           startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
                           log_output=log_output, stdout_file=stdout_file,
                           stderr_file=stderr_file, **kwargs).execute()


papermill_engines.register(ENGINE, WarmEngine)


class WarmKernel:
    def __init__(self, kernel_name: str = "python3", cwd: str | None = None, retries: int = 3):
        self.kernel_name, self.cwd = kernel_name, cwd
        self.km = self.kc = None
        self._start(retries)

    def _start(self, retries: int):
        # a kernel launch can still fail now and then (ZMQError, papermill#511): retry
        last = None
        for attempt in range(retries):
            try:
                # IPC sockets instead of TCP ports: no port to lose to a sibling worker
                self._sockets = tempfile.mkdtemp(prefix="coachkit-kernel-")
                km = KernelManager(kernel_name=self.kernel_name, transport="ipc",
                                   ip=os.path.join(self._sockets, "k"))
                env = dict(os.environ, COACHKIT_RUNNER="1")
                km.start_kernel(cwd=self.cwd, env=env,
                                extra_arguments=["--HistoryManager.enabled=False"])
                self.km = km
                self._connect()
                self._run(WARMUP)
                return
            except Exception as err:   # zmq.ZMQError, RuntimeError: retry with new ports
                last = err
                self._stop_client()
                time.sleep(0.5 * (attempt + 1))
        raise KernelError(f"could not start a kernel after {retries} tries: {last}")

    def _connect(self):
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def _check_client(self):
        """Our client answers (≈5 ms); if not, a new one. A papermill run on this kernel
        manager that did not go through ``execute`` (its own client) can leave ours
        deaf to the kernel."""
        try:
            self._run("pass", timeout=2)
        except Exception:     # TimeoutError, RuntimeError: connect again
            self._stop_client()
            self._connect()

    def _stop_client(self):
        if self.kc is not None:
            self.kc.stop_channels()
            self.kc = None

    def _run(self, code: str, timeout: float = 60):
        reply = self.kc.execute_interactive(code, timeout=timeout, store_history=False,
                                            output_hook=lambda msg: None)
        if reply["content"]["status"] != "ok":
            raise KernelError(f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}")

    def reset(self):
        if not self.km.is_alive():
            self._stop_client()
            self._start(3)
        self._check_client()
        self._run(RESET)

    def execute(self, notebook, parameters: dict, timeout: float = 600):
        """Run a notebook (path or NotebookNode) with papermill on this kernel; return the
        executed notebook. A failing cell raises papermill's PapermillExecutionError."""
        self.reset()
        return papermill.execute_notebook(
            notebook, None, parameters=parameters, km=self.km, kernel_name=self.kernel_name,
            engine_name=ENGINE, warm_kc=self.kc,
            progress_bar=False, log_output=False, execution_timeout=timeout)

    def shutdown(self):
        self._stop_client()
        if self.km is not None and self.km.has_kernel:
            self.km.shutdown_kernel(now=True)
        shutil.rmtree(getattr(self, "_sockets", ""), ignore_errors=True)
