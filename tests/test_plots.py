"""Plots and convergence summaries: what is drawn, and the files they write."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import bayesmi as bm


@pytest.fixture(scope="module")
def popmis_idata(impute_quietly):
    frame = bm.datasets.load_popmis().rename(columns={"school": "g"})
    spec = {"popular": bm.random_intercept("popular ~ sex + texp + (1 | g)")}
    return impute_quietly(frame, spec, chains=3, iterations=8, draws=2)


def test_plot_missing_draws_patterns_and_systematic_clusters(tmp_path):
    sim = bm.simulate.simulate_systematic(seed=1)
    axes = bm.plot_missing(sim.incomplete, cluster="cluster")
    pattern_axis, cluster_axis = axes
    assert [label.get_text() for label in pattern_axis.get_xticklabels()] == ["x\n547 missing"]
    assert [label.get_text() for label in pattern_axis.get_yticklabels()] == [
        "1453 rows",
        "547 rows",
    ]
    assert pattern_axis.get_title() == "Missingness patterns (1 complete column not shown)"
    legend = [text.get_text() for text in pattern_axis.get_legend().get_texts()]
    assert legend == ["observed", "missing"]
    image = cluster_axis.get_images()[0].get_array()
    assert image.shape == (1, 100)  # every cluster, most missing first
    crosses = cluster_axis.collections[0].get_offsets()
    assert len(crosses) == 20  # the 20 systematically missing clusters
    assert np.all(image[0, :20] == 1.0)
    assert np.all(np.diff(image[0]) <= 0)
    assert len(cluster_axis.get_xticklabels()) == 25  # one in 4 of 100 labelled
    assert cluster_axis.get_xlabel() == "cluster (100, most missing first, one in 4 labelled)"
    colorbar = cluster_axis.figure.axes[-1]
    assert colorbar.get_ylabel() == "fraction missing"
    pattern_axis.figure.savefig(tmp_path / "missing.png")
    assert (tmp_path / "missing.png").stat().st_size > 10_000


def test_plot_missing_shows_the_columns_asked_for():
    data = bm.datasets.load_popmis()
    pattern_axis, _ = bm.plot_missing(data, "school", columns=["sex", "popular"])
    labels = [label.get_text() for label in pattern_axis.get_xticklabels()]
    assert labels == ["sex\n0 missing", "popular\n848 missing"]
    with pytest.raises(ValueError, match=r"columns \['age'\] are not in data"):
        bm.plot_missing(data, "school", columns=["age"])
    with pytest.raises(ValueError, match="no column of data has missing values"):
        bm.plot_missing(data.dropna(), "school")


def test_plot_trace_has_one_line_per_chain_over_every_iteration(popmis_idata, tmp_path):
    mean_axis, sd_axis = bm.plot_trace(popmis_idata, "popular")
    lines = mean_axis.get_lines()
    assert len(lines) == 4  # 3 chains and the marker of the kept draws
    assert all(len(line.get_xdata()) == 8 for line in lines[:3])
    np.testing.assert_allclose(
        lines[1].get_ydata(),
        bm.result.read.iteration_trace(popmis_idata, "popular::missing_mean")[1],
    )
    assert lines[3].get_xdata()[0] == 7  # draws=2 of 8: kept from iteration 7
    assert sd_axis.get_ylabel() == "SD of imputed popular"
    mean_axis.figure.savefig(tmp_path / "trace.png")
    assert (tmp_path / "trace.png").stat().st_size > 10_000


def test_plot_trace_with_parameters_draws_each_chain_in_its_colour(popmis_idata):
    axes = bm.plot_trace(popmis_idata, "popular", parameters=["beta", "tau"])
    assert axes.shape == (6,)  # mean, sd, then density and trace of each parameter
    titles = [axis.get_title() for axis in axes[2::2]]
    assert [title.split(" (R-hat")[0] for title in titles] == ["popular: beta", "popular: tau"]
    rhat = bm.rhat(popmis_idata)  # not the same window: only the format is shared
    assert all(" (R-hat " in title for title in titles), (titles, rhat)
    beta_legend = axes[2].get_legend()
    assert beta_legend.get_title().get_text() == "beta_dim"
    assert [text.get_text() for text in beta_legend.get_texts()] == ["Intercept", "sex", "texp"]
    assert axes[2].get_ylabel().startswith("density")
    assert axes[4].get_ylabel().startswith("density")  # a scalar's density is labelled too
    # a scalar's chains in the chain means' colours, one line per chain
    tau_lines = [line for line in axes[5].get_lines() if line.get_linestyle() == "-"]
    mean_lines = axes[0].get_lines()[:3]
    assert [line.get_color() for line in tau_lines] == [line.get_color() for line in mean_lines]
    assert len({line.get_color() for line in tau_lines}) == 3
    for axis in (axes[0], axes[3], axes[5]):  # iterations 1..8, whole numbers
        ticks = axis.get_xticks()
        assert np.all(ticks == np.round(ticks)), ticks
        assert axis.get_xlabel() == "iteration"
    assert list(axes[3].get_lines()[0].get_xdata()) == list(range(1, 9))
    assert "first kept iteration" in [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert [t.get_text() for t in axes[0].get_legend().get_texts()][:2] == ["chain 0", "chain 1"]
    assert len({axis.figure for axis in axes}) == 1
    renderer = axes[0].figure.canvas.get_renderer()
    below = axes[0].get_legend().get_window_extent(renderer)
    assert below.y1 < axes[0].get_window_extent(renderer).y0  # the legend off the traces


def test_plot_trace_of_many_chains_numbers_them_by_a_colour_bar():
    """30 chains: distinct colours from a colour map, thin lines, no legend of 30 entries
    (a colour bar instead), and panels that keep most of the figure's height."""
    import matplotlib.pyplot as plt

    sim = bm.simulate.simulate_random_intercept(clusters=8, cluster_size=6, seed=2)
    spec = {"y": bm.random_intercept("y ~ x + (1 | cluster)")}
    idata = bm.impute(
        sim.incomplete, spec, "cluster", chains=30, iterations=6, seed=1, progressbar=False
    )
    mean_axis, _ = bm.plot_trace(idata, "y")
    chains = mean_axis.get_lines()[:30]
    assert (
        len(
            {tuple(np.round(plt.matplotlib.colors.to_rgba(line.get_color()), 4)) for line in chains}
        )
        == 30
    )
    assert all(line.get_linewidth() < 1 for line in chains)
    labels = [text.get_text() for text in mean_axis.get_legend().get_texts()]
    assert labels == ["first kept iteration"]
    bars = [axis for axis in mean_axis.figure.axes if axis.get_ylabel() == "chain (0-29)"]
    assert len(bars) == 1
    figure = mean_axis.figure
    height = mean_axis.get_position().height
    assert height > 0.5 * figure.subplotpars.top  # the panel is most of the figure
    plt.close(figure)


def test_trace_of_a_three_level_model_names_each_levels_sd():
    """Slopes by school beside classes' intercepts: each density's legend names its lines, the
    correlation shows its one distinct pair (a constant 1 has no density)."""
    sim = bm.simulate.simulate_three_level(schools=6, classes=2, pupils=5, seed=2)
    spec = {"y": bm.random_slopes("y ~ x + (1 + x | school) + (1 | classroom)")}
    idata = bm.impute(
        sim.incomplete.drop(columns=["c", "s"]),
        spec,
        ["school", "classroom"],
        chains=2,
        iterations=6,
        seed=1,
        progressbar=False,
    )
    axes = bm.plot_trace(idata, "y", parameters=True)
    legends = {
        axis.get_title().split(" (R-hat")[0]: [
            text.get_text() for text in axis.get_legend().get_texts()
        ]
        for axis in axes[2::2]
        if axis.get_legend() is not None  # scalars (sigma) have none
    }
    assert legends["y: tau"] == ["classroom"]
    assert legends["y: re_sd"] == ["Intercept", "x"]
    assert legends["y: re_corr"] == ["x, Intercept"]
    names = list(bm.summary(idata).index)
    assert "y::tau[classroom]" in names
    assert not [name for name in names if name.startswith("y::u_")]


def test_plots_draw_on_the_axes_given_and_return_them(popmis_idata):
    import matplotlib.pyplot as plt

    for plot, arguments in [
        (bm.plot_trace, (popmis_idata, "popular")),
        (bm.plot_imputed, (popmis_idata, "popular")),
        (bm.plot_missing, (bm.datasets.load_popmis(), "school")),
    ]:
        figure, given = plt.subplots(1, 2)
        returned = plot(*arguments, axes=given)
        assert isinstance(returned, np.ndarray)
        assert list(returned) == list(given)
        assert all(axis.has_data() for axis in given)
        plt.close(figure)
        with pytest.raises(ValueError, match="axes must be 2 matplotlib Axes"):
            plot(*arguments, axes=given[:1])


def test_plot_imputed_draws_observed_and_each_imputation(popmis_idata, tmp_path):
    density_axis, strip_axis = bm.plot_imputed(popmis_idata, "popular", clusters=[1, 2, 3])
    assert len(density_axis.get_lines()) == 1 + 6  # observed and 3 chains x 2 draws
    assert [text.get_text() for text in density_axis.get_legend().get_texts()] == [
        "observed",
        "imputed (one line per imputation)",
    ]
    assert [label.get_text() for label in strip_axis.get_xticklabels()] == ["1", "2", "3"]
    assert strip_axis.get_xlabel() == "g"  # the cluster column's name
    assert strip_axis.get_title() == "popular per g\n(3 of 100)"
    observed = bm.datasets.load_popmis().query("school == 1")["popular"].dropna()
    assert len(strip_axis.collections[0].get_offsets()) == len(observed)
    density_axis.figure.savefig(tmp_path / "imputed.png")
    assert (tmp_path / "imputed.png").stat().st_size > 10_000
    _, default = bm.plot_imputed(popmis_idata, "popular")
    assert default.get_title() == "popular per g\n(the 12 of 100 with the most imputed cells)"


@pytest.mark.parametrize("kind", ["strip", "box"])
def test_plot_imputed_per_imputation_as_mice_stripplot_and_bwplot(popmis_idata, kind):
    """Column 0 the observed values, then one column per imputation (3 chains x 2 draws)."""
    axis, _ = bm.plot_imputed(popmis_idata, "popular", kind=kind)
    assert [label.get_text() for label in axis.get_xticklabels()] == [str(k) for k in range(7)]
    assert axis.get_xlabel() == "imputation (0: observed values)"
    observed = bm.datasets.load_popmis()["popular"].dropna()
    if kind == "strip":
        assert len(axis.collections) == 7
        assert len(axis.collections[0].get_offsets()) == len(observed)
        np.testing.assert_allclose(
            np.sort(axis.collections[0].get_offsets()[:, 1]), np.sort(observed)
        )
    else:
        assert len(axis.patches) == 7
        medians = [line.get_ydata()[0] for line in axis.get_lines()[4::6]]
        assert medians[0] == pytest.approx(observed.median())
    with pytest.raises(ValueError, match="kind must be 'density', 'strip' or 'box'"):
        bm.plot_imputed(popmis_idata, "popular", kind="violin")


@pytest.fixture(scope="module")
def zero_one_run():
    """popmis' sex, 0/1, a fifth deleted and imputed by the binary model."""
    data = bm.datasets.load_popmis().drop(columns="popular")
    data["sex"] = data["sex"].astype(float).mask(data.index % 5 == 0)
    spec = {"sex": bm.binary("sex ~ texp + (1 | school)")}
    idata = bm.impute(data, spec, "school", chains=2, iterations=4, seed=1, progressbar=False)
    return data, idata


def test_plot_imputed_of_a_zero_one_variable_shows_proportions_on_0_1(zero_one_run):
    data, idata = zero_one_run
    overall, per_school = bm.plot_imputed(idata, "sex")
    for axis in (overall, per_school):
        assert axis.get_ylim() == (0.0, 1.0)
        assert axis.get_ylabel() == "proportion of sex = 1"
    assert overall.get_lines()[0].get_ydata()[0] == pytest.approx(data["sex"].mean())
    assert per_school.get_xlabel() == "school"


def test_plots_refuse_a_variable_not_imputed(popmis_idata):
    with pytest.raises(ValueError, match="'sex' was not imputed in this run"):
        bm.plot_trace(popmis_idata, "sex")
    with pytest.raises(ValueError, match=r"clusters \[999\] are not clusters of this run"):
        bm.plot_imputed(popmis_idata, "popular", clusters=[999])


def test_summary_rhat_and_ess_cover_parameters_and_chain_means(popmis_idata):
    table = bm.summary(popmis_idata)
    assert list(table.index) == [
        "popular::missing_mean",
        "popular::missing_sd",
        "popular::beta[Intercept]",
        "popular::beta[sex]",
        "popular::beta[texp]",
        "popular::tau",
        "popular::sigma",
    ]
    window = bm.result.read.iteration_trace(popmis_idata, "popular::missing_mean")[:, 4:]
    assert table.loc["popular::missing_mean", "mean"] == pytest.approx(window.mean(), abs=1e-3)
    rhat = bm.rhat(popmis_idata)
    assert rhat["popular::tau"] == pytest.approx(table.loc["popular::tau", "r_hat"])
    assert np.all(bm.ess(popmis_idata) > 0)


def test_trace_of_a_zero_one_variable_shows_its_proportion_on_the_full_scale(zero_one_run):
    """A 0/1 variable's SD says nothing its mean does not: the proportion of ones on 0-1 with
    the observed proportion, then the same zoomed."""
    data, idata = zero_one_run
    full, zoomed = bm.plot_trace(idata, "sex")
    assert full.get_ylim() == (0.0, 1.0)
    assert full.get_title().startswith("sex: proportion of ones among the imputed values (R-hat")
    assert zoomed.get_title().startswith("sex: the same, zoomed (R-hat")
    observed = data["sex"].mean()
    dashed = [line for line in full.get_lines() if line.get_linestyle() == "--"]
    assert dashed[0].get_ydata()[0] == pytest.approx(observed)
    assert "observed proportion" in [t.get_text() for t in full.get_legend().get_texts()]


def test_the_density_legend_sits_below_the_panel_and_whole_numbers_are_noted(popmis_idata):
    """popmis' popularity is scored in whole numbers; a normal model imputes between them."""
    density_axis, _ = bm.plot_imputed(popmis_idata, "popular")
    renderer = density_axis.figure.canvas.get_renderer()
    legend = density_axis.get_legend().get_window_extent(renderer)
    assert legend.y1 < density_axis.get_window_extent(renderer).y0
    assert "observed whole numbers, imputed continuous; pmm=True" in density_axis.get_xlabel()


def test_the_tipping_point_plot_takes_a_label():
    table = pd.DataFrame(
        {
            "delta": [0.0, -1.0],
            "term": "Intercept",
            "estimate": [5.3, 4.9],
            "std_error": 0.05,
            "conf_low": [5.2, 4.8],
            "conf_high": [5.4, 5.0],
            "p_value": 0.0,
            "fmi": 0.3,
        }
    )
    table.attrs = {"term": "Intercept", "reference": 5.0, "variable": "popular"}
    named = bm.plot_tipping_point(table, label="mean popularity")
    assert named.get_title() == "Tipping point of mean popularity"
    assert named.get_ylabel() == "mean popularity (pooled)"
    assert bm.plot_tipping_point(table).get_title() == "Tipping point of Intercept"
