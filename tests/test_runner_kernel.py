"""The warm kernel: notebooks reuse one kernel, and nothing of one survives into the next."""
import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from coachkit.runner.kernel import WarmKernel


def _nb(*cells, params=None):
    nb = new_notebook(cells=[new_code_cell(c) for c in cells], metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    if params is not None:
        p = new_code_cell(params)
        p.metadata["tags"] = ["parameters"]
        nb.cells.insert(0, p)
    return nb


@pytest.fixture(scope="module")
def kernel():
    k = WarmKernel()
    yield k
    k.shutdown()


def _stdout(nb):
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", [])
                   if o.get("output_type") == "stream")


WRITE = _nb("import pandas as pd, coachkit.caching\n"
            "secret_students = pd.DataFrame({'name': ['Ana ' + classroom]})\n"
            "@coachkit.caching.cached(4)\n"
            "def cached(x): return secret_students\n"
            "cached(1)\n"
            "import os; pid = os.getpid(); print(pid)",
            params="classroom = 'A'")
READ = _nb("import os, json\n"
           "user = sorted(k for k in globals() if not k.startswith('_') and k not in "
           "('In', 'Out', 'get_ipython', 'exit', 'quit', 'open', 'os', 'json', 'classroom'))\n"
           "import coachkit.caching\n"
           "print(json.dumps({'pid': os.getpid(), 'user': user, 'cache_hits': "
           "[c.cache_info().currsize for c in coachkit.caching.registered()]}))",
           params="classroom = 'B'")


def test_same_kernel_and_nothing_survives(kernel):
    first = kernel.execute(WRITE, {"classroom": "3A"})
    second = json.loads(_stdout(kernel.execute(READ, {"classroom": "3B"})))
    assert int(_stdout(first).strip()) == second["pid"]      # the kernel was reused
    assert second["user"] == []                              # no variable survived
    assert all(n == 0 for n in second["cache_hits"])         # coachkit caches emptied


def test_without_the_reset_the_variables_would_survive(kernel):
    """The check above is meaningful: skipping reset() leaks the first notebook's data."""
    import papermill
    kernel.execute(WRITE, {"classroom": "3A"})
    leaked = papermill.execute_notebook(READ, None, parameters={"classroom": "3B"},
                                        km=kernel.km, progress_bar=False)
    assert "secret_students" in json.loads(_stdout(leaked))["user"]


def test_a_failing_notebook_raises_and_the_kernel_goes_on(kernel):
    import papermill
    with pytest.raises(papermill.PapermillExecutionError, match="ZeroDivisionError"):
        kernel.execute(_nb("1 / 0"), {})
    out = kernel.execute(_nb("print('still here')"), {})
    assert "still here" in _stdout(out)
