"""``import kcore`` stays light: optional heavy packages are imported only when used."""

import json
import subprocess
import sys

HEAVY = ("h5py", "tensorboardX", "wandb", "matplotlib")

_PROBE = """
import json, sys, time
t = time.perf_counter()
import kcore
import kcore.ops
elapsed = time.perf_counter() - t
print(json.dumps({"seconds": elapsed, "modules": sorted(sys.modules)}))
"""


def test_import_kcore_does_not_import_heavy_packages():
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                         check=True, env=None)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    loaded = [m for m in report["modules"] if m.split(".")[0] in HEAVY]
    # Informational only: timing belongs in benchmarks, not in assertions.
    print(f"import kcore: {report['seconds'] * 1000:.1f} ms")
    assert not loaded, f"import kcore pulled in {sorted({m.split('.')[0] for m in loaded})}"
