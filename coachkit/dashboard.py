"""`coachkit dashboard`: serve the Voila dashboards on this machine.

Voila runs on loopback by default; serving to a network is an explicit `--ip` and then
needs a token. The data path reaches the dashboards' kernels through COACHKIT_DATA.
Kernels are preheated (they load the district and draw the default view before anyone
asks), so the first page is quick; the notebooks call `wait_for_request()` before they
read the URL's query string, as preheated kernels must.
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import click

from .runner.run import NOTEBOOKS

DASHBOARDS = NOTEBOOKS / "dashboards"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def free_port(ip: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((ip, 0))
        return s.getsockname()[1]


def voila_command(*, port: int, ip: str = "127.0.0.1", token: str | None = None,
                  preheat: bool = True, pool_size: int = 1, base_url: str = "/") -> list[str]:
    """The voila command line that serves notebooks/dashboards/."""
    if ip not in LOOPBACK and not token:
        raise click.UsageError(f"serving on {ip} reaches other machines: give --token "
                               "(or --token auto) so only people with the link get in")
    cmd = [sys.executable, "-m", "voila", str(DASHBOARDS), "--no-browser",
           f"--port={port}", f"--Voila.ip={ip}", f"--Voila.base_url={base_url}",
           "--Voila.port_retries=0", "--show_tracebacks=True",
           # culling keeps a principal's forgotten tab from holding a kernel all week
           "--MappingKernelManager.cull_idle_timeout=3600",
           "--MappingKernelManager.cull_interval=300"]
    if preheat:
        cmd += ["--preheat_kernel=True", f"--pool_size={pool_size}"]
    if token:
        cmd += [f"--token={token}"]
    return cmd


def start(data, *, port: int | None = None, ip: str = "127.0.0.1", token: str | None = None,
          preheat: bool = True, pool_size: int = 1, log=None):
    """Start Voila in the background; return (process, url). The caller stops it."""
    port = port or free_port(ip if ip not in ("0.0.0.0", "::") else "127.0.0.1")
    env = dict(os.environ, COACHKIT_DATA=str(Path(data).resolve()))
    proc = subprocess.Popen(voila_command(port=port, ip=ip, token=token, preheat=preheat,
                                          pool_size=pool_size),
                            env=env, stdout=log or subprocess.DEVNULL,
                            stderr=log or subprocess.DEVNULL, start_new_session=True)
    host = "127.0.0.1" if ip in ("0.0.0.0", "::") else ip
    url = f"http://{host}:{port}/" + (f"?token={token}" if token else "")
    return proc, url


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


def stop(proc) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@click.command()
@click.option("--data", type=click.Path(exists=True), default="sample_data/district",
              show_default=True, help="The district's data.")
@click.option("--port", type=int, default=None, help="Port (default: a free one).")
@click.option("--ip", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback needs --token.")
@click.option("--token", default=None,
              help="Require this token in the URL; 'auto' makes a random one.")
@click.option("--no-browser", is_flag=True, help="Don't open a browser.")
@click.option("--no-preheat", is_flag=True, help="Start kernels on demand instead.")
def dashboard(data, port, ip, token, no_browser, no_preheat):
    """Serve the principal and grade-level meeting dashboards with Voila.

    Open the printed URL; its root page links to each dashboard. Ctrl-C stops it."""
    if token == "auto":
        token = secrets.token_urlsafe(24)
    if not shutil.which("voila") and not (Path(sys.executable).parent / "voila").exists():
        raise click.ClickException("voila is not installed (pip install voila)")
    proc, url = start(data, port=port, ip=ip, token=token, preheat=not no_preheat,
                      log=None if no_browser else None)
    try:
        wait_until_up(url, proc)
        click.echo(f"coachkit dashboards: {url}")
        click.echo(f"  principal:     {url.split('?')[0]}voila/render/principal_dashboard.ipynb")
        click.echo(f"  grade meeting: {url.split('?')[0]}voila/render/grade_meeting.ipynb"
                   "?classroom=...")
        click.echo("Ctrl-C to stop.")
        if not no_browser:
            import webbrowser
            webbrowser.open(url)
        proc.wait()
    except KeyboardInterrupt:
        click.echo("\nstopping …")
    finally:
        stop(proc)
