"""Windows at the scan's edges, the no-solution hint, the printed table and ECSV time columns.

A window still open at an end of the requested span must not report the span's end as its edge
or its minimum: the scan is extended past that end by the window's length and the window is
flagged ``truncated_start`` / ``truncated_end`` when it is still open at the extended edge.
The reference for where the window really is comes from a solve whose span covers the whole
window (a consistency check of the extension against the same solver with no edge in the way).
"""

from __future__ import annotations

import io

import astropy.units as u
import numpy as np
import pytest
from astropy.table import QTable
from astropy.time import Time

from massdriver import targets, windows
from massdriver.cli.solve import print_windows
from massdriver.config import LauncherSpec
from massdriver.site import LaunchSite

SITE = LaunchSite(lat=0 * u.deg, lon=-55 * u.deg, azimuth=90 * u.deg, elevation=0 * u.deg)
LAUNCHER = LauncherSpec(speed_min=2.40 * u.km / u.s, speed_max=2.65 * u.km / u.s,
                        payload_mass=1000 * u.kg, speed_sigma=0.05 * u.m / u.s,
                        pointing_sigma=1e-3 * u.deg)
LEO = targets.circular(400 * u.km, 28.5 * u.deg)
THRESHOLD = 3.10 * u.km / u.s


def _solve(start: str, hours: float):
    return windows.solve(SITE, LEO, Time(start, scale="utc"), hours * u.h, threshold=THRESHOLD,
                         launcher=LAUNCHER, step=60 * u.min, mid_course=False,
                         dispersion_samples=64)


@pytest.fixture(scope="module")
def whole():
    """The 2027-01-03 window (opens ~01:37, closes ~13:54 UTC) with the span around it."""
    plan = _solve("2027-01-02T20:00", 24)
    assert len(plan.windows) == 1
    w = plan.windows[0]
    assert not (w.truncated_start or w.truncated_end)
    return w


def test_a_window_open_at_the_span_start_is_followed_back_to_its_opening(whole):
    plan = _solve("2027-01-03T06:00", 12)          # starts inside the window
    (w,) = plan.windows
    assert not w.truncated_start and not w.truncated_end
    assert w.open < Time("2027-01-03T06:00", scale="utc")
    assert abs((w.open - whole.open).to_value(u.min)) < 1.0
    assert abs((w.best_epoch - whole.best_epoch).to_value(u.min)) < 1.0
    assert abs(w.budget.total - whole.budget.total) < 1e-4 * u.km / u.s
    assert plan.inputs["scan_extension_epochs"][0] > 0


def test_a_window_open_at_the_span_end_is_followed_to_its_close(whole):
    plan = _solve("2027-01-03T00:00", 10)          # ends inside the window
    (w,) = plan.windows
    assert not w.truncated_end
    assert abs((w.close - whole.close).to_value(u.min)) < 1.0
    assert abs((w.best_epoch - whole.best_epoch).to_value(u.min)) < 1.0


def test_a_window_longer_than_its_extension_is_flagged(whole):
    plan = _solve("2027-01-03T07:00", 2)           # 3 epochs; 3 more each side stay inside
    (w,) = plan.windows
    assert w.truncated_start and w.truncated_end
    assert w.open > whole.open and w.close < whole.close
    row = plan.to_dict()["windows"][0]
    assert row["truncated_start"] is True and row["truncated_end"] is True
    table = plan.to_table()
    assert bool(table["truncated_start"][0]) and bool(table["truncated_end"][0])
    text = io.StringIO()
    print_windows(plan, text)
    assert "<>" in text.getvalue() and "still open where the scan starts" in text.getvalue()


def test_printed_table_fits_100_columns_and_rounds_to_the_minute(whole):
    plan = _solve("2027-01-03T07:00", 2)
    text = io.StringIO()
    print_windows(plan, text)
    lines = text.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 100, lines
    w = plan.windows[0]
    rounded = (w.best_epoch + 30 * u.s).utc.isot[:16].replace("T", " ")
    assert rounded in lines[2]
    # the longest strategy name with both cut marks still fits
    assert lines[2].split()[-2] == "<>"
    longest = lines[2].rsplit(" ", 1)[0] + " mid_course_correction"
    assert len(longest) <= 100


def test_ecsv_time_columns_are_iso_strings_that_read_back_as_utc(tmp_path):
    plan = _solve("2027-01-03T06:00", 4)
    plan.to_table().write(tmp_path / "windows.ecsv")
    plan.scan.to_table().write(tmp_path / "scan.ecsv")
    text = (tmp_path / "windows.ecsv").read_text()
    assert "2027-01-03T" in text
    for name, cols in (("windows.ecsv", ("open_utc", "close_utc", "best_utc")),
                       ("scan.ecsv", ("launch_utc",))):
        back = QTable.read(tmp_path / name)
        for col in cols:
            assert isinstance(back[col], Time)
            assert back[col].scale == "utc" and back[col].format == "isot"
    back = QTable.read(tmp_path / "windows.ecsv")
    assert abs((back["best_utc"][0] - plan.windows[0].best_epoch).to_value(u.s)) < 1e-3


def test_no_solution_says_what_to_try():
    """A track pointing west from the western near side throws the coast ahead of the Moon:
    nothing comes down to a LEO perigee, and the message says what was seen and what to try."""
    west = LaunchSite(lat=0 * u.deg, lon=-55 * u.deg, azimuth=270 * u.deg, elevation=0 * u.deg)
    plan = windows.solve(west, LEO, Time("2027-01-03T00:00", scale="utc"), 12 * u.h,
                         threshold=THRESHOLD, launcher=LAUNCHER, step=6 * u.h,
                         mid_course=False, dispersion_samples=16)
    assert plan.windows == ()
    msg = plan.message
    assert "sample shots at 2.40-2.65 km/s" in msg
    assert "lowest perigee" in msg or "escaped" in msg
    for key in ("[site] elevation", "[site] azimuth (now 270 deg", "[launcher] speed_",
                "massdriver aim"):
        assert key in msg
    assert "\n" not in msg
    assert np.all(~np.isfinite(plan.scan.total_km_s))
