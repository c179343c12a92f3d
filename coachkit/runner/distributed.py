"""Fan the notebook runs of a cycle out over a Dask distributed cluster.

    coachkit cycle --data district --cycle 6 --scheduler local             # a LocalCluster here
    coachkit cycle --data district --cycle 6 --scheduler tcp://dask:8786   # an existing cluster

Same jobs, same reports, same index as the local process pool (``run.run_jobs``); only
where the notebooks run changes. Each Dask worker keeps ONE warm kernel
(:class:`~coachkit.runner.kernel.WarmKernel`), started on the worker's first job and shut
down when the worker closes (a worker plugin), and runs its notebooks one at a time (a
per-worker lock; a LocalCluster also has one thread per worker). A report that fails, or a
worker that dies under it, becomes ``Outcome(ok=False, error=...)``; the run goes on.

Where files live: every worker must see the DATA folder under the same path (a shared
volume on Kubernetes, the home directory on JupyterHub). Reports are written by the
client by default (``write="client"``: the worker sends the HTML back), so the OUT folder
need only exist where ``coachkit cycle`` runs; ``write="worker"`` writes them on the
workers instead (needs OUT shared too, saves sending the HTML).
"""
from __future__ import annotations

import atexit
import os
import threading
import time
import uuid
from pathlib import Path

from .jobs import Job, Outcome, error_text, run_job

PLUGIN_NAME = "coachkit-warm-kernel"

# --- the worker side -------------------------------------------------------------------
# One WarmKernel per Dask worker, keyed by the worker's address: a worker process holds
# one worker (processes=True), a threaded LocalCluster several in one process.
_kernels: dict = {}
_locks: dict = {}
_guard = threading.Lock()


def _worker_key() -> str:
    try:
        from distributed import get_worker
        return get_worker().address
    except Exception:            # run outside a worker (tests, a plain process)
        return f"pid-{os.getpid()}"


def _kernel_for(key: str, cwd: str | None):
    """The worker's kernel and its lock, starting the kernel on first use (or again
    after it died)."""
    with _guard:
        lock = _locks.setdefault(key, threading.Lock())
    k = _kernels.get(key)
    if k is None:
        from .kernel import WarmKernel
        k = WarmKernel(cwd=cwd if cwd and os.path.isdir(cwd) else None)
        _kernels[key] = k
    return k, lock


def shutdown_kernel(key: str | None = None) -> None:
    """Shut down this worker's kernel (all of this process's kernels when key is None)."""
    keys = list(_kernels) if key is None else [key]
    for k in keys:
        kernel = _kernels.pop(k, None)
        if kernel is not None:
            try:
                kernel.shutdown()
            except Exception:
                pass


atexit.register(shutdown_kernel)


def _plugin():
    from distributed.diagnostics.plugin import WorkerPlugin

    class WarmKernelPlugin(WorkerPlugin):
        """Shuts the worker's warm kernel down when the worker closes. The kernel itself
        starts lazily, with the first notebook the worker is given."""
        name = PLUGIN_NAME
        idempotent = True

        def setup(self, worker):
            self.address = worker.address

        def teardown(self, worker):
            shutdown_kernel(worker.address)

    return WarmKernelPlugin()


def _job_on_worker(job: Job, cwd: str | None, write: str):
    """Run one job on this worker's warm kernel, one at a time. Returns (Outcome, html or
    None); never raises for a failing notebook."""
    key = _worker_key()
    start = time.perf_counter()
    try:
        kernel, lock = _kernel_for(key, cwd)
    except Exception as err:      # the kernel would not start: this job fails, not the run
        return Outcome(job.key, False, time.perf_counter() - start, error_text(err)), None
    with lock:
        if write == "worker":
            return run_job(job, kernel), None
        from .export import asset_src, to_html
        try:
            nb = kernel.execute(job.notebook, job.parameters)
            page = to_html(nb, title=job.title, plotlyjs=asset_src(job.out, job.assets))
            return Outcome(job.key, True, time.perf_counter() - start), page
        except Exception as err:
            return Outcome(job.key, False, time.perf_counter() - start, error_text(err)), None


# --- the client side -------------------------------------------------------------------
def _connect(scheduler, n_workers: int = 2):
    """(client, cluster or None). ``"local"``: a LocalCluster of 2 worker processes with
    one thread each; an address (``tcp://host:8786``, ``tls://…``): that scheduler; a
    ``distributed.Client`` or a cluster object (LocalCluster, a Dask Gateway or
    KubeCluster cluster) is used as given."""
    from distributed import Client, LocalCluster
    if isinstance(scheduler, Client):
        return scheduler, None, False
    if isinstance(scheduler, str) and scheduler.strip().lower() == "local":
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        return Client(cluster), cluster, True
    if hasattr(scheduler, "scheduler_address"):          # a cluster object
        return Client(scheduler), None, True
    if not isinstance(scheduler, str) or "://" not in scheduler and ":" not in scheduler:
        raise ValueError(f"scheduler must be 'local' or a Dask scheduler address such as "
                         f"tcp://10.0.0.5:8786; got {scheduler!r}")
    return Client(scheduler, timeout="30s"), None, True


def _write(job: Job, page: str | None, outcome: Outcome) -> None:
    path = Path(job.out)
    if outcome.ok and page is not None:
        if job.assets:
            from .export import write_assets
            write_assets(job.assets)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page, encoding="utf-8")      # as export.write_html writes it
    elif not outcome.ok:
        path.unlink(missing_ok=True)


def run_jobs_dask(jobs: list[Job], scheduler="local", progress: bool = True, *,
                  cwd: str | None = None, write: str = "client", n_workers: int = 2,
                  desc: str = "reports") -> list[Outcome]:
    """Run JOBS on a Dask cluster; one Outcome per job, in job order.

    scheduler: ``"local"`` (LocalCluster: ``n_workers`` processes, 1 thread each), a
        scheduler address, a ``distributed.Client`` or a cluster object.
    cwd: the kernels' working directory (default: this process's, when the workers have
        it).
    write: ``"client"`` (default) or ``"worker"``; see the module docstring.
    """
    if write not in ("client", "worker"):
        raise ValueError(f"write must be 'client' or 'worker'; got {write!r}")
    if not jobs:
        return []
    from distributed import as_completed
    from tqdm.auto import tqdm
    cwd = cwd or os.getcwd()
    client, cluster, owned = _connect(scheduler, n_workers)
    outcomes: dict[str, Outcome] = {}
    try:
        client.register_plugin(_plugin(), name=PLUGIN_NAME)
        run_id = uuid.uuid4().hex[:8]
        futures = {}
        for job in jobs:
            fut = client.submit(_job_on_worker, job, cwd, write, pure=False,
                                key=f"coachkit-report-{job.key}-{run_id}")
            futures[fut] = job
        with tqdm(total=len(jobs), desc=desc, unit="report", disable=not progress) as bar:
            for fut in as_completed(futures):
                job = futures[fut]
                try:
                    outcome, page = fut.result()
                    _write(job, page, outcome)
                except Exception as err:      # the worker died under it, or was lost
                    outcome = Outcome(job.key, False, 0.0, error_text(err))
                    Path(job.out).unlink(missing_ok=True)
                outcomes[job.key] = outcome
                fut.release()
                bar.update()
    finally:
        if owned:
            client.close()
        if cluster is not None:
            cluster.close()
    return [outcomes[j.key] for j in jobs]


__all__ = ["run_jobs_dask", "shutdown_kernel"]
