"""bench/scale.py and bench/run.py still run: a tiny data set, one round of every page, one sweep."""
import json

from bench import run as bench_run
from bench import scale


def test_the_benchmark_builds_measures_and_reports(db, tmp_path):
    counts = scale.build(escalations=200, organisations=8, say=lambda _: None)
    assert counts["escalations"] == 200
    assert counts["organisations"] == 8
    assert counts["timeline_entries"] > 200 * 5
    assert counts["notifications"] > 200 * 3
    assert counts["participants"] >= 200

    figures = bench_run.run(repeat=1, sweep_lives=(60, 120), sweep_due=10, sweep_repeat=1, say=lambda _: None)

    assert set(figures["pages"]) == set(bench_run.targets_choose_names())
    for page in figures["pages"].values():
        assert page["p95_ms"] > 0 and page["queries"] > 0 and page["p95_ratio"] > 0
    assert figures["sweep"]["60"]["handled"] == 10
    assert figures["sweep"]["120"]["handled"] == 10
    assert "growth" in figures["sweep"]
    text = bench_run.table(figures)
    assert "awaiting my response" in text and "sweep" in text
    json.dumps(figures)
    # The sweep rolled back: nothing it did is left.
    from escalations.models import Escalation

    assert Escalation.objects.live().count() == counts["live"]
