"""Pictures of training: curves per epoch, gradient flow, kink hits and activation histograms.

Each function takes plain data (or the callback that recorded it), draws a
matplotlib ``Figure``, saves it when given a path (the format follows the suffix:
``.png``, ``.svg``, ``.pdf``) and returns it. In a program that uses pyplot (it is
imported) the figure is pyplot's, so ``plt.show()`` shows it; otherwise pyplot's
global state is not touched (no window opens; Agg draws it) and Jupyter shows the
returned figure inline.

matplotlib is an optional dependency: ``pip install backchain[plot]``.
"""
from __future__ import annotations

import io
import math
import os
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._core.tensor import Tensor

__all__ = ["plot_history", "gradient_flow", "kink_hits", "activation_histograms"]


def _figure(what, nrows, ncols, width=4.6, height=3.4):
    """A matplotlib Figure for ``what``.

    If the program uses pyplot (it is imported), the figure is pyplot's, so ``plt.show()`` shows
    it; otherwise it is drawn by Agg outside pyplot (nothing global changes) and shows itself in
    Jupyter through ``_repr_png_``.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(f"{what} draws with matplotlib, which is not installed; install it with "
                          "pip install 'backchain[plot]' (or pip install matplotlib)") from None
    size = (width * ncols, height * nrows)
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        fig = plt.figure(figsize=size, layout="constrained")
    else:
        fig = _inline_figure(figsize=size, layout="constrained")
        FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


_INLINE = []


def _inline_figure(**kwargs):
    """A Figure outside pyplot that Jupyter shows inline (``_repr_png_``); its class is made on
    first use, since matplotlib is optional."""
    if not _INLINE:
        from matplotlib.figure import Figure

        class InlineFigure(Figure):
            def _repr_png_(self):
                buf = io.BytesIO()
                self.savefig(buf, format="png", dpi=90)
                return buf.getvalue()

        _INLINE.append(InlineFigure)
    return _INLINE[0](**kwargs)


def _save(fig, path, what):
    if path is None:
        return fig
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower().lstrip(".")
    if suffix not in ("png", "svg", "pdf", "jpg", "jpeg"):
        raise ValueError(f"{what}: cannot tell the picture format from {path!r}; end the path with .png, .svg or .pdf")
    fig.savefig(path, dpi=110)
    return fig


def _hide_unused(axes, used):
    for ax in axes.ravel()[used:]:
        ax.set_visible(False)


def _grid(n):
    ncols = min(n, 3)
    return max(1, math.ceil(n / ncols)), max(1, ncols)


# -- history ------------------------------------------------------------------------
def _history_columns(history):
    if hasattr(history, "to_dict"):
        history = history.to_dict()
    if not isinstance(history, dict):
        raise TypeError(f"plot_history: expected a History or a dict of name -> list of values, "
                        f"got {type(history).__name__}")
    columns = {k: np.asarray(v, dtype=float) for k, v in history.items() if k != "epoch"}
    n = max((len(v) for v in columns.values()), default=0)
    epochs = np.asarray(history.get("epoch") or range(1, n + 1), dtype=float)
    return epochs, columns


def plot_history(history: Any, path: str | os.PathLike[str] | None = None, metrics: Sequence[str] | None = None) -> Any:
    """Training curves: one panel per quantity, training and validation values per epoch.

    Parameters
    ----------
    history : History or dict
        What :func:`backchain.fit` returned, or ``{"loss": [...], "val_loss": [...], ...}``.
    path : str or os.PathLike, optional
        Where to save the picture (``.png``, ``.svg`` or ``.pdf``).
    metrics : sequence of str, optional
        The quantities to draw (without the ``val_`` prefix: their validation
        values join them in the same panel). Default: every logged quantity
        except the learning rate ``lr``.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import os, tempfile, backchain as bc
    >>> h = bc.History()
    >>> for epoch, (loss, val) in enumerate([(1.0, 1.1), (0.6, 0.8), (0.4, 0.7)], start=1):
    ...     h.append(epoch, {"loss": loss, "val_loss": val})
    >>> path = os.path.join(tempfile.mkdtemp(), "history.png")
    >>> fig = bc.viz.plot_history(h, path)
    >>> os.path.getsize(path) > 0
    True
    """
    epochs, columns = _history_columns(history)
    if metrics is None:
        metrics = [k for k in columns if not k.startswith("val_") and k != "lr"]
        metrics += [k[4:] for k in columns if k.startswith("val_") and k[4:] not in columns]
    elif isinstance(metrics, str):
        metrics = [metrics]
    metrics = list(metrics)
    missing = [m for m in metrics if m not in columns and f"val_{m}" not in columns]
    if missing:
        raise KeyError(f"plot_history: {missing} not in the history, which holds {sorted(columns)}")
    if not metrics:
        raise ValueError("plot_history: the history holds nothing to draw (no epochs were recorded)")
    nrows, ncols = _grid(len(metrics))
    fig, axes = _figure("plot_history", nrows, ncols)
    for ax, name in zip(axes.ravel(), metrics):
        for key, label, style, color in ((name, "training", "-o", "tab:blue"),
                                         (f"val_{name}", "validation", "--s", "tab:orange")):
            if key in columns:
                values = columns[key]
                ax.plot(epochs[:len(values)], values, style, color=color, markersize=3.5, label=label)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
        if len(epochs) and float(epochs.max()) - float(epochs.min()) < 20:
            ax.xaxis.get_major_locator().set_params(integer=True)
    _hide_unused(axes, len(metrics))
    return _save(fig, path, "plot_history")


# -- per-layer series (gradient norms, kink hits) -------------------------------------
def _series(records, what, missing):
    """``(names, {name: 1-D float array}, x label)`` from a recording callback or plain data.

    Plain data is a mapping ``name -> values per step`` or a sequence of
    mappings ``name -> value`` (one per step; a name absent at a step gets ``missing``).
    """
    xlabel = "epoch"
    if hasattr(records, "records"):
        xlabel = getattr(records, "every", "epoch")
        records = records.records
    if isinstance(records, dict):
        data = {str(k): np.asarray(v, dtype=float).ravel() for k, v in records.items()}
    elif isinstance(records, (list, tuple)) and all(isinstance(r, dict) for r in records):
        rows = [{str(k): v for k, v in r.items()} for r in records]
        names = list(dict.fromkeys(k for r in rows for k in r))
        data = {n: np.array([float(r.get(n, missing)) for r in rows]) for n in names}
    else:
        raise TypeError(f"{what}: expected a mapping layer -> values per {xlabel}, a list of mappings "
                        f"layer -> value (one per {xlabel}) or a recording callback, got {type(records).__name__}")
    if not data or all(v.size == 0 for v in data.values()):
        raise ValueError(f"{what}: nothing was recorded (no layers or no steps)")
    return list(data), data, xlabel


def _layer_colors(n):
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(0.9 * i / max(n - 1, 1)) for i in range(n)]


def gradient_flow(records: Any, path: str | os.PathLike[str] | None = None, vanish: float = 1e-7, explode: float = 1e3
                  ) -> Any:
    """Per-layer gradient norms over training, on a log scale: where gradients vanish or explode.

    Left: each layer's gradient norm per epoch (or batch), input layers dark,
    output layers light. Right: per layer, from the input to the output, the
    range (min to max) and the last value of its gradient norm. Shaded bands
    mark norms below ``vanish`` and above ``explode`` when the norms reach
    them; an exact zero (a layer that received no gradient at all) is drawn
    on the lower edge with a ``v``.

    Parameters
    ----------
    records : GradientFlow or dict or list of dict
        A :class:`backchain.train.GradientFlow` callback after training, a
        mapping ``layer -> norms per step`` (in order from input to output),
        or a list of mappings ``layer -> norm``, one per step.
    path : str or os.PathLike, optional
        Where to save the picture (``.png``, ``.svg`` or ``.pdf``).
    vanish, explode : float
        Thresholds of the shaded bands.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import os, tempfile, backchain as bc
    >>> norms = {"0 (Linear)": [1e-3, 5e-4, 2e-4], "2 (Linear)": [0.5, 0.3, 0.2]}
    >>> path = os.path.join(tempfile.mkdtemp(), "flow.svg")
    >>> fig = bc.viz.gradient_flow(norms, path)
    >>> "gradient norm" in open(path).read()
    True
    """
    names, data, xlabel = _series(records, "gradient_flow", np.nan)
    positive = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in data.values()] + [np.zeros(0)])
    # The axis spans the data; a band shows only when the norms come near its threshold.
    low = float(positive.min()) / 30 if positive.size else vanish / 10
    high = float(positive.max()) * 30 if positive.size else explode * 10
    fig, axes = _figure("gradient_flow", 1, 2, width=5.4, height=3.8)
    ax_time, ax_layer = axes[0]
    colors = _layer_colors(len(names))
    for name, color in zip(names, colors):
        values = data[name]
        steps = np.arange(1, values.size + 1)
        shown = np.where(values > 0, values, np.nan)
        ax_time.plot(steps, shown, "-", color=color, label=name, marker="o" if values.size < 30 else None,
                     markersize=3)
        zeros = values == 0
        if zeros.any():
            ax_time.plot(steps[zeros], np.full(int(zeros.sum()), low), "v", color=color)
    ax_time.set_yscale("log")
    ax_time.set_ylim(low, high)
    ax_time.set_xlabel(xlabel)
    ax_time.set_ylabel("gradient norm")
    ax_time.set_title(f"gradient norm per layer, by {xlabel}")
    if len(names) <= 16:
        ax_time.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)

    x = np.arange(len(names))
    for i, (name, color) in enumerate(zip(names, colors)):
        values = data[name][np.isfinite(data[name])]
        if values.size == 0:
            continue
        lo, hi, last = (max(float(v), low) for v in (values.min(), values.max(), values[-1]))
        ax_layer.vlines(i, lo, hi, color=color, linewidth=6, alpha=0.45)
        ax_layer.plot(i, last, "D" if values[-1] > 0 else "v", color=color, markersize=6)
    ax_layer.set_yscale("log")
    ax_layer.set_ylim(low, high)
    ax_layer.set_xticks(x, names, rotation=45 if len(names) > 3 else 0, ha="right" if len(names) > 3 else "center",
                        fontsize=8)
    ax_layer.set_xlabel("layer (input → output)")
    ax_layer.set_ylabel("gradient norm")
    ax_layer.set_title("range over training (bar) and last value (◆)")
    for ax in (ax_time, ax_layer):
        if low < vanish:
            ax.axhspan(low, vanish, color="tab:blue", alpha=0.1)
        if high > explode:
            ax.axhspan(explode, high, color="tab:red", alpha=0.1)
        ax.grid(alpha=0.3, which="major")
    if low < vanish:
        ax_layer.text(0.01, 0.02, f"vanishing (< {vanish:g})", transform=ax_layer.transAxes, fontsize=7,
                      color="tab:blue")
    if high > explode:
        ax_layer.text(0.01, 0.96, f"exploding (> {explode:g})", transform=ax_layer.transAxes, fontsize=7,
                      color="tab:red", va="top")
    return _save(fig, path, "gradient_flow")


def kink_hits(records: Any, path: str | os.PathLike[str] | None = None) -> Any:
    """Kinks hit per layer per epoch: how many elements sat exactly on a non-differentiable point.

    Left: a line per layer over training. Right: the same numbers as a
    layer-by-epoch table of colours, with the counts written in when the
    table is small. Layers that hit no kink at all are listed in the title.

    Parameters
    ----------
    records : dict or list of dict or a recording callback
        A mapping ``layer -> hits per epoch`` (``{"0 (ReLU)": [12, 3, 0]}``),
        a list of mappings ``layer -> hits``, one per epoch, or an object with
        such a mapping in ``.records``.
    path : str or os.PathLike, optional
        Where to save the picture (``.png``, ``.svg`` or ``.pdf``).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import os, tempfile, backchain as bc
    >>> hits = [{"relu1": 40, "pool": 3}, {"relu1": 12, "pool": 0}, {"relu1": 5, "pool": 1}]
    >>> path = os.path.join(tempfile.mkdtemp(), "kinks.svg")
    >>> fig = bc.viz.kink_hits(hits, path)
    >>> "relu1" in open(path).read()
    True
    """
    names, data, xlabel = _series(records, "kink_hits", 0.0)
    if any((v < 0).any() for v in data.values()):
        raise ValueError("kink_hits: counts of kinks hit cannot be negative")
    steps = max(v.size for v in data.values())
    table = np.full((len(names), steps), np.nan)
    for i, name in enumerate(names):
        table[i, :data[name].size] = data[name]
    fig, axes = _figure("kink_hits", 1, 2, width=5.2, height=max(3.6, 0.35 * len(names) + 1.5))
    ax_line, ax_table = axes[0]
    colors = _layer_colors(len(names))
    x = np.arange(1, steps + 1)
    for i, (name, color) in enumerate(zip(names, colors)):
        ax_line.plot(x[:data[name].size], data[name], "-o", color=color, markersize=3, label=name)
    if np.nanmax(table) > 0 and np.nanmax(table) / max(np.nanmin(table[table > 0]), 1) > 1e3:
        ax_line.set_yscale("symlog", linthresh=1)
    ax_line.set_xlabel(xlabel)
    ax_line.set_ylabel("kinks hit")
    ax_line.set_title(f"kinks hit per layer, by {xlabel}")
    ax_line.grid(alpha=0.3)
    if steps <= 20:
        ax_line.xaxis.get_major_locator().set_params(integer=True)
    if len(names) <= 12:
        ax_line.legend(fontsize=7)
    top = np.nanmax(table) if np.isfinite(table).any() else 0
    image = ax_table.imshow(table, aspect="auto", cmap="Reds", interpolation="nearest", vmin=0, vmax=max(top, 1),
                            extent=(0.5, steps + 0.5, len(names) - 0.5, -0.5))  # 0 is white, also when all are 0
    fig.colorbar(image, ax=ax_table, label="kinks hit")
    ax_table.set_yticks(np.arange(len(names)), names, fontsize=8)
    ax_table.set_xlabel(xlabel)
    ax_table.set_title("kinks hit (layer × " + xlabel + ")")
    if len(names) * steps <= 120:
        top = np.nanmax(table) if np.isfinite(table).any() else 0
        for i in range(len(names)):
            for j in range(steps):
                if np.isfinite(table[i, j]):
                    ax_table.text(j + 1, i, f"{table[i, j]:.0f}", ha="center", va="center", fontsize=7,
                                  color="white" if top and table[i, j] > 0.6 * top else "black")
    never = [n for n in names if np.nansum(data[n]) == 0]
    if never:
        fig.suptitle("no kink hit: " + ", ".join(never), fontsize=9)
    return _save(fig, path, "kink_hits")


# -- activations ------------------------------------------------------------------------
def activation_histograms(stats: Any, path: str | os.PathLike[str] | None = None, bins: int = 50) -> Any:
    """One histogram per layer of the values its output took: saturation, dead units, scale.

    Each panel is titled with the layer, its share of exact zeros (for ReLU:
    the inputs that were not positive, which get no gradient) and the mean
    and standard deviation of its values.

    Parameters
    ----------
    stats : ActivationStats or dict
        A :class:`backchain.train.ActivationStats` callback after training, or
        a mapping ``layer -> array of activation values``.
    path : str or os.PathLike, optional
        Where to save the picture (``.png``, ``.svg`` or ``.pdf``).
    bins : int
        Bins per histogram.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import os, tempfile, numpy as np, backchain as bc
    >>> z = np.random.default_rng(0).normal(size=1000)
    >>> path = os.path.join(tempfile.mkdtemp(), "act.png")
    >>> fig = bc.viz.activation_histograms({"0 (Linear)": z, "1 (ReLU)": np.maximum(z, 0)}, path)
    >>> len([ax for ax in fig.axes if ax.get_visible()])
    2
    """
    zero_share = {}
    if hasattr(stats, "values") and not isinstance(stats, dict):
        zero_share = dict(getattr(stats, "zero_fraction", {}) or {})
        stats = stats.values
        zero_share = {k: v[-1] for k, v in zero_share.items() if v}
    if not isinstance(stats, dict):
        raise TypeError(f"activation_histograms: expected an ActivationStats callback or a mapping "
                        f"layer -> array of values, got {type(stats).__name__}")
    data = {str(k): np.asarray(v._data if isinstance(v, Tensor) else v, dtype=float).ravel()
            for k, v in stats.items()}
    data = {k: v[np.isfinite(v)] for k, v in data.items()}
    if not data:
        raise ValueError("activation_histograms: no layer was recorded")
    nrows, ncols = _grid(len(data))
    fig, axes = _figure("activation_histograms", nrows, ncols, width=4.0, height=2.9)
    colors = _layer_colors(len(data))
    for ax, (name, values), color in zip(axes.ravel(), data.items(), colors):
        if values.size == 0:
            ax.set_title(f"{name}: no values", fontsize=9)
            continue
        zeros = zero_share.get(name, float(np.mean(values == 0)))
        ax.hist(values, bins=bins, color=color, alpha=0.85)
        ax.set_title(f"{name}\nzeros {100 * zeros:.1f}%  mean {values.mean():.3g}  std {values.std():.3g}",
                     fontsize=9)
        ax.set_xlabel("activation value")
        ax.set_ylabel("count")
        ax.grid(alpha=0.3)
    _hide_unused(axes, len(data))
    return _save(fig, path, "activation_histograms")
