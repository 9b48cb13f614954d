"""The report's figures are laid out without clipping or overlap (issue 15 C).

The layout of the figures is made cheaper than matplotlib's constrained layout would make it
(see :mod:`massdriver.report.plots`); these tests check what a layout has to get right, on
every figure of the report (test_report_arrival's synthetic run, which has all six), drawn
as the report saves them:

* every text that is drawn lies inside the figure (no clipped tick label, label or title);
* the axes of different panels do not overlap (a twin shares its panel's rectangle);
* no drawn text of one panel (tick labels, labels, title) overlaps another panel's axes or
  another panel's texts, and none overlaps a figure-level text or legend (suptitle, the
  legends under the panels); an axes title overlaps no other text at all.
"""

from __future__ import annotations

import pytest
from test_report_arrival import write_run_with_arrival

#: pixels a bounding box may stick out (rounding of the text extents)
TOLERANCE_PX = 1.0


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """``{stem: (figure, renderer, drawn texts)}`` of every report figure, drawn at the saved
    dpi with the layout the report uses."""
    import matplotlib

    from massdriver import report
    from massdriver.report import plots

    d = tmp_path_factory.mktemp("layout") / "leo"
    write_run_with_arrival(d)
    out = {}
    with plots.style():
        figs = report.figures(report.read_results(d))
        for stem, fig in figs.items():
            fig.dpi = matplotlib.rcParams["savefig.dpi"]
            out[stem] = (fig, *_draw_recording_texts(fig))
    return out


def _draw_recording_texts(fig):
    """Draw ``fig`` (its layout engine runs first, as when saving) and return the renderer
    and the :class:`matplotlib.text.Text` artists it actually drew (not the hidden ones,
    nor the spare tick labels matplotlib keeps)."""
    renderer = fig.canvas.get_renderer()
    seen = {}
    original = renderer.draw_text

    def draw_text(gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if mtext is not None and s.strip():
            seen[id(mtext)] = mtext
        return original(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)

    renderer.draw_text = draw_text
    try:
        fig.canvas.draw()
    finally:
        del renderer.draw_text
    assert fig.canvas.get_renderer() is renderer
    return renderer, list(seen.values())


def _panels(fig) -> list[list]:
    """The axes grouped by panel: axes with the same rectangle (an axes and its twins)."""
    groups: dict[tuple, list] = {}
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        key = tuple(round(v, 6) for v in ax.get_position().bounds)
        groups.setdefault(key, []).append(ax)
    return list(groups.values())


def _overlap(a, b) -> bool:
    """``a`` and ``b`` (display bboxes) share more than :data:`TOLERANCE_PX` each way."""
    return (min(a.x1, b.x1) - max(a.x0, b.x0) > TOLERANCE_PX
            and min(a.y1, b.y1) - max(a.y0, b.y0) > TOLERANCE_PX)


def layout_problems(fig, renderer, texts) -> list[str]:
    """What is wrong with the layout of a drawn figure (empty when nothing is)."""
    problems = []
    page = fig.bbox
    panels = _panels(fig)
    # the panel each text belongs to (``Text.axes`` is unset on the 3D axis labels)
    from matplotlib.text import Text

    panel_of = {id(t): k for k, group in enumerate(panels) for ax in group
                for t in ax.findobj(Text)}
    boxes = []                       # (owner panel or -1 for the figure, label, bbox, title?)
    for t in texts:
        bb = t.get_window_extent(renderer)
        label = repr(t.get_text()[:40])
        if (bb.x0 < page.x0 - TOLERANCE_PX or bb.y0 < page.y0 - TOLERANCE_PX
                or bb.x1 > page.x1 + TOLERANCE_PX or bb.y1 > page.y1 + TOLERANCE_PX):
            problems.append(f"text {label} sticks out of the figure: {bb.bounds} vs "
                            f"{page.bounds}")
        owner = panel_of.get(id(t), -1)
        if owner == -1 and _in_figure_legend(fig, t):
            continue                 # a legend's texts: the legend's frame stands for them
        title = any(t in (ax.title, ax._left_title, ax._right_title) for ax in fig.axes)
        boxes.append((owner, label, bb, title))
    for legend in fig.legends:
        boxes.append((-1, "figure legend", legend.get_window_extent(renderer), False))
    # panels do not overlap one another
    rects = [group[0].get_window_extent(renderer) for group in panels]
    for i in range(len(rects)):
        for j in range(i + 1, len(rects)):
            if _overlap(rects[i], rects[j]):
                problems.append(f"panels {i} and {j} overlap: {rects[i].bounds}, "
                                f"{rects[j].bounds}")
    for owner, label, bb, _ in boxes:
        for k, rect in enumerate(rects):
            if k != owner and _overlap(bb, rect):
                problems.append(f"{label} (panel {owner}) overlaps panel {k}")
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            (oi, li, bi, ti), (oj, lj, bj, tj) = boxes[i], boxes[j]
            if (oi != oj or oi == -1 or ti or tj) and _overlap(bi, bj):
                problems.append(f"{li} (panel {oi}) overlaps {lj} (panel {oj})")
    return problems


def _in_figure_legend(fig, text) -> bool:
    return any(text in legend.get_texts() for legend in fig.legends)


def test_the_report_draws_all_six_figures(drawn):
    from massdriver.report import ARRIVAL_FIGURES, FIGURES

    assert tuple(drawn) == FIGURES + ARRIVAL_FIGURES


@pytest.mark.parametrize("stem", ["window_chart", "speed_map", "budget", "trajectory",
                                  "arrival_strategies", "aerobraking"])
def test_figure_layout_clips_and_overlaps_nothing(drawn, stem):
    fig, renderer, texts = drawn[stem]
    assert len(texts) > 10                       # tick labels, labels and titles were seen
    assert fig.get_suptitle() == "" or any(t is fig._suptitle for t in texts)
    problems = layout_problems(fig, renderer, texts)
    assert not problems, f"{stem}: " + "; ".join(problems[:8])


def test_layout_check_sees_a_clipped_label_and_overlapping_panels(drawn):
    """The check itself: a figure with its axes moved off the page and onto each other
    fails it."""
    import matplotlib

    from massdriver import report
    from massdriver.report import plots

    fig = drawn["budget"][0]
    with plots.style():
        clone = report.plots.plot_budget_bars(
            [{"budget": {"strategy": "perigee_burn", "total_km_s": 3.1, "mcc_km_s": 0.0,
                         "insertion_km_s": 3.0, "plane_change_km_s": 0.05,
                         "circularization_km_s": 0.0, "margin_km_s": 0.05},
              "best_utc": "2027-01-03T07:48:00", "branch": "prograde"}], 3.3)
        clone.dpi = matplotlib.rcParams["savefig.dpi"]
        with matplotlib.rc_context({"figure.autolayout": False,
                                    "figure.constrained_layout.use": False}):
            clone.set_layout_engine(None)
        left, right = clone.axes[:2]
        left.set_position([0.0, 0.05, 0.6, 0.9])           # y labels off the left edge
        right.set_position([0.5, 0.05, 0.45, 0.9])         # onto the left panel
        problems = layout_problems(clone, *_draw_recording_texts(clone))
    assert fig is not clone
    assert any("sticks out of the figure" in p for p in problems)
    assert any(p.startswith("panels 0 and 1 overlap") for p in problems)


# ------------------------------------------------------------------------------------------------
# the layout engine itself (massdriver.report.layout)
# ------------------------------------------------------------------------------------------------
def test_grid_margins_take_the_widest_reach_per_row_and_column():
    from massdriver.report.layout import grid_margins

    cells = [(range(0, 1), range(0, 1), 0.5, 0.1, 0.3, 0.2),
             (range(0, 1), range(1, 2), 0.7, 0.4, 0.2, 0.6),
             (range(1, 2), range(0, 2), 0.6, 0.9, 0.5, 0.1)]      # spans both columns
    left, right, bottom, top = grid_margins(cells, 2, 2)
    assert left == [0.6, 0.7] and right == [0.1, 0.9]
    assert bottom == [0.3, 0.5] and top == [0.6, 0.1]


def _chart(legend_loc="outside lower center", extra_axes=False):
    import numpy as np

    from massdriver.report import plots

    fig = plots.new_figure(6.0, 4.0, layout="margins")
    ax1, ax2 = fig.subplots(1, 2)
    x = np.linspace(0.0, 1.0, 50)
    ax1.plot(x, 1e4 * x, label="a")
    ax2.plot(x, -x, label="b")
    for ax in (ax1, ax2):
        ax.set_xlabel("x [m]")
        ax.set_ylabel("y [m]")
        ax.set_title("a panel")
    fig.suptitle("a figure")
    fig.legend(loc=legend_loc, ncols=2)
    if extra_axes:
        fig.add_axes((0.4, 0.4, 0.2, 0.2))
    return fig


def test_layout_measures_once_and_again_only_when_the_ticks_moved(monkeypatch):
    """One measurement when the ticks drawn are those measured; a second one (as constrained
    layout always does) when placing the panels changed their ticks, here forced by an
    estimate far off the margins the figure needs. Both lay it out cleanly."""
    import matplotlib

    from massdriver.report import layout, plots

    passes = []
    measure = layout._measured_params
    monkeypatch.setattr(layout, "_measured_params",
                        lambda *a, **k: passes.append(1) or measure(*a, **k))
    with plots.style():
        for estimate, expected in ((layout.ESTIMATE, 1), ((2.2, 0.1, 1.5, 1.2, 0.1, 0.1), 2)):
            monkeypatch.setattr(layout, "ESTIMATE", estimate)
            passes.clear()
            fig = _chart()
            fig.dpi = matplotlib.rcParams["savefig.dpi"]
            problems = layout_problems(fig, *_draw_recording_texts(fig))
            assert len(passes) == expected and not problems, (estimate, problems)


@pytest.mark.parametrize("case", ["legend above", "axes outside the grid"])
def test_layout_falls_back_to_constrained_layout(case, monkeypatch):
    """A figure that is not one grid of panels with its legends below is left to matplotlib's
    constrained layout (the report's figures never are)."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    from massdriver.report import plots

    fallbacks = []
    execute = ConstrainedLayoutEngine.execute
    monkeypatch.setattr(ConstrainedLayoutEngine, "execute",
                        lambda self, fig: fallbacks.append(fig) or execute(self, fig))
    with plots.style():
        fig = (_chart(legend_loc="outside upper center") if case == "legend above"
               else _chart(extra_axes=True))
        plots.png_bytes(fig)
        assert fallbacks == [fig]
        fallbacks.clear()
        plots.png_bytes(_chart())
        assert fallbacks == []


def test_figures_are_drawn_without_automatic_garbage_collection(tmp_path, monkeypatch):
    """Drawing the report pauses the garbage collector (its full collections walked every
    object of the process) and gives it back as it found it."""
    import gc

    from massdriver import report
    from massdriver.report import plots

    write_run_with_arrival(tmp_path / "leo")
    seen = []
    save = plots.save_figure
    monkeypatch.setattr(plots, "save_figure",
                        lambda *a, **k: seen.append(gc.isenabled()) or save(*a, **k))
    assert gc.isenabled()
    for k, enabled in enumerate((True, False)):
        if not enabled:
            gc.disable()
        try:
            out = tmp_path / f"out{k}"
            out.mkdir()
            report.write_into(tmp_path / "leo", out)
            assert gc.isenabled() is enabled
        finally:
            gc.enable()
    assert seen == [False] * 12


@pytest.fixture(scope="module")
def edge_inputs(drawn, tmp_path_factory):
    from massdriver.report import read_results

    d = tmp_path_factory.mktemp("edge") / "leo"
    write_run_with_arrival(d)
    return read_results(d)


def _edge_figure(case, inputs):
    import copy

    import numpy as np

    from massdriver.report import arrival_plots, plots

    windows = inputs.plan["windows"]
    if case == "unsolved scan":
        scan = inputs.scan.copy()
        for name in ("speed", "total", "insertion", "plane_change", "circularization"):
            scan[name] = scan[name] * np.nan
        return [plots.plot_speed_map(scan, [], 3.3), plots.plot_window_chart(scan, [], 3.3)]
    if case == "no window":
        return [plots.plot_budget_bars([], 3.3)]
    if case == "one window":
        return [plots.plot_budget_bars(windows[:1], 3.3),
                arrival_plots.plot_arrival_strategies(windows[:1])]
    if case == "many windows":     # more than arrival_plots.MAX_WINDOWS (the budget bars of
        # 14 windows are not here: their tick labels overlap one another, in one panel)
        many = [copy.deepcopy(windows[k % len(windows)]) for k in range(14)]
        return [arrival_plots.plot_arrival_strategies(many)]
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["unsolved scan", "no window", "one window", "many windows"])
def test_edge_case_figures_are_laid_out_cleanly(edge_inputs, case):
    """Figures of unusual results (nothing solved, no window, one, more than fit) are laid out
    as cleanly as the usual ones."""
    import matplotlib

    from massdriver.report import plots

    with plots.style():
        for fig in _edge_figure(case, edge_inputs):
            fig.dpi = matplotlib.rcParams["savefig.dpi"]
            problems = layout_problems(fig, *_draw_recording_texts(fig))
            assert not problems, f"{case}: " + "; ".join(problems[:6])
