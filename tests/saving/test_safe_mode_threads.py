"""Safe mode is per thread / async task (issue #14 §2).

``load_model(trusted, safe_mode=False)`` in one thread must not let ``model_from_json``
of an untrusted config in another thread run the config's Lambda bytecode. The trusted
load is held inside its unsafe window by a layer whose ``from_config`` waits on a Barrier,
so the untrusted load runs while the other thread is in ``safe_mode=False``.
"""

import asyncio
import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import kcore
from kcore.backend.serialization import SafeModeScope, in_safe_mode


def _marker_lambda_json(marker):
    """An untrusted model: its Lambda writes ``marker`` when the model is built."""
    fn = lambda x, p=str(marker): (open(p, "w").close(), x)[1]  # noqa: E731
    model = kcore.Sequential([kcore.Input((2,)), kcore.layers.Lambda(fn, name="payload")])
    os.remove(marker)  # building the original ran it once, here in the test
    return model.to_json()


class WaitInFromConfig(kcore.layers.Layer):
    """Pauses inside deserialization (inside the caller's safe-mode window)."""

    barrier = None

    @classmethod
    def from_config(cls, config):
        cls.barrier.wait(timeout=30)  # 1: the other thread may start its untrusted load
        cls.barrier.wait(timeout=30)  # 2: ... and has finished it
        return super().from_config(config)


def test_unsafe_load_in_one_thread_does_not_unlock_another(tmp_path):
    trusted = tmp_path / "trusted.h5"
    kcore.Sequential([kcore.Input((2,)), WaitInFromConfig(name="wait")]).save(trusted)
    marker = tmp_path / "payload_ran"
    untrusted = _marker_lambda_json(marker)
    WaitInFromConfig.barrier = threading.Barrier(2)
    results = {}

    def trusted_loader():
        try:
            results["trusted"] = kcore.models.load_model(
                trusted, safe_mode=False, compile=False,
                custom_objects={"WaitInFromConfig": WaitInFromConfig})
        except BaseException as e:  # pragma: no cover - reported below
            results["trusted"] = e
            WaitInFromConfig.barrier.abort()

    def untrusted_loader():
        WaitInFromConfig.barrier.wait(timeout=30)
        results["seen_safe_mode"] = in_safe_mode()
        try:
            results["untrusted"] = kcore.models.model_from_json(untrusted)
        except BaseException as e:
            results["untrusted"] = e
        finally:
            WaitInFromConfig.barrier.wait(timeout=30)

    threads = [threading.Thread(target=trusted_loader), threading.Thread(target=untrusted_loader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert isinstance(results["trusted"], kcore.Model), results["trusted"]
    assert results["seen_safe_mode"] is True
    assert isinstance(results["untrusted"], ValueError)
    assert "safe_mode=False" in str(results["untrusted"])
    assert not marker.exists()


def test_scope_in_main_thread_is_not_inherited_by_new_threads():
    seen = []
    with SafeModeScope(False):
        assert not in_safe_mode()
        t = threading.Thread(target=lambda: seen.append(in_safe_mode()))
        t.start()
        t.join()
    assert seen == [True] and in_safe_mode()


def test_async_tasks_have_their_own_safe_mode():
    async def unsafe_task(started, release):
        with SafeModeScope(False):
            started.set()
            await release.wait()
            return in_safe_mode()

    async def other_task(started, release):
        await started.wait()
        value = in_safe_mode()
        release.set()
        return value

    async def main():
        started, release = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(unsafe_task(started, release), other_task(started, release))

    assert asyncio.run(main()) == [False, True]


def test_untrusted_config_in_many_threads_never_runs(tmp_path):
    """4 threads: two inside safe_mode=False windows, two loading untrusted configs."""
    marker = tmp_path / "payload_ran"
    untrusted = _marker_lambda_json(marker)
    barrier = threading.Barrier(4)
    errors = []

    def unsafe_window():
        with SafeModeScope(False):
            barrier.wait(timeout=30)
            barrier.wait(timeout=30)

    def untrusted_load():
        barrier.wait(timeout=30)
        try:
            kcore.models.model_from_json(untrusted)
        except ValueError as e:
            errors.append(str(e))
        finally:
            barrier.wait(timeout=30)

    threads = [threading.Thread(target=f) for f in
               (unsafe_window, untrusted_load, unsafe_window, untrusted_load)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(errors) == 2 and all("safe_mode=False" in e for e in errors)
    assert not marker.exists()


def test_enable_unsafe_deserialization_is_process_wide(tmp_path):
    """The explicit opt-out reaches every thread (run in a fresh interpreter: it is global)."""
    marker = tmp_path / "ran"
    code = f"""
import threading, kcore, json
fn = lambda x, p={str(marker)!r}: (open(p, "w").close(), x)[1]
cfg = kcore.Sequential([kcore.Input((2,)), kcore.layers.Lambda(fn)]).to_json()
import os; os.remove({str(marker)!r})
kcore.config.enable_unsafe_deserialization()
t = threading.Thread(target=lambda: kcore.models.model_from_json(cfg))
t.start(); t.join()
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120,
                   env={**os.environ, "KCORE_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert marker.exists()


def test_lambda_loads_inside_an_unsafe_scope(tmp_path):
    marker = tmp_path / "ran"
    with SafeModeScope(False):
        model = kcore.models.model_from_json(_marker_lambda_json(marker))
    assert marker.exists()
    np.testing.assert_allclose(model.predict(np.ones((1, 2)), verbose=0), np.ones((1, 2)))
    assert in_safe_mode()


@pytest.mark.parametrize("entry", ["from_config", "deserialize_keras_object"])
def test_lambda_refused_through_every_entry_point(tmp_path, entry):
    marker = tmp_path / "ran"
    config = json.loads(_marker_lambda_json(marker))
    with pytest.raises(ValueError, match=r"safe_mode=False.*enable_unsafe_deserialization"):
        if entry == "from_config":
            kcore.Sequential.from_config(config["config"])
        else:
            kcore.saving.deserialize_keras_object(config)
    assert not marker.exists()
