"""`benchmarks.bench_phases` times the same step on both sides, phase by phase."""
import math

import numpy as np
import pytest

from benchmarks import bench_mlp, bench_phases
from benchmarks.numpy_baselines import MLPBaseline


def test_ours_mlp_takes_its_layers_and_weights_from_the_baseline():
    baseline = MLPBaseline((5, 3, 2), seed=4)
    model = bench_mlp.ours_mlp(baseline)
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    for p, q in zip(model.parameters(), baseline.params):
        np.testing.assert_array_equal(p.data, q)


def test_phases_time_every_phase_of_the_same_computation_on_both_sides():
    result = bench_phases.phases(3, bench_phases.TINY, steps=40, block=10, warmup=2)
    floor_loss, our_loss = result["first losses"]
    assert our_loss == pytest.approx(floor_loss, rel=1e-5)
    for side in ("floor", "autodiff"):
        assert list(result[side]) == list(bench_phases.PHASES)
        assert all(math.isfinite(s) and s > 0 for s in result[side].values())
    table = bench_phases.format_phases(result, "tiny").splitlines()
    assert [row.split("|")[1].strip() for row in table[2:]] == [*bench_phases.PHASES,
                                                                "sum of medians"]
    floor_total = sum(result["floor"].values()) * 1e6
    assert float(table[-1].split("|")[2]) == pytest.approx(floor_total, abs=0.06)

