"""bayesmi against R's fastest peers on the same data: mitml's panImpute (pan), and mice.

Workloads (issue 29):

1. popmis, random intercept, m = 10: bayesmi's 10 chains x 10 iterations (5 sweeps an
   iteration and 20 warm-up sweeps per chain: 700 sweeps) against
   ``panImpute(n.burn = 100, n.iter = 10, m = 10)`` (one chain, 200 sweeps).
2. The 28,000-row survey's four continuous pupil variables (`bayesmi.simulate.
   simulate_school_survey`, 280 schools of 100): bayesmi's four random-intercept models
   (each on the other three and the six complete columns), 5 chains of 9 iterations of one
   sweep, no warm-up (45 sweeps of each model), against ``panImpute(m = 5, n.burn = 20,
   n.iter = 5)`` of the 4-variate model (45 sweeps).
3. The whole survey workload of `benchmarks/bench_large.py` (m = 5, 5 iterations) against mice
   (2l.pan, 2l.bin, 2lonly.norm): mice takes about 11 minutes, so it runs only with ``--mice``;
   otherwise its stored time is shown.

bayesmi runs in a fresh subprocess after a first run has filled PyTensor's compile cache; only
the `bm.impute` call is timed (median of 3). With ``Rscript`` and mitml on the PATH the peers
run now (`benchmarks/peers/peers.R`, on the same files); without R the stored figures
(`benchmarks/peers/peers.json`) are printed with their date, and the script says so.

Run: ``python benchmarks/bench_peers.py [--mice]`` (about a minute; 12 with ``--mice``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STORED = ROOT / "benchmarks" / "peers" / "peers.json"

BENCHMARKS = str(Path(__file__).resolve().parent)
"""Where `survey_workload` is, for the child process."""

CHILD = """
import json, sys, time, warnings
sys.path.insert(0, BENCHMARKS)
from survey_workload import survey_spec
import bayesmi as bm
warnings.simplefilter("ignore")
workload, path = sys.argv[1], sys.argv[2]
survey = bm.simulate.simulate_school_survey(schools=280, pupils=100, seed=1).incomplete
if workload == "popmis":
    data = bm.datasets.load_popmis()
    spec = {"popular": bm.random_intercept("popular ~ sex + texp + (1 | school)")}
    settings = {"cluster": "school", "chains": 10, "iterations": 10}
elif workload == "survey4":
    data = survey.drop(columns=["climate", "repeated"])
    scores = ["math", "reading", "science", "motivation"]
    complete = "age + iq + sex + homework + size + public"
    spec = {
        name: bm.random_intercept(
            f"{name} ~ {' + '.join(o for o in scores if o != name)} + {complete} + (1 | school)"
        )
        for name in scores
    }
    settings = {"cluster": "school", "chains": 5, "iterations": 9, "steps": 1, "tune": 0}
else:
    data = survey
    spec = survey_spec(data)
    settings = {"cluster": "school", "chains": 5, "iterations": 5}
times = []
for seed in (1, 2, 3):
    start = time.perf_counter()
    bm.impute(data, spec, seed=seed, progressbar=False, **settings)
    times.append(time.perf_counter() - start)
if path != "-":
    survey.to_csv(path, index=False)
print(json.dumps(times))
"""


CHILD_SCRIPT = CHILD.replace("BENCHMARKS", repr(BENCHMARKS))


def bayesmi_seconds(workload: str, survey_csv: str = "-") -> list[float]:
    """Time `bm.impute` on a workload in a fresh process, three seeds; return the times."""
    command = [sys.executable, "-c", CHILD_SCRIPT, workload, survey_csv]
    completed = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def peer_seconds(survey_csv: str, with_mice: bool) -> tuple[dict, str]:
    """Return the peers' times: measured now where R is installed, else the stored ones."""
    stored = json.loads(STORED.read_text())
    if shutil.which("Rscript") is None:
        return stored, f"stored figures of {stored['date']} (Rscript is not on the PATH)"
    command = ["Rscript", str(ROOT / "benchmarks" / "peers" / "peers.R")]
    command += [str(ROOT / "bayesmi" / "datasets" / "popmis.csv"), survey_csv]
    completed = subprocess.run(command + ["--mice"] * with_mice, capture_output=True, text=True)
    if completed.returncode != 0:
        return stored, f"stored figures of {stored['date']} (R failed: {completed.stderr[-200:]})"
    measured = json.loads(completed.stdout.strip().splitlines()[-1])
    return stored | measured, f"measured now ({measured['versions']['R']})"


def main(arguments: list[str]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        survey_csv = str(Path(directory) / "survey.csv")
        bayesmi_seconds("popmis", survey_csv)  # fills the compile cache, writes the survey
        popmis = sorted(bayesmi_seconds("popmis"))[1]
        survey4 = sorted(bayesmi_seconds("survey4"))[1]
        whole = sorted(bayesmi_seconds("survey"))[1]
        peers, source = peer_seconds(survey_csv, "--mice" in arguments)
    print(f"peers: {source}")
    rows = [
        ("popmis random intercept, m = 10", popmis, "panImpute", peers["popmis_pan_seconds"]),
        ("survey, 4 continuous, 45 sweeps", survey4, "panImpute", peers["survey_pan_seconds"]),
        ("survey, whole workload, m = 5", whole, "mice", peers["survey_mice_seconds"]),
    ]
    print(f"{'workload':36} {'bayesmi s':>10} {'peer':>10} {'peer s':>9} {'ratio':>8}")
    for name, seconds, peer, theirs in rows:
        print(f"{name:36} {seconds:10.3f} {peer:>10} {theirs:9.3f} {seconds / theirs:8.4f}")


if __name__ == "__main__":
    main(sys.argv[1:])
