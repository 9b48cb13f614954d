"""examples/quickstart.ipynb runs top to bottom in a fresh Jupyter kernel (nbclient), and its
result objects display as small tables (``_repr_html_``), not whole arrays (issue 19 item 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "quickstart.ipynb"


def test_quickstart_notebook_runs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # the kernel inherits this environment (PYTHONPATH, NUMBA_CACHE_DIR: the same massdriver
    # and the same compiled kernels as the tests); it runs in examples/, beside the mission
    client = nbclient.NotebookClient(nb, timeout=1800, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert errors == []
    outputs = {i: c.get("outputs", []) for i, c in enumerate(nb.cells) if c.cell_type == "code"}
    html = [o["data"]["text/html"] for outs in outputs.values() for o in outs
            if o.get("output_type") == "execute_result" and "text/html" in o.get("data", {})]
    assert len(html) >= 2, "the plan and the best window display as HTML tables"
    assert all(len(h) < 20_000 for h in html)          # small tables, not whole arrays
    plain = [o["data"]["text/plain"] for outs in outputs.values() for o in outs
             if o.get("output_type") == "execute_result"]
    assert all(len(p) < 5_000 for p in plain), [len(p) for p in plain]
    text = "".join(o.get("text", "") for outs in outputs.values() for o in outs
                   if o.get("output_type") == "stream")
    assert "window_1.oem" in text and "CCSDS_OPM_VERS" in text
