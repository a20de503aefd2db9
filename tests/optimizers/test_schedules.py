"""Learning-rate schedules against their formulas, written out by hand."""

import math

import numpy as np
import pytest

from kcore.backend.tensor import Variable
from kcore.optimizers import schedules as S

STEPS = [0, 1, 3, 7, 10, 15, 20, 31, 64, 100, 250]


def cosine_restarts(step, lr, first, t_mul, m_mul, alpha):
    # walk the periods one by one
    start, length, i = 0.0, first, 0
    while step >= start + length:
        start += length
        length *= t_mul
        i += 1
    fraction = (step - start) / length
    return lr * ((1 - alpha) * 0.5 * m_mul ** i * (1 + math.cos(math.pi * fraction)) + alpha)


CASES = [
    ("exponential", S.ExponentialDecay(0.1, 10, 0.5), lambda s: 0.1 * 0.5 ** (s / 10)),
    ("exponential_staircase", S.ExponentialDecay(0.1, 10, 0.5, staircase=True),
     lambda s: 0.1 * 0.5 ** (s // 10)),
    ("piecewise", S.PiecewiseConstantDecay([3, 20], [1.0, 0.5, 0.1]),
     lambda s: 1.0 if s <= 3 else (0.5 if s <= 20 else 0.1)),
    ("inverse_time", S.InverseTimeDecay(0.1, 10, 0.5), lambda s: 0.1 / (1 + 0.5 * s / 10)),
    ("inverse_time_staircase", S.InverseTimeDecay(0.1, 10, 0.5, staircase=True),
     lambda s: 0.1 / (1 + 0.5 * (s // 10))),
    ("polynomial", S.PolynomialDecay(0.1, 50, end_learning_rate=0.01, power=2.0),
     lambda s: (0.1 - 0.01) * (1 - min(s, 50) / 50) ** 2 + 0.01),
    ("polynomial_cycle", S.PolynomialDecay(0.1, 30, end_learning_rate=0.001, power=1.0, cycle=True),
     lambda s: (0.1 - 0.001) * (1 - s / (30 * max(1, math.ceil(s / 30)))) + 0.001),
    ("cosine", S.CosineDecay(0.1, 64), lambda s: 0.1 * 0.5 * (1 + math.cos(math.pi * min(s, 64) / 64))),
    ("cosine_alpha", S.CosineDecay(0.1, 64, alpha=0.2),
     lambda s: 0.1 * (0.8 * 0.5 * (1 + math.cos(math.pi * min(s, 64) / 64)) + 0.2)),
    ("cosine_warmup", S.CosineDecay(0.0, 64, alpha=0.1, warmup_target=0.5, warmup_steps=10),
     lambda s: 0.5 * s / 10 if s < 10 else
     0.5 * (0.9 * 0.5 * (1 + math.cos(math.pi * (min(s, 74) - 10) / 64)) + 0.1)),
    ("cosine_restarts", S.CosineDecayRestarts(0.1, 10, t_mul=2.0, m_mul=0.5, alpha=0.01),
     lambda s: cosine_restarts(s, 0.1, 10, 2.0, 0.5, 0.01)),
    ("cosine_restarts_tmul1", S.CosineDecayRestarts(0.1, 10, t_mul=1.0, m_mul=0.9),
     lambda s: cosine_restarts(s, 0.1, 10, 1.0, 0.9, 0.0)),
]


@pytest.mark.parametrize("name, schedule, formula", CASES, ids=[c[0] for c in CASES])
def test_schedule_matches_formula(name, schedule, formula):
    got = [float(schedule(s)) for s in STEPS]
    np.testing.assert_allclose(got, [formula(s) for s in STEPS], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name, schedule, formula", CASES, ids=[c[0] for c in CASES])
def test_schedule_config_round_trip(name, schedule, formula):
    config = S.serialize(schedule)
    assert config["module"] == "keras.optimizers.schedules"
    restored = S.deserialize(config)
    assert type(restored) is type(schedule) and restored.get_config() == schedule.get_config()
    assert float(restored(7)) == float(schedule(7))


def test_schedule_accepts_the_iterations_variable_and_returns_float32():
    step = Variable(np.array(20), dtype="int64")
    out = S.ExponentialDecay(1.0, 10, 0.5)(step)
    assert out.dtype == "float32" and float(out) == 0.25


def test_default_names_and_validation():
    assert S.PiecewiseConstantDecay([1], [1.0, 0.5]).name == "PiecewiseConstant"
    assert S.CosineDecayRestarts(0.1, 10).name == "SGDRDecay"
    assert S.PolynomialDecay(0.1, 10).get_config()["end_learning_rate"] == 0.0001
    with pytest.raises(ValueError, match="boundaries should be 1 less"):
        S.PiecewiseConstantDecay([1, 2], [1.0, 0.5])
