"""Data with more than one grouping factor: three nested levels, and crossed classifications."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from bayesmi.simulate.common import SimulatedData, delete_cells, deletion_probability

__all__ = ["simulate_crossed", "simulate_three_level"]


def simulate_three_level(
    schools: int = 40,
    classes: int = 4,
    pupils: int = 15,
    slope: float = 0.5,
    icc_class: float = 0.10,
    icc_school: float = 0.20,
    missing: float = 0.3,
    missing_groups: float = 0.2,
    mechanism: Literal["mcar", "mar"] = "mar",
    seed: int | np.random.Generator | None = None,
    slope_sd: float = 0.0,
) -> SimulatedData:
    """Simulate pupils in classes in schools: ``y = slope x + 0.3 c + 0.3 s + u + v + e``.

    ``u`` (school) and ``v`` (class) are normal random intercepts with variances `icc_school`
    and `icc_class`, ``e`` the residual with variance ``1 - icc_class - icc_school``, so they
    are the intraclass correlations of y given its predictors. ``x`` is a standard normal
    pupil-level predictor, ``c`` a class-level one (constant within classes) and ``s`` a
    school-level one (constant within schools), both standard normal. Classroom labels restart at
    1 in every school (as ``(1 | school/classroom)`` expects). With `slope_sd`, the slope of x
    varies between schools: ``y`` gains ``w x``, ``w ~ N(0, slope_sd^2)`` per school,
    independent of ``u`` (drawn last, so the other draws are those of ``slope_sd=0``).

    Parameters
    ----------
    schools, classes, pupils : int, default=40, 4, 15
        Schools, classes per school and pupils per class.
    slope : float, default=0.5
        Coefficient of x.
    icc_class, icc_school : float, default=0.10, 0.20
        Variances of the class and school intercepts (the total is 1).
    missing : float, default=0.3
        Expected fraction of y deleted, depending on x (``mechanism="mar"``) or not.
    missing_groups : float, default=0.2
        Expected fraction of classes without c, and of schools without s (whole groups).
    mechanism : {"mar", "mcar"}, default="mar"
        How y is deleted.
    seed : int or numpy.random.Generator, optional
        Seed of the simulation.
    slope_sd : float, default=0.0
        SD of the schools' deviations from the slope of x.

    Returns
    -------
    SimulatedData
        Columns ``school``, ``classroom`` (1..classes in each school; not ``class``, a
        Python keyword patsy formulas cannot read), ``x``, ``c``, ``s`` and
        ``y``; ``truth`` holds ``slope``, ``tau2_class``, ``tau2_school``, ``sigma2`` and
        ``slope_var`` (``slope_sd^2``).

    Examples
    --------
    >>> sim = bm.simulate.simulate_three_level(seed=1)
    >>> sim.complete.shape, int(sim.complete.groupby("school")["classroom"].nunique().max())
    ((2400, 6), 4)
    """
    if icc_class < 0 or icc_school < 0 or icc_class + icc_school >= 1:
        raise ValueError(
            f"icc_class ({icc_class}) and icc_school ({icc_school}) must be non-negative and "
            "sum to less than 1."
        )
    rng = np.random.default_rng(seed)
    school = np.repeat(np.arange(1, schools + 1), classes * pupils)
    within = np.tile(np.repeat(np.arange(1, classes + 1), pupils), schools)
    class_code = (school - 1) * classes + within - 1
    x = rng.standard_normal(school.size)
    c = rng.standard_normal(schools * classes)[class_code]
    s = rng.standard_normal(schools)[school - 1]
    u = np.sqrt(icc_school) * rng.standard_normal(schools)[school - 1]
    v = np.sqrt(icc_class) * rng.standard_normal(schools * classes)[class_code]
    e = np.sqrt(1.0 - icc_class - icc_school) * rng.standard_normal(school.size)
    y = slope * x + 0.3 * c + 0.3 * s + u + v + e
    complete = pd.DataFrame({"school": school, "classroom": within, "x": x, "c": c, "s": s, "y": y})
    incomplete = delete_cells(complete, "y", deletion_probability(x, missing, mechanism), rng)
    without_c = (rng.random(schools * classes) < missing_groups)[class_code]
    without_s = (rng.random(schools) < missing_groups)[school - 1]
    incomplete.loc[without_c, "c"] = np.nan
    incomplete.loc[without_s, "s"] = np.nan
    if slope_sd:
        varying = slope_sd * rng.standard_normal(schools)[school - 1] * x
        complete["y"] += varying
        incomplete["y"] += varying
    truth = {
        "slope": slope,
        "tau2_class": icc_class,
        "tau2_school": icc_school,
        "sigma2": 1.0 - icc_class - icc_school,
        "slope_var": slope_sd**2,
    }
    return SimulatedData(incomplete, complete, truth)


def simulate_crossed(
    schools: int = 30,
    areas: int = 20,
    pupils: int = 1200,
    slope: float = 0.5,
    var_school: float = 0.15,
    var_area: float = 0.10,
    missing: float = 0.3,
    mechanism: Literal["mcar", "mar"] = "mar",
    seed: int | np.random.Generator | None = None,
) -> SimulatedData:
    """Simulate pupils classified by school and by area, crossed: ``y = slope x + a + b + e``.

    Every pupil has a school and an area drawn independently (uniformly), so schools draw
    pupils from many areas and areas send pupils to many schools. ``a`` (school) and ``b``
    (area) are normal random intercepts with variances `var_school` and `var_area`, ``e`` has
    variance ``1 - var_school - var_area``.

    Parameters
    ----------
    schools, areas : int, default=30, 20
        Numbers of schools and of areas.
    pupils : int, default=1200
        Number of pupils.
    slope : float, default=0.5
        Coefficient of the standard normal x.
    var_school, var_area : float, default=0.15, 0.10
        Variances of the two random intercepts (the total is 1).
    missing : float, default=0.3
        Expected fraction of y deleted, depending on x (``mechanism="mar"``) or not.
    mechanism : {"mar", "mcar"}, default="mar"
        How y is deleted.
    seed : int or numpy.random.Generator, optional
        Seed of the simulation.

    Returns
    -------
    SimulatedData
        Columns ``school``, ``area``, ``x`` and ``y``; ``truth`` holds ``slope``,
        ``tau2_school``, ``tau2_area`` and ``sigma2``.

    Examples
    --------
    >>> sim = bm.simulate.simulate_crossed(seed=1)
    >>> int(sim.complete.groupby("school")["area"].nunique().min()) > 1
    True
    """
    if var_school < 0 or var_area < 0 or var_school + var_area >= 1:
        raise ValueError(
            f"var_school ({var_school}) and var_area ({var_area}) must be non-negative and sum "
            "to less than 1."
        )
    rng = np.random.default_rng(seed)
    school = rng.integers(schools, size=pupils)
    area = rng.integers(areas, size=pupils)
    x = rng.standard_normal(pupils)
    a = np.sqrt(var_school) * rng.standard_normal(schools)[school]
    b = np.sqrt(var_area) * rng.standard_normal(areas)[area]
    e = np.sqrt(1.0 - var_school - var_area) * rng.standard_normal(pupils)
    y = slope * x + a + b + e
    complete = pd.DataFrame({"school": school + 1, "area": area + 1, "x": x, "y": y})
    incomplete = delete_cells(complete, "y", deletion_probability(x, missing, mechanism), rng)
    truth = {
        "slope": slope,
        "tau2_school": var_school,
        "tau2_area": var_area,
        "sigma2": 1.0 - var_school - var_area,
    }
    return SimulatedData(incomplete, complete, truth)
