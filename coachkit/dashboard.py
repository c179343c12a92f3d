"""Serve the Voila dashboards on this machine (the library under `coachkit dashboard`).

Voila serves ``notebooks/dashboards/`` in tree mode: its root URL lists the dashboards
(links to ``voila/render/<name>.ipynb``). It binds to loopback by default; serving to a
network is an explicit ``--ip`` and then needs a token. The data path reaches the kernels
through COACHKIT_DATA.

Kernels are preheated: Voila keeps ``--pool-size`` kernels per notebook that have already
loaded the district and computed the default view; the notebooks call
``wait_for_request()`` (``coachkit.widgets.parameters``) before they read the URL's query
string, as preheated kernels must. A warm kernel writes a file into COACHKIT_READY_DIR
just before it waits, which is how this command (and the tests) know the dashboards are
warm. See docs/dashboards.md.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .runner.run import NOTEBOOKS

DASHBOARDS = NOTEBOOKS / "dashboards"
PAGES = {"principal": "principal_dashboard.ipynb", "grade meeting": "grade_meeting.ipynb"}
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def free_port(ip: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((ip, 0))
        return s.getsockname()[1]


TEMPLATE = "coachkit"


def offline_template(dest: Path | str) -> Path:
    """Write a Voila template named ``coachkit`` under DEST (a Jupyter data dir): Voila's
    ``lab`` template without its Font Awesome stylesheets from cdn.jsdelivr.net, so a
    dashboard page asks nothing of the internet (a school's network may not let it out,
    and it leaks who opens what). Copied from the installed Voila, so it follows its
    version. Returns DEST; put it first on JUPYTER_PATH and pass ``--template=coachkit``."""
    from voila.paths import collect_template_paths
    found = {}
    for d in collect_template_paths(["voila", "nbconvert"], "lab"):
        for name in ("index.html.j2", "page.html"):
            if name not in found and (Path(d) / name).exists() and Path(d).name == "lab":
                found[name] = Path(d) / name
    base = next(Path(d) / "page.html" for d in collect_template_paths(["voila", "nbconvert"], "base")
                if (Path(d) / "page.html").exists() and Path(d).name == "base")
    out = Path(dest) / "voila" / "templates" / TEMPLATE
    out.mkdir(parents=True, exist_ok=True)

    def strip(text: str) -> str:
        return "\n".join(line for line in text.splitlines() if "cdn.jsdelivr.net" not in line) + "\n"

    (out / "conf.json").write_text('{"base_template": "lab"}\n')
    (out / "index.html.j2").write_text(strip(found["index.html.j2"].read_text()))
    (out / "base_page.html").write_text(strip(base.read_text()))
    (out / "page.html").write_text(strip(found["page.html"].read_text()).replace(
        "'voila/templates/base/page.html'", "'base_page.html'"))
    return Path(dest)


def voila_command(*, port: int, ip: str = "127.0.0.1", token: str | None = None,
                  preheat: bool = True, pool_size: int = 1, base_url: str = "/",
                  root: Path | str = DASHBOARDS) -> list[str]:
    """The voila command line that serves the dashboards folder."""
    if ip not in LOOPBACK and not token:
        raise ValueError(f"serving on {ip} reaches other machines: give --token "
                         "(or --token auto) so only people with the link get in")
    if not base_url.startswith("/") or not base_url.endswith("/"):
        raise ValueError(f"--base-url must start and end with '/'; got {base_url!r}")
    cmd = [sys.executable, "-m", "voila", str(root), "--no-browser",
           f"--port={port}", f"--Voila.ip={ip}", f"--Voila.base_url={base_url}",
           "--Voila.port_retries=0", f"--template={TEMPLATE}",
           # the root page lists the dashboards as plain links (no JavaScript needed)
           "--VoilaConfiguration.classic_tree=True",
           # tracebacks can show data: only on this machine
           f"--show_tracebacks={ip in LOOPBACK}",
           # culling keeps a principal's forgotten tab from holding a kernel all week
           "--MappingKernelManager.cull_idle_timeout=3600",
           "--MappingKernelManager.cull_interval=300"]
    if preheat:
        cmd += ["--preheat_kernel=True", f"--pool_size={pool_size}"]
    if token:
        cmd += [f"--token={token}"]
    return cmd


def start(data, *, port: int | None = None, ip: str = "127.0.0.1", token: str | None = None,
          preheat: bool = True, pool_size: int = 1, base_url: str = "/", log=None,
          env: dict | None = None):
    """Start Voila in the background; return (process, url). ``process.ready_dir`` is the
    folder warm kernels announce themselves in. The caller stops it with ``stop``."""
    port = port or free_port(ip if ip not in ("0.0.0.0", "::") else "127.0.0.1")
    cmd = voila_command(port=port, ip=ip, token=token, preheat=preheat, pool_size=pool_size,
                        base_url=base_url)        # checks the options before making files
    ready = tempfile.mkdtemp(prefix="coachkit-dashboard-")
    jpath = offline_template(Path(ready) / "jupyter")
    kenv = dict(os.environ, COACHKIT_DATA=str(Path(data).resolve()), COACHKIT_READY_DIR=ready,
                JUPYTER_PATH=os.pathsep.join(
                    [str(jpath)] + [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]),
                **(env or {}))
    proc = subprocess.Popen(cmd, env=kenv, stdout=log or subprocess.DEVNULL,
                            stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
                            start_new_session=True)
    proc.ready_dir = ready
    proc.expected_warm = pool_size * len(PAGES) if preheat else 0
    host = "127.0.0.1" if ip in ("0.0.0.0", "::") else ip
    url = f"http://{host}:{port}{base_url}" + (f"?token={token}" if token else "")
    return proc, url


def page_url(url: str, page: str, query: str = "") -> str:
    """The address of one dashboard under the root URL start() returned."""
    base, _, token = url.partition("?")
    q = "&".join(x for x in (query.lstrip("?"), token) if x)
    return f"{base}voila/render/{PAGES.get(page, page)}" + (f"?{q}" if q else "")


def wait_until_up(url: str, proc, timeout: float = 60) -> None:
    import urllib.request
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"voila exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"voila did not answer on {url} within {timeout:.0f} s")


def warm_count(proc) -> int:
    """How many preheated kernels have finished warming since the server started."""
    d = getattr(proc, "ready_dir", None)
    return len(list(Path(d).glob("*.warm"))) if d and Path(d).exists() else 0


def wait_until_warm(proc, count: int | None = None, timeout: float = 300) -> float:
    """Wait until ``count`` kernels (default: the whole first pool) are warm; returns the
    seconds waited."""
    count = proc.expected_warm if count is None else count
    t0 = time.monotonic()
    while warm_count(proc) < count:
        if proc.poll() is not None:
            raise RuntimeError(f"voila exited with status {proc.returncode}")
        if time.monotonic() - t0 > timeout:
            raise TimeoutError(f"{warm_count(proc)} of {count} kernels warm after {timeout:.0f} s")
        time.sleep(0.2)
    return time.monotonic() - t0


def stop(proc) -> None:
    """Stop Voila and its kernels (they share its process group)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        except ProcessLookupError:
            pass
    try:                                     # kernels left behind by a voila that died
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    shutil.rmtree(getattr(proc, "ready_dir", "") or "/nonexistent", ignore_errors=True)
