"""`coachkit dashboard`: serve the principal and grade-meeting dashboards with Voila."""
from __future__ import annotations

import os
import secrets
import signal
import threading
import time

import click

from ..dashboard import PAGES, page_url, start, stop, wait_until_up, wait_until_warm


@click.command()
@click.option("--data", type=click.Path(exists=True, file_okay=False),
              default=lambda: os.environ.get("COACHKIT_DATA", "sample_data/district"),
              show_default="$COACHKIT_DATA or sample_data/district", help="The district's data.")
@click.option("--port", type=int, default=None, help="Port (default: a free one).")
@click.option("--ip", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback needs --token.")
@click.option("--token", default=None,
              help="Require this token in the URL; 'auto' makes a random one.")
@click.option("--base-url", default="/", show_default=True,
              help="URL prefix, e.g. when served behind JupyterHub (/user/NAME/proxy/PORT/).")
@click.option("--pool-size", type=click.IntRange(0, 8), default=1, show_default=True,
              help="Preheated kernels kept ready per dashboard.")
@click.option("--no-preheat", is_flag=True, help="Start kernels on demand instead.")
@click.option("--log", "log_path", type=click.Path(dir_okay=False), default=None,
              help="Write Voila's log to this file.")
@click.option("--no-browser", is_flag=True, help="Don't open a browser.")
def dashboard(data, port, ip, token, base_url, pool_size, no_preheat, log_path, no_browser):
    """Serve the principal and grade-level meeting dashboards with Voila.

    Open the printed URL; its root page links to each dashboard. Ctrl-C stops it."""
    if token == "auto":
        token = secrets.token_urlsafe(24)
    preheat = not no_preheat and pool_size > 0
    log = open(log_path, "ab") if log_path else None
    proc, url = start(data, port=port, ip=ip, token=token, preheat=preheat,
                      pool_size=max(pool_size, 1), base_url=base_url, log=log)
    # `kill PID` (SIGTERM) stops the dashboards as cleanly as Ctrl-C
    signal.signal(signal.SIGTERM, lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        wait_until_up(url, proc)
        click.echo(f"coachkit dashboards: {url}")
        for name in PAGES:
            click.echo(f"  {name + ':':15}{page_url(url, name)}")
        click.echo(f"  (link to a classroom: {page_url(url, 'grade meeting', 'classroom=...')})")
        if preheat:
            click.echo(f"Warming {proc.expected_warm} kernel(s) with the data; Ctrl-C to stop.")

            def announce():
                try:
                    secs = wait_until_warm(proc, timeout=1800)
                    click.echo(f"Dashboards warm after {secs:.0f} s: pages open quickly now.")
                except (RuntimeError, TimeoutError) as e:
                    click.echo(f"Kernels not warm: {e}", err=True)
            threading.Thread(target=announce, daemon=True).start()
        else:
            click.echo("Ctrl-C to stop.")
        if not no_browser:
            import webbrowser
            webbrowser.open(url)
        while proc.poll() is None:
            time.sleep(0.5)
        raise click.ClickException(f"voila stopped (status {proc.returncode})")
    except KeyboardInterrupt:
        click.echo("\nstopping …")
    finally:
        stop(proc)
        if log:
            log.close()
