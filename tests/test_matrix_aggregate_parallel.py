"""`matrix --aggregate namespace` on two processes gives the rows one process gives, in the same
order, and falls back to one process when the other fails."""
from __future__ import annotations

from pathlib import Path

import pytest

from policylint.analysis import load_and_model
from policylint.config import load_config
from policylint.engine import Engine
from policylint.load import parallel
from policylint.matrix import aggregate
from policylint.matrix.view import MatrixView

ROOT = Path(__file__).resolve().parent.parent / "fixtures"


def _view(name: str) -> MatrixView:
    _, cluster = load_and_model([str(ROOT / name)], load_config(None))
    return MatrixView(Engine(cluster), None, None, None, None)


@pytest.mark.parametrize("name", ["examples", "real/platform-mixed", "tiers/ml-platform"])
def test_two_processes_give_the_rows_of_one(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    view = _view(name)
    alone = aggregate.aggregate_rows(view, jobs=1)
    monkeypatch.setattr(aggregate, "PARALLEL_MIN_ROWS", 0)
    sent: list = []
    result_of = parallel.result_of

    def recorded(future):
        sent.append(result_of(future))
        return sent[-1]

    monkeypatch.setattr(parallel, "result_of", recorded)
    in_two = aggregate._in_two(view)
    assert in_two is not None and sent and sent[0]  # the other process did its half
    assert in_two == alone
    assert aggregate.aggregate_rows(view, jobs=2) == alone
    assert len({r.src for r in alone}) > 1


def test_a_failed_process_leaves_its_half_to_this_one(monkeypatch: pytest.MonkeyPatch) -> None:
    view = _view("real/platform-mixed")
    alone = aggregate.aggregate_rows(view, jobs=1)

    def broken() -> list:
        raise RuntimeError("the forked process fails")

    monkeypatch.setattr(aggregate, "PARALLEL_MIN_ROWS", 0)
    monkeypatch.setattr(aggregate, "_aggregate_half", broken)  # fails to be sent, or in the process
    assert aggregate._in_two(view) == alone


def test_small_inputs_stay_in_one_process() -> None:
    assert aggregate._in_two(_view("examples")) is None  # far fewer distinct rows than the threshold
