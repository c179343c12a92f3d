"""`coachkit serve`: the district's pages behind JupyterHub, each person seeing their scope."""
from __future__ import annotations

import click


@click.command()
@click.option("--data", type=click.Path(exists=True), default="sample_data/district",
              show_default=True, help="The district's data (folder of tables or OneRoster).")
@click.option("--roles", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A roles file adding or overriding scopes (see docs/deploy.md).")
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--ip", default="127.0.0.1", show_default=True,
              help="Address to listen on (loopback unless you mean to serve a network).")
@click.option("--folder", type=click.Path(file_okay=False), default=None,
              help="Where the Hub keeps its state and audit file (default: a new temp folder).")
@click.option("--sign-in", "authenticator", type=click.Choice(["demo", "district"]),
              default="demo", show_default=True,
              help="demo: one shared password, for trying it out only; district: the "
                   "OAuthenticator set-up in --config.")
@click.option("--config", "extra_config", type=click.Path(exists=True, dir_okay=False),
              default=None, help="A jupyterhub_config.py fragment (district sign-in, database).")
@click.option("--log-url", default=None, metavar="URL",
              help="The meeting log's database, e.g. postgresql+psycopg://coachkit@db/coachkit "
                   "(default $COACHKIT_DB, else a SQLite file in --folder).")
@click.option("--hub-db-url", default=None, metavar="URL",
              help="JupyterHub's own database (its db_url; default a SQLite file in --folder).")
def serve(data, roles, port, ip, folder, authenticator, extra_config, log_url, hub_db_url):
    """Serve the coachkit pages behind JupyterHub until Ctrl-C."""
    from ..hub import run
    raise SystemExit(run(data, port=port, ip=ip, roles=roles, folder=folder,
                         authenticator=authenticator, extra_config=extra_config,
                         log_url=log_url, hub_db_url=hub_db_url, echo=click.echo))
