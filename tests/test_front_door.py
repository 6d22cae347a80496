"""The data people actually load, tried as a new user would (issue 28, point 6).

Each case was met with mitml's ``leadership`` and jomo's ``tldata`` read by ``pd.read_csv``:
numbers read as text, group codes read as amounts, mice's option names, a grouping factor with
one row per group, a real ``x_mean`` beside ``x``, whole numbers beyond 2**53, a checkpoint
resumed with another seed, and a text factor's reference category. Every refusal happens
before anything is compiled (the guard of tests/conftest.py fails the test otherwise).
"""

import io
import re
import warnings

import numpy as np
import pandas as pd
import pytest

import bayesmi as bm


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    data = pd.DataFrame(
        {
            "g": np.repeat(np.arange(30), 10),
            "x": rng.normal(size=300),
            "grp": rng.integers(1, 4, 300).astype(float),
        }
    )
    data["y"] = data["x"] + rng.normal(size=300)
    data.loc[::7, "y"] = np.nan
    return data


SPEC = {"y": bm.random_intercept("y ~ x + (1 | g)")}
QUICK = {"cluster": "g", "chains": 2, "iterations": 2, "progressbar": False}


def read_with_stray(frame, stray):
    text = frame.assign(y=frame["y"].astype(object))
    text.loc[5, "y"] = stray
    return pd.read_csv(io.StringIO(text.to_csv(index=False)))


@pytest.mark.parametrize("stray", [".", "?", "n.a."])
def test_numbers_with_a_stray_string_are_refused_with_the_values_rows_and_fix(frame, stray):
    data = read_with_stray(frame, stray)
    assert not pd.api.types.is_numeric_dtype(data["y"])  # read_csv reads text
    text = re.escape(f"'{stray}' (rows 5)")
    with pytest.raises(ValueError, match=rf"column 'y' holds numbers .* but for the text {text}"):
        bm.impute(data, SPEC, **QUICK)
    with pytest.raises(ValueError, match="errors='coerce'"):
        bm.suggest(data, "y ~ x + (1 | g)", cluster="g", verbose=False)
    fixed = data.assign(y=pd.to_numeric(data["y"], errors="coerce"))
    assert bm.suggest(fixed, "y ~ x + (1 | g)", cluster="g", verbose=False)["y"].family == (
        "gaussian"
    )


def test_few_whole_number_scores_with_a_stray_string_get_both_readings(frame):
    """Scores 1 to 5 and one '.': a factor or numbers with a stray; a model of numbers says
    both fixes (pd.to_numeric for the stray, an ordinal model for a factor)."""
    scores = frame.assign(y=np.round(frame["y"]).clip(-2, 2) + 3)
    data = read_with_stray(scores, ".")
    with pytest.raises(ValueError, match="is categorical") as refused:
        bm.impute(data, SPEC, **QUICK)
    message = str(refused.value)
    assert "bm.categorical or bm.ordinal" in message
    assert "Or, if it holds numbers: column 'y' holds numbers" in message
    assert "'.' (rows 5)" in message
    assert "errors='coerce'" in message


def test_a_text_factor_with_a_few_numeric_labels_stays_a_factor(frame):
    data = frame.assign(kind=np.where(frame["x"] > 0, "1", "other"))
    data.loc[::10, "kind"] = "2"
    spec = bm.suggest(data.assign(y=frame["y"]), "y ~ x + kind + (1 | g)", "g", verbose=False)
    assert spec["y"].formula == "y ~ x + kind + (1 | g)"


def test_suggest_says_few_whole_numbers_may_be_group_codes(frame):
    data = frame.copy()
    data.loc[::9, "grp"] = np.nan
    spec = bm.suggest(data, "y ~ x + grp + (1 | g)", cluster="g", verbose=False)
    (note,) = [note for note in spec.notes if "'grp'" in note]
    assert "3 distinct whole numbers (1, 2, 3)" in note
    assert "data['grp'].astype('category')" in note
    assert "C(grp)" in note
    assert note in repr(spec)


def test_suggest_names_a_text_factors_reference_and_how_to_choose_another(frame):
    data = frame.assign(level=np.where(frame["x"] > 0, "low", "high"))
    data.loc[::6, "level"] = None
    spec = bm.suggest(data, "y ~ x + level + (1 | g)", cluster="g", verbose=False)
    (note,) = [note for note in spec.notes if "'level'" in note]
    assert "reference category 'high' (the first of its values in sorted order)" in note
    assert "pd.Categorical(data['level'], categories=['low', 'high'])" in note
    ordered = data.assign(level=pd.Categorical(data["level"], categories=["low", "high"]))
    spec = bm.suggest(ordered, "y ~ x + level + (1 | g)", cluster="g", verbose=False)
    assert any("reference category 'low' (the first of its categories)" in n for n in spec.notes)


@pytest.mark.parametrize(
    ("option", "named"),
    [("m", "chains="), ("maxit", "iterations="), ("nburn", "iterations="), ("chain", "chains=")],
)
def test_mice_and_jomo_option_names_say_bayesmis(frame, option, named):
    with pytest.raises(TypeError, match=rf"unexpected keyword argument '{option}'.*{named}"):
        bm.impute(frame, SPEC, **QUICK, **{option: 10})


def test_a_grouping_factor_of_one_row_per_group_is_refused_naming_it(frame):
    data = frame.assign(rowid=np.arange(len(frame)))
    with pytest.raises(ValueError, match=r"grouping factor 'rowid' .* one row per group"):
        bm.impute(data, {"y": bm.random_intercept("y ~ x + (1 | rowid)")}, progressbar=False)
    with pytest.raises(ValueError, match=r"'rowid'.* \(300 groups for 257 observed rows\)"):
        bm.impute(data, {"y": bm.random_intercept("y ~ x + (1 | g) + (1 | rowid)")}, **QUICK)


def test_a_real_x_mean_beside_x_is_refused_before_sampling(frame):
    data = frame.assign(x_mean=frame.groupby("g")["x"].transform("mean"))
    data.loc[::11, "x"] = np.nan
    spec = {
        "x": bm.random_intercept("x ~ y + (1 | g)"),
        "y": bm.random_intercept("y ~ x + x_mean + (1 | g)"),
    }
    with pytest.raises(ValueError, match=r"'x_mean' .* is a column of data, and also .* of 'x'"):
        bm.impute(data, spec, **QUICK)
    renamed = data.rename(columns={"x_mean": "x_mean_given"})
    spec["y"] = bm.random_intercept("y ~ x + x_mean_given + (1 | g)")
    assert len(list(bm.completed(bm.impute(renamed, spec, **QUICK, seed=1)))) == 2


def test_whole_numbers_beyond_2_to_the_53_are_refused_where_used_and_kept_where_not(frame):
    big = pd.array([2**53 + 1 + 2 * k for k in range(len(frame))], dtype="Int64")
    data = frame.assign(big=big)
    idata = bm.impute(data, SPEC, **QUICK, seed=1)
    frames = list(bm.completed(idata))
    assert len(frames) == 2
    for completed in frames:
        assert completed["big"].dtype == "Int64"
        assert completed["big"].equals(data["big"])
    data.loc[::6, "big"] = pd.NA
    spec = {"big": bm.random_intercept("big ~ x + (1 | g)", pmm=True)}
    with pytest.raises(ValueError, match=r"column 'big' holds whole numbers beyond 2\*\*53"):
        bm.impute(data, spec, **QUICK)


def test_a_checkpoint_resumed_with_another_seed_is_refused_and_its_own_seed_said(tmp_path):
    data = bm.datasets.load_popmis()
    spec = {"popular": bm.random_intercept("popular ~ sex + (1 | school)")}
    settings = {"cluster": "school", "chains": 2, "iterations": 3, "progressbar": False}
    path = tmp_path / "run.ckpt"
    child = np.random.SeedSequence(1, spawn_key=(2,))
    first = bm.impute(data, spec, **settings, seed=child, checkpoint=path)
    for other in (1, 2, np.random.SeedSequence(1, spawn_key=(3,))):
        with pytest.raises(ValueError, match=r"belongs to another run .* seed"):
            bm.impute(data, spec, **settings, seed=other, checkpoint=path)
    with pytest.warns(UserWarning, match=r"seed= is left out, so the run .* its own seed 1"):
        again = bm.impute(data, spec, **settings, checkpoint=path)
    np.testing.assert_array_equal(
        again.posterior["popular::missing"], first.posterior["popular::missing"]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bm.impute(data, spec, **settings, seed=child, checkpoint=path)


def test_warnings_point_at_the_users_call(frame):
    """However deep in bayesmi a warning is raised, and whatever wraps impute."""
    data = frame.assign(z=np.arange(len(frame)) % 3.0)
    spec = {**SPEC, "z": bm.random_intercept("z ~ x + (1 | g)")}
    with pytest.warns(UserWarning, match="z have no missing values") as record:
        bm.impute(data, spec, **QUICK, seed=1)
    assert {warning.filename for warning in record} == {__file__}
