"""A warm kernel that runs many notebooks one after another, reset in between.

Each papermill run normally starts a fresh kernel (~1.3 s) and re-imports pandas and
plotly (~2 s more). Here a worker keeps one kernel, pre-imports coachkit, and hands
papermill its kernel manager: nbclient leaves a kernel it does not own alive
(papermill#438 / JUPYTER-NOTES). Between notebooks, `reset()` wipes the user namespace
(`%reset -f`), coachkit's per-kernel caches and figure ids, then checks that nothing
but IPython's own names is left; a notebook never starts on a dirty kernel.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time

import papermill
from jupyter_client import KernelManager

WARMUP = "import coachkit, coachkit.progress, coachkit.grouping, coachkit.charts, pandas, plotly"
RESET = """
%reset -f
import gc as _gc, coachkit as _ck
_ck.charts.reset_ids()
_ck.caching.clear()
_left = [k for k in globals() if not k.startswith('_')
         and k not in ('In', 'Out', 'get_ipython', 'exit', 'quit', 'open')]
assert not _left, f'kernel not clean after reset: {_left}'
del _left, _ck
_gc.collect()
"""


class KernelError(RuntimeError):
    pass


class WarmKernel:
    def __init__(self, kernel_name: str = "python3", cwd: str | None = None, retries: int = 3):
        self.kernel_name, self.cwd = kernel_name, cwd
        self.km = None
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
                km.start_kernel(cwd=self.cwd, env=env)
                self.km = km
                self._run(WARMUP)
                return
            except Exception as err:   # zmq.ZMQError, RuntimeError: retry with new ports
                last = err
                time.sleep(0.5 * (attempt + 1))
        raise KernelError(f"could not start a kernel after {retries} tries: {last}")

    def _run(self, code: str, timeout: float = 60):
        kc = self.km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=timeout)
            reply = kc.execute_interactive(code, timeout=timeout, store_history=False,
                                           output_hook=lambda msg: None)
        finally:
            kc.stop_channels()
        if reply["content"]["status"] != "ok":
            raise KernelError(f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}")

    def reset(self):
        if not self.km.is_alive():
            self._start(3)
        self._run(RESET)

    def execute(self, notebook, parameters: dict, timeout: float = 600):
        """Run a notebook (path or NotebookNode) with papermill on this kernel; return the
        executed notebook. A failing cell raises papermill's PapermillExecutionError."""
        self.reset()
        return papermill.execute_notebook(
            notebook, None, parameters=parameters, km=self.km, kernel_name=self.kernel_name,
            progress_bar=False, log_output=False, execution_timeout=timeout)

    def shutdown(self):
        if self.km is not None and self.km.has_kernel:
            self.km.shutdown_kernel(now=True)
        shutil.rmtree(getattr(self, "_sockets", ""), ignore_errors=True)
