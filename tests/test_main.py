import re

from bayesmi.__main__ import main


def test_demo_prints_each_imputation_and_the_rhat(capsys):
    main(["demo", "--chains", "2", "--iterations", "8", "--seed", "3"])
    out = capsys.readouterr().out
    rows = re.findall(r"^\s+(\d+)\s+(\d\.\d{3})\s+(\d\.\d{3})$", out, flags=re.MULTILINE)
    assert [int(k) for k, _, _ in rows] == [1, 2]
    for _, imputed, completed in rows:
        assert 4.9 < float(imputed) < 5.6
        assert 5.2 < float(completed) < 5.5
    assert re.search(r"R-hat of the chain means .* over the last 4 iterations: \d\.\d{3}", out)
