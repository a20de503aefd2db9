"""``import kcore`` tunes glibc's malloc so that repeated step temporaries stop page-faulting."""

import os
import subprocess
import sys

import pytest

from kcore.backend import allocator

GLIBC = allocator.glibc_version() is not None

# A "training step" whose 1 MiB temporaries are allocated and freed every time. With glibc's
# defaults the freed top of the heap goes back to the system and every step faults again.
_PROBE = """
import resource, numpy as np, kcore
from kcore.backend import allocator
x = np.ones((256, 1024), np.float32)
w = np.ones((1024, 1024), np.float32)
def step():
    h = x @ w
    g = np.maximum(h, 0) * 2.0
    return float(g[0, 0])
for _ in range(3):
    step()
r0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(50):
    step()
print(allocator.status, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - r0)
"""


def _probe(**env):
    full = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "KCORE_MALLOPT"}
    full.update(env)
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                         check=True, env=full)
    status, faults = out.stdout.split()
    return status, int(faults)


@pytest.mark.skipif(not GLIBC, reason="mallopt exists only in glibc")
def test_import_tunes_malloc_and_steps_stop_faulting():
    status, faults = _probe()
    assert status == "tuned"
    # 50 steps x 3 MiB of temporaries would be ~38k faults untuned; a few stray ones are fine.
    assert faults < 1000, f"{faults} page faults in 50 steps after tuning"


@pytest.mark.skipif(not GLIBC, reason="mallopt exists only in glibc")
def test_opt_out_leaves_glibc_defaults():
    status, faults = _probe(KCORE_MALLOPT="0")
    assert status == "disabled"
    assert faults > 5000, "glibc's defaults were expected to fault on every step"


def test_glibc_settings_of_the_user_win():
    assert allocator.tune({"MALLOC_TRIM_THRESHOLD_": "1000"}) == "user settings"
    assert allocator.tune({"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=1000"}) == "user settings"
    assert allocator.tune({"KCORE_MALLOPT": "off"}) == "disabled"


def test_tune_reports_what_it_did():
    expected = "tuned" if GLIBC else "not glibc"
    assert allocator.tune({}) == expected
    assert allocator.status == expected
