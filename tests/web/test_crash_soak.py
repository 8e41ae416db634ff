"""The crash soak benchmark, short: a real `facilitator serve` under phones that send and vote,
SIGKILLed at random moments and restarted; nothing acknowledged is lost, the file always parses
and no temp file outlives the next open. (`python -m bench crash --cycles 300` is
the long run.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.crash import report, soak


@pytest.mark.timeout(120)
async def test_a_short_crash_soak_loses_nothing(tmp_path: Path) -> None:
    result = await soak(4, data_dir=tmp_path, phones=12, seed=3)
    summary = "\n".join(report(result))
    print(summary)
    assert result.cycles == 4 and result.kills_under_load >= 3, summary
    assert len(result.texts) > 40 and result.acked_ballots > 5, "too light a load: " + summary
    assert result.lost_texts == [] and result.lost_ballots == 0, summary
    assert result.found_texts == len(result.texts), summary
    assert result.unparsed == [], summary
    assert result.temp_files_after_open == 0, summary
