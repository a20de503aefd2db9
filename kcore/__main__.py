"""Command line: ``python -m kcore plugins`` (also installed as ``kcore plugins``).

Lists the installed plugin distributions (those with entry points in
``kcore.plugins``, ``kcore.callbacks`` or ``kcore.metrics``), their versions
and entry points, the hooks each loaded ``kcore.plugins`` plugin implements,
and the plugins that failed to load. Callback and metric modules are imported
to check that they load (their heavy dependencies are imported lazily, only
when used); one that fails is listed under the load failures too.
"""

import argparse
import sys

import pluggy

from kcore.hooks import get_plugin_manager, registry
from kcore.hooks.manager import PLUGINS_GROUP, plugin_entry_points


def _plugins_report(out):
    pm = get_plugin_manager()
    dists = {}

    def entry(dist, version):
        return dists.setdefault((dist or "(unknown distribution)", version), {})

    for ep in plugin_entry_points():
        dist = ep.dist.metadata["Name"] if ep.dist else ""
        entry(dist, ep.dist.version if ep.dist else "").setdefault(PLUGINS_GROUP, []).append(ep)
    problems = {}
    for group, infos in registry.list_installed().items():
        for info in infos:
            entry(info.distribution, info.version).setdefault(group, []).append(info)
            problem = registry.import_problem(info)
            if problem is not None:
                problems[(group, info.name)] = problem

    print(f"kcore plugins (pluggy {_pluggy_version()})", file=out)
    if not dists:
        print("  no plugin distributions installed", file=out)
    for (dist, version), groups in sorted(dists.items()):
        print(f"{dist} {version}", file=out)
        for group in (PLUGINS_GROUP, registry.CALLBACKS_GROUP, registry.METRICS_GROUP):
            for item in groups.get(group, []):
                status = ("  [import failed]" if (group, item.name) in problems
                          else _status(pm, group, item.name))
                print(f"  {group}: {item.name} = {item.value}{status}", file=out)
    extra = [p for p in pm.loaded_plugins if not p.distribution]
    if extra:
        print("loaded from KCORE_PLUGINS:", file=out)
        for loaded in extra:
            print(f"  {loaded.name}{_status(pm, PLUGINS_GROUP, loaded.name)}", file=out)
    if pm.load_failures or problems:
        print("load failures:", file=out)
        for failure in pm.load_failures:
            print(f"  {failure.describe()}", file=out)
        for problem in problems.values():
            print(f"  {problem}", file=out)
    return 1 if pm.load_failures or problems else 0


def _pluggy_version():
    try:
        return pluggy.__version__
    except Exception:  # its version comes from metadata, which may be absent
        return "unknown version"


def _status(pm, group, name):
    if group != PLUGINS_GROUP:
        return ""
    if pm.is_blocked(name):
        return "  [disabled]"
    plugin = pm.get_plugin(name)
    if plugin is None:
        return "  [not loaded]"
    hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or [])
    line = f"  [hooks: {', '.join(hooks) if hooks else 'none'}]"
    status = getattr(plugin, "kcore_plugin_status", None) if "kcore_plugin_status" in hooks else None
    if status is not None:
        text = status()
        if text:
            line += f"\n    {text}"
    return line


def main(argv=None):
    """Entry point of ``python -m kcore`` and of the ``kcore`` console script."""
    parser = argparse.ArgumentParser(prog="kcore", description="kcore command line tools.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "plugins", help="list installed plugin distributions, entry points, hooks and failures")
    args = parser.parse_args(argv)
    if args.command == "plugins":
        return _plugins_report(sys.stdout)
    return 2


if __name__ == "__main__":
    sys.exit(main())
