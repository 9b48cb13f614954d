"""A one-pass layout of a figure's grid of panels: margins measured once, then placed.

Matplotlib's constrained layout measures every panel's decorations (tick labels, axis labels,
titles) twice and solves a constraint system between the passes; for the report's figures
that cost about as much as drawing them. :class:`MarginLayout` measures once, on panels that
already sit where an estimate of their margins puts them, and sets the grid's subplot
parameters from the measurement:

* each panel's decorations are its tight bounding box for layout
  (``Axes.get_tightbbox(for_layout_only=True)``) beyond its grid cell (a twin shares its
  panel's cell, a colour bar made with ``fig.colorbar(ax=...)`` sits in a sub-grid of it);
* the outer margins are the widest decorations of the first and last row and column, the
  gaps between cells the widest pair facing each other, plus :attr:`MarginLayout.pad` at
  every edge;
* the suptitle goes at the top and the figure legends (``loc="outside lower center"``) at the
  bottom, above and below the grid.

The tick labels are measured at the estimated panel sizes (:data:`ESTIMATE`); placing the
panels changes those sizes by a few percent. When that changes any axis's ticks (read from
the locators, which makes no tick), the panels are measured once more where they now are, as
constrained layout always does; none of the report's figures needs it
(tests/test_report_layout.py checks every report figure for clipped or overlapping text). A
figure this does not describe (axes outside the grid, panels from several grids, a figure
legend that is not at the bottom, no room left) falls back to the constrained layout.

Units: inches unless stated; display units are pixels at the figure's dpi.
"""

from __future__ import annotations

from matplotlib.layout_engine import ConstrainedLayoutEngine, LayoutEngine

__all__ = ["MarginLayout", "grid_margins"]

#: margins (inches) the panels are placed with before they are measured: left, right, bottom,
#: top, gap between columns, gap between rows (a y-axis label with 3-4 digit tick labels, one
#: line of x tick labels and an axis label, a one-line title)
ESTIMATE = (0.75, 0.25, 0.6, 0.35, 0.95, 0.85)


class MarginLayout(LayoutEngine):
    """Place a figure's panels from one measurement of their decorations.

    Parameters
    ----------
    pad : float
        Space (inches) around every panel's decorations and at the figure's edges; the
        default is constrained layout's (3 points).
    """

    _adjust_compatible = True
    _colorbar_gridspec = True

    def __init__(self, *, pad: float = 3.0 / 72.0):
        super().__init__()
        self.pad = float(pad)

    def execute(self, fig) -> None:
        """Measure the panels of ``fig`` once and set its subplot parameters (the figure's
        dpi is that of the image being made)."""
        if not place(fig, self.pad):
            ConstrainedLayoutEngine().execute(fig)


def grid_margins(cells, nrows: int, ncols: int) -> tuple[list, list, list, list]:
    """Widest decoration at each side of each grid column and row.

    Parameters
    ----------
    cells : iterable of (rowspan, colspan, left, right, bottom, top)
        Each panel's grid cell (``range`` of rows and of columns) and how far (inches) its
        decorations reach beyond the cell on each side.
    nrows, ncols : int

    Returns
    -------
    left, right : list of float (ncols,)
        Per column, the widest reach to the left of its first cells and to the right of its
        last cells (inches, >= 0).
    bottom, top : list of float (nrows,)
        Per row, the same below and above.
    """
    left, right = [0.0] * ncols, [0.0] * ncols
    bottom, top = [0.0] * nrows, [0.0] * nrows
    for rows, cols, lo, hi, under, over in cells:
        left[cols.start] = max(left[cols.start], lo)
        right[cols.stop - 1] = max(right[cols.stop - 1], hi)
        top[rows.start] = max(top[rows.start], over)
        bottom[rows.stop - 1] = max(bottom[rows.stop - 1], under)
    return left, right, bottom, top


def _subplot_params(width, height, nrows, ncols, left, right, bottom, top, wgap, hgap):
    """``Figure.subplots_adjust`` arguments for margins and gaps in inches (``None`` when the
    panels would have no room)."""
    cell_w = (width - left - right - (ncols - 1) * wgap) / ncols
    cell_h = (height - bottom - top - (nrows - 1) * hgap) / nrows
    if not (cell_w > 0.0 and cell_h > 0.0):
        return None
    return {"left": left / width, "right": 1.0 - right / width, "bottom": bottom / height,
            "top": 1.0 - top / height, "wspace": wgap / cell_w, "hspace": hgap / cell_h}


def place(fig, pad: float) -> bool:
    """Lay out ``fig`` as :class:`MarginLayout` does; ``False`` (nothing changed) when the
    figure is not a single grid of panels with its legends at the bottom."""
    axes = [ax for ax in fig.axes
            if ax.get_visible() and ax.get_in_layout() and ax.get_subplotspec() is not None]
    if not axes or len(axes) != len([ax for ax in fig.axes if ax.get_visible()]):
        return False
    cells = [ax.get_subplotspec().get_topmost_subplotspec() for ax in axes]
    grid = cells[0].get_gridspec()
    if any(c.get_gridspec() is not grid for c in cells):
        return False
    nrows, ncols = grid.get_geometry()
    width, height = (float(v) for v in fig.get_size_inches())
    dpi = fig.dpi
    renderer = fig._get_renderer()     # what matplotlib's engines use: any canvas (PDF too)

    suptitle = getattr(fig, "_suptitle", None)
    above = 0.0
    if suptitle is not None and suptitle.get_visible() and suptitle.get_text():
        suptitle.set_y(1.0 - pad / height)
        suptitle.set_verticalalignment("top")
        above = suptitle.get_window_extent(renderer).height / dpi + pad
    below = 0.0
    for legend in fig.legends:
        box = legend.get_window_extent(renderer)
        if box.y0 > 0.5 * height * dpi:
            return False                           # only legends under the grid are placed
        below = max(below, box.y1 / dpi + pad)

    est_l, est_r, est_b, est_t, est_w, est_h = ESTIMATE
    params = _subplot_params(width, height, nrows, ncols, est_l, est_r, est_b + below,
                             est_t + above, est_w, est_h)
    for _ in range(2):
        if params is None:
            return False
        fig.subplots_adjust(**params)
        ticks = _tick_values(axes)
        params = _measured_params(fig, renderer, axes, cells, nrows, ncols, pad, above, below)
        if params is None:
            return False
        fig.subplots_adjust(**params)
        if _tick_values(axes) == ticks:
            return True      # the labels measured are those drawn: one pass was enough
    return True


def _tick_values(axes) -> list:
    """The major tick values of every axis where the panels are now (from the locators: no
    tick is made; the view limits of an equal-aspect panel follow its box first)."""
    for ax in axes:
        ax.apply_aspect()
    return [tuple(axis.get_majorticklocs().tolist()) for ax in axes
            for axis in (ax.xaxis, ax.yaxis, getattr(ax, "zaxis", None))
            if axis is not None and axis.get_visible()]


def _measured_params(fig, renderer, axes, cells, nrows, ncols, pad, above, below):
    """Subplot parameters from the panels' decorations where they are now (see
    :class:`MarginLayout`)."""
    width, height = (float(v) for v in fig.get_size_inches())
    dpi = fig.dpi
    reach = []
    for ax, cell in zip(axes, cells, strict=True):
        tight = ax.get_tightbbox(renderer, for_layout_only=True, bbox_extra_artists=[])
        if tight is None:
            continue
        box = cell.get_position(fig)                 # figure fraction
        reach.append((cell.rowspan, cell.colspan,
                      max(0.0, box.x0 * width - tight.x0 / dpi),
                      max(0.0, tight.x1 / dpi - box.x1 * width),
                      max(0.0, box.y0 * height - tight.y0 / dpi),
                      max(0.0, tight.y1 / dpi - box.y1 * height)))
    left, right, bottom, top = grid_margins(reach, nrows, ncols)
    wgap = max((right[j - 1] + left[j] for j in range(1, ncols)), default=0.0) + 2.0 * pad
    hgap = max((bottom[i - 1] + top[i] for i in range(1, nrows)), default=0.0) + 2.0 * pad
    return _subplot_params(width, height, nrows, ncols, left[0] + pad, right[-1] + pad,
                           bottom[-1] + pad + below, top[0] + pad + above, wgap, hgap)
