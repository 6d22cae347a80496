"""Unusual but legitimate input (issue 14): given back exactly, or refused before any work.

Each class of odd input either comes back exactly as given (columns the spec never touches,
labels and cluster columns of any type, through netCDF too) or is refused with a clear
`ValueError`/`TypeError` naming what and where, before anything is compiled, written or started.
"""

import datetime
import json
import warnings
from concurrent.futures import ThreadPoolExecutor

import arviz as az
import numpy as np
import pandas as pd
import pytest

import bayesmi as bm
from bayesmi.spec import model_from_dict, model_to_dict, spec_from_json

QUICK = {"chains": 2, "iterations": 2, "tune": 10, "steps": 1, "seed": 3, "progressbar": False}


def impute(data, spec, cluster="g", **settings):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        return bm.impute(data, spec, cluster=cluster, **(QUICK | {"cores": 1} | settings))


@pytest.fixture
def no_sampling(monkeypatch):
    """Refusals must come before any chain runs."""

    def refuse(*args, **kwargs):
        raise AssertionError("a chain was started before the input was checked")

    monkeypatch.setattr("bayesmi.engines.parallel.run_block", refuse)
    monkeypatch.setattr("bayesmi.engines.dispatch.run_joint", refuse)


def odd_frame(n: int = 40) -> pd.DataFrame:
    """y incomplete, x complete, and columns of every kind the spec never touches."""
    rng = np.random.default_rng(0)
    g = np.repeat(np.arange(4), n // 4)
    x = rng.standard_normal(n)
    y = x + rng.standard_normal(n)
    y[rng.random(n) < 0.3] = np.nan
    text = np.array(["boy", "girl"], dtype=object)[rng.integers(0, 2, n)]
    stamps = pd.date_range("2020-01-01", periods=n, freq="D", tz="Europe/Paris")
    frame = pd.DataFrame(
        {
            "g": g,
            "y": y,
            "x": x,
            "s": pd.Series(text, dtype="str").where(rng.random(n) > 0.2),
            "s_na": pd.Series(text, dtype="string").where(rng.random(n) > 0.2),
            "obj": pd.Series([None if k % 7 == 0 else v for k, v in enumerate(text)], dtype=object),
            "cat": pd.Categorical(text, categories=["girl", "boy", "other"], ordered=True),
            "count": pd.array([None if k % 5 == 0 else k for k in range(n)], dtype="Int64"),
            "flag": pd.array([None if k % 6 == 0 else k % 2 == 0 for k in range(n)], "boolean"),
            "when": pd.Series(stamps).where(rng.random(n) > 0.1),
            "gap": pd.to_timedelta(np.arange(n), unit="h"),
            "mixed": pd.Series([1, "a", None, 2.5, (1, 2)] * (n // 5), dtype=object),
            "flag_np": rng.random(n) > 0.5,
            "small": np.arange(n, dtype=np.int8),
        }
    )
    frame[7] = np.arange(n) * 2  # labels of other types, and names netCDF cannot hold
    frame[("a", 1)] = np.arange(n) * 3.0
    frame["a/b"] = 1.5
    frame[""] = "empty name"
    frame["row"] = np.arange(n)[::-1]
    return frame


def assert_frames_equal(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(left, right, check_exact=True)
    assert list(left.columns) == list(right.columns)
    assert [type(c) for c in left.columns] == [type(c) for c in right.columns]
    assert list(left.dtypes) == list(right.dtypes)


ROW_LABELS = {
    "range": lambda n: pd.RangeIndex(n),
    "strings": lambda n: pd.Index([f"r{k}" for k in range(n)], name="pupil"),
    "shuffled_ints": lambda n: pd.Index(np.random.default_rng(1).permutation(n) * 10),
    "timestamps": lambda n: pd.date_range("2021-03-01", periods=n, freq="h", tz="UTC"),
    "mixed": lambda n: pd.Index([k if k % 2 else f"p{k}" for k in range(n)], dtype=object),
    "tuples": lambda n: pd.Index([(k // 4, k % 4) for k in range(n)], tupleize_cols=False),
}


@pytest.mark.parametrize("labels", list(ROW_LABELS))
def test_untouched_columns_and_labels_come_back_exactly(labels, tmp_path):
    data = odd_frame()
    data.index = ROW_LABELS[labels](len(data))
    before = data.copy(deep=True)
    idata = impute(data, {"y": bm.random_intercept("y ~ x + (1 | g)")})
    assert_frames_equal(data, before)  # the caller's frame is untouched
    untouched = [c for c in data.columns if c != "y"]
    frames = list(bm.completed(idata))
    for frame in frames:
        assert_frames_equal(frame[untouched], data[untouched])
        assert frame.index.equals(data.index)
        assert frame.index.dtype == data.index.dtype
        observed = data["y"].notna()
        assert frame.loc[observed, "y"].equals(data.loc[observed, "y"])
        assert frame["y"].notna().all()
    assert_frames_equal(bm.complete(idata, "all", include=True)[0], data)
    path = tmp_path / "odd.nc"
    idata.to_netcdf(str(path))
    for loaded, frame in zip(bm.completed(az.from_netcdf(path)), frames, strict=True):
        assert_frames_equal(loaded, frame)


CLUSTERS = {
    "bool": lambda g: g % 2 == 0,
    "strings": lambda g: np.array(["north", "south", "east", "west"], dtype=object)[g],
    "mixed_object": lambda g: np.array([1, "b", 2.5, "d"], dtype=object)[g],
    "dates": lambda g: pd.to_datetime("2020-01-01") + pd.to_timedelta(g, unit="D"),
    "categorical": lambda g: pd.Categorical.from_codes(g, ["w", "z", "y", "x"], ordered=True),
    "floats": lambda g: g / 3,
}


@pytest.mark.parametrize("kind", list(CLUSTERS))
def test_cluster_column_of_any_dtype_comes_back_exactly(kind, tmp_path):
    data = odd_frame()[["g", "y", "x", "s"]]
    data["g"] = CLUSTERS[kind](data["g"].to_numpy())
    idata = impute(data, {"y": bm.random_intercept("y ~ x + (1 | g)")})
    assert idata.posterior["y::u"].sizes["cluster"] == data["g"].nunique()
    path = tmp_path / "clusters.nc"
    idata.to_netcdf(str(path))
    frames = list(bm.completed(az.from_netcdf(path)))
    assert frames  # the loop below must check something
    for frame in frames:
        assert_frames_equal(frame[["g", "x", "s"]], data[["g", "x", "s"]])


def test_names_that_break_the_layout_are_refused_before_sampling(no_sampling):
    data = odd_frame()[["g", "y", "x"]]
    rows = data.set_index([data.index, data.index], append=False)
    with pytest.raises(ValueError, match=r"MultiIndex rows .*reset_index"):
        impute(rows, {"y": bm.random_intercept("y ~ x + (1 | g)")})
    columns = data.copy()
    columns.columns = pd.MultiIndex.from_tuples([("a", "g"), ("a", "y"), ("b", "x")])
    with pytest.raises(ValueError, match="MultiIndex columns"):
        impute(columns, {"y": bm.random_intercept("y ~ x + (1 | g)")}, cluster=("a", "g"))
    for name, message in (("a/b", "contains '/'"), ("a::b", "contains '::'")):
        renamed = data.rename(columns={"y": name})
        with pytest.raises(ValueError, match=message):
            impute(renamed, {name: bm.random_intercept(f"`{name}` ~ x + (1 | g)")})


def test_a_target_named_like_a_dimension_is_imputed():
    data = odd_frame()[["g", "y", "x"]].rename(columns={"y": "draw", "x": "chain"})
    idata = impute(data, {"draw": bm.random_intercept("draw ~ chain + (1 | g)")})
    assert idata.posterior["draw::missing"].dims == ("chain", "draw", "draw::missing_row")
    frames = list(bm.completed(idata))
    assert frames
    assert all(frame["draw"].notna().all() for frame in frames)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.iloc[::-1],  # the same rows, reordered
        lambda d: d.set_axis([f"r{k}" for k in range(len(d))]),  # relabelled
        lambda d: d.assign(x=d["x"].where(d.index != 3, 99.0)),  # one value edited
        lambda d: d.assign(x=d["x"].astype("float32")),  # retyped
    ],
)
def test_a_checkpoint_is_refused_for_other_data(change, tmp_path):
    data = odd_frame()[["g", "y", "x"]]
    spec = {"y": bm.random_intercept("y ~ x + (1 | g)")}
    first = impute(data, spec, checkpoint=tmp_path / "ck", seed=5)
    again = impute(data.copy(), spec, checkpoint=tmp_path / "ck", seed=5)  # same data: resumed
    np.testing.assert_array_equal(first.posterior["y::missing"], again.posterior["y::missing"])
    with pytest.raises(ValueError, match=r"belongs to another run .*data"):
        impute(change(data), spec, checkpoint=tmp_path / "ck", seed=5)


def test_a_bad_argument_given_last_leaves_no_checkpoint(tmp_path, no_sampling):
    data = odd_frame()[["g", "y", "x"]]
    spec = {"y": bm.random_intercept("y ~ x + (1 | g)")}
    target = tmp_path / "ck"
    with pytest.raises(TypeError, match=r"executor must be a concurrent\.futures\.Executor"):
        impute(data, spec, checkpoint=target, executor="two processes")
    with pytest.raises(ValueError, match="checkpoint is an option of engine='chained'"):
        impute(data, spec, engine="joint", checkpoint=target, steps=None)
    with pytest.raises(ValueError, match="predictor 'q'"):
        impute(data, {"y": bm.random_intercept("y ~ q + (1 | g)")}, checkpoint=target)
    assert not target.exists()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"engine": "joint", "steps": 3}, "steps is an option of engine='chained'"),
        ({"engine": "joint", "start": "overdispersed"}, "start is an option of engine='chain"),
        ({"engine": "joint", "sampler": "nuts"}, "sampler is an option of engine='chained'"),
        ({"nuts_sampler": "nutpie"}, "nuts_sampler is an option of engine='joint'"),
        ({"analysis": "y ~ x + (1 | g)"}, "'y' is the outcome of the analysis model"),
        ({"engine": "both"}, "engine must be 'chained' or 'joint'"),
        ({"sampler": "hmc"}, "sampler must be one of 'auto', 'gibbs', 'nuts'"),
        ({"start": "random"}, "start must be one of 'observed', 'overdispersed'"),
    ],
)
def test_options_are_checked_for_the_engine_that_uses_them(settings, message, no_sampling):
    data = odd_frame()[["g", "y", "x"]]
    options = {k: v for k, v in QUICK.items() if k != "steps"} | settings
    with pytest.raises(ValueError, match=message):
        bm.impute(data, {"y": bm.random_intercept("y ~ x + (1 | g)")}, cluster="g", **options)


def test_a_cluster_level_target_observed_in_one_cluster_is_refused(no_sampling):
    data = odd_frame()[["g", "y", "x"]]
    data["z"] = np.where(data["g"] == 0, 1.5, np.nan)
    with pytest.raises(ValueError, match="observed in 1 cluster of 4"):
        impute(data.drop(columns="y"), {"z": bm.cluster_level("z ~ x_mean")})


def test_a_level_2_variable_given_a_level_1_model_is_warned_about():
    data = odd_frame()[["g", "y", "x"]]
    data["z"] = data["g"] * 1.5
    data.loc[[0, 13, 27], "z"] = np.nan
    with pytest.warns(UserWarning, match=r"'z' is constant within each of the 4 clusters .*"):
        impute(data.drop(columns="y"), {"z": bm.random_intercept("z ~ x + (1 | g)")})


def test_random_slopes_without_a_random_intercept_are_refused():
    with pytest.raises(ValueError, match=r"no random intercept \(0 \+ x \| g\).*\(1 \+ x \| g\)"):
        bm.random_slopes("y ~ x + (0 + x | g)")
    assert bm.random_slopes("y ~ x + (x | g)").slopes == ("x",)  # lme4: intercept implied


@pytest.mark.parametrize(("scale", "word"), [(1e200, "overflow"), (1e-200, "underflow")])
def test_values_whose_squares_leave_float64_are_refused(scale, word, no_sampling):
    data = odd_frame()[["g", "y", "x"]]
    data["x"] = data["x"] * scale
    with pytest.raises(ValueError, match=f"column 'x' has values of size .* {word}"):
        impute(data, {"y": bm.random_intercept("y ~ x + (1 | g)")})


@pytest.mark.parametrize(
    ("method", "matrix", "error", "message"),
    [
        ({"y": "2l.pan"}, {"y": {"g": -2, "x": 1.5}}, ValueError, "not integers"),
        ({"y": "2l.pan"}, {"y": {"g": -2, "x": float("nan")}}, ValueError, "missing codes"),
        (
            {"y": "2l.pan"},
            pd.DataFrame({"g": [-2, -2], "x": [1, 1]}, index=["y", "y"]),
            ValueError,
            "duplicated rows",
        ),
        (
            {"y": "2l.pan"},
            pd.DataFrame({"g": [-2], "x": [np.nan]}, index=["y"]),
            ValueError,
            "not integers",
        ),
        (["y", "2l.pan"], {"y": {"g": -2}}, TypeError, "method must be a mapping"),
        ({"y": "2l.pan"}, {"y": [1, 2]}, TypeError, r"predictor_matrix\['y'\] must be a mapping"),
        ({"y": "2l.pan"}, [[1, 2]], TypeError, "predictor_matrix must be a DataFrame"),
    ],
)
def test_from_mice_refuses_what_mice_would_not_take(method, matrix, error, message):
    with pytest.raises(error, match=message):
        bm.from_mice(method, matrix, cluster="g")


def test_from_mice_backticks_names_that_need_it():
    data = odd_frame()[["g", "y", "x"]].rename(
        columns={"g": "the school", "y": "my y", "x": "x-ray"}
    )
    spec = bm.from_mice(
        {"my y": "2l.pan"}, {"my y": {"the school": -2, "x-ray": 4}}, cluster="the school"
    )
    assert spec["my y"].formula == (
        "`my y` ~ `x-ray` + `x-ray_mean` + (1 + `x-ray` | `the school`)"
    )
    idata = impute(data, spec, cluster="the school")
    assert list(idata.posterior["my y::beta"].coords["my y::beta_dim"].values) == [
        "Intercept",
        "x-ray",
        "x-ray_mean",
    ]


def test_an_unknown_model_kind_is_refused_at_spec_time():
    entry = model_to_dict(bm.random_intercept("y ~ x + (1 | g)")) | {"kind": "random_forest"}
    with pytest.raises(ValueError, match="unknown model kind 'random_forest'"):
        model_from_dict(entry)
    with pytest.raises(ValueError, match="unknown model kind 'random_forest'"):
        spec_from_json(json.dumps([entry]))
    with pytest.raises(ValueError, match="unknown model kind"):
        bm.ImputationModel("random_forest", "y ~ x", "y", ())


def seeded(seed):
    data = odd_frame()[["g", "y", "x"]]
    return impute(data, {"y": bm.random_intercept("y ~ x + (1 | g)")}, seed=seed)


def test_seed_takes_ints_sequences_seed_sequences_and_generators():
    by_int = seeded(7).posterior["y::missing"].to_numpy()
    by_numpy_int = seeded(np.int64(7)).posterior["y::missing"].to_numpy()
    np.testing.assert_array_equal(by_int, by_numpy_int)
    sequence = np.random.SeedSequence(7)
    first = seeded(sequence)
    assert sequence.n_children_spawned == 0  # the caller's SeedSequence is not modified
    np.testing.assert_array_equal(first.posterior["y::missing"], by_int)
    listed = seeded([7, 8])
    assert json.loads(listed.attrs["seed"]) == [7, 8]
    again = seeded(json.loads(listed.attrs["seed"]))
    np.testing.assert_array_equal(listed.posterior["y::missing"], again.posterior["y::missing"])
    generator = np.random.default_rng(7)
    from_generator = seeded(generator)
    assert not np.array_equal(from_generator.posterior["y::missing"], by_int)
    repeat = seeded(json.loads(from_generator.attrs["seed"]))
    np.testing.assert_array_equal(
        repeat.posterior["y::missing"], from_generator.posterior["y::missing"]
    )


@pytest.mark.parametrize(
    ("seed", "error"), [("7", TypeError), (1.5, TypeError), (True, TypeError), (-1, ValueError)]
)
def test_other_seeds_are_refused_naming_seed(seed, error, no_sampling):
    with pytest.raises(error, match="seed must be"):
        seeded(seed)


def test_numpy_scalars_are_valid_settings(tmp_path):
    data = odd_frame()[["g", "y", "x"]]
    idata = impute(
        data,
        {"y": bm.random_intercept("y ~ x + (1 | g)")},
        chains=np.int64(2),
        iterations=np.int32(3),
        draws=np.uint8(2),
        tune=np.int16(5),
        target_accept=np.float32(0.9),
    )
    assert idata.posterior.sizes["draw"] == 2
    assert isinstance(idata.attrs["target_accept"], float)
    idata.to_netcdf(str(tmp_path / "scalars.nc"))


@pytest.mark.parametrize("settings", [{"chains": 10**9}, {"iterations": 10**12}])
def test_absurd_settings_are_refused_before_memory_is_taken(settings, no_sampling):
    data = odd_frame()[["g", "y", "x"]]
    with pytest.raises(ValueError, match=r"need at least .* GB for the result"):
        impute(data, {"y": bm.random_intercept("y ~ x + (1 | g)")}, **settings)


def test_completed_refuses_what_bayesmi_did_not_make():
    foreign = az.from_dict(posterior={"mu": np.zeros((2, 10))})
    with pytest.raises(ValueError, match=r"not made by bayesmi\.impute"):
        list(bm.completed(foreign))
    with pytest.raises(TypeError, match=r"InferenceData returned by bayesmi\.impute"):
        bm.complete(odd_frame())


def test_an_analysis_that_raises_is_reraised_naming_the_imputation():
    idata = seeded(2)

    def analysis(frame):
        if frame["y"].sum() == list(bm.completed(idata))[1]["y"].sum():
            raise np.linalg.LinAlgError("singular matrix")
        return {"estimates": {"mean": frame["y"].mean()}, "covariance": [[1.0]]}

    with pytest.raises(np.linalg.LinAlgError, match=r"imputation 2 .*singular matrix"):
        bm.fit_each(idata, analysis)
    with pytest.warns(FutureWarning, match="fit_each\\(func=...\\)"):
        fits = bm.fit_each(idata, analysis=lambda d: {"estimates": {"m": 1.0}, "covariance": [[1]]})
    assert len(fits) == 2


def test_dates_as_labels_round_trip_through_json():
    from bayesmi.result.frame_codec import from_json_value, to_json_value

    values = [
        pd.Timestamp("2020-03-01 12:00", tz="America/New_York"),
        datetime.date(2020, 1, 2),
        pd.NA,
        pd.NaT,
        (1, "a", None),
        float("nan"),
        pd.Timedelta("3h"),
    ]
    for value in values:
        back = from_json_value(json.loads(json.dumps(to_json_value(value))))
        if isinstance(value, float):
            assert np.isnan(back)
        else:
            assert back is value or back == value
            assert type(back) is type(value)


def test_an_executor_of_threads_gives_the_serial_result():
    data = odd_frame()[["g", "y", "x"]]
    spec = {"y": bm.random_intercept("y ~ x + (1 | g)")}
    serial = impute(data, spec, seed=4)
    with ThreadPoolExecutor(2) as pool:
        threaded = impute(data, spec, seed=4, executor=pool)
    np.testing.assert_array_equal(serial.posterior["y::missing"], threaded.posterior["y::missing"])
