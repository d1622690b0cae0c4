"""A short run of bench/intake.py: a real server process, a steady rate, and nothing accepted is lost."""

from __future__ import annotations

import importlib.util
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench" / "intake.py"


@pytest.mark.slow
def test_intake_bench_smoke_loses_nothing() -> None:
    spec = importlib.util.spec_from_file_location("bench_intake", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # dataclasses look their module up
    spec.loader.exec_module(bench)
    # In its own thread: an earlier test (Playwright's sync API) may leave an event loop running
    # in the main thread, where asyncio.run() refuses to start.
    out: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: out.update(
        result=bench.run(rate=40, seconds=2, database_url=None, workers=1)))
    worker.start()
    worker.join(300)
    assert "result" in out, "the bench run raised or did not finish (see the thread's traceback above)"
    result = out["result"]
    assert result["errors"] == 0 and result["refused"] == 0, result
    assert result["accepted"] == result["sent"] == 80
    assert result["stored"] == 80 and result["lost"] == 0
