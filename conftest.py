"""Root conftest: nbval settings for the notebooks under notebooks/.

Widget views are never compared, and plotly's HTML carries ids: skip those mime types
when nbval compares a cell marked # NBVAL_CHECK_OUTPUT (see JUPYTER-NOTES.md)."""


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("text/html", "application/javascript",
                                   "application/vnd.plotly.v1+json",
                                   "application/vnd.jupyter.widget-view+json")
