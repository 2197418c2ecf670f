#!/usr/bin/env python3
"""Runs a command and prints the CPU time every process on this machine used meanwhile, by program.

    bench/cpu_by_process.py -- wrk ...

When every server shares the same cores, this tells where the cost of one request goes
(divide by the requests served), and it stays true while other work runs beside the benchmark.
"""
import argparse
import collections
import os
import subprocess
import sys

TICKS = os.sysconf("SC_CLK_TCK")


def snapshot():
    """CPU ticks (user + system) and program name of every live process and of its reaped children."""
    usage = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv0 = f.read().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        ticks = int(fields[11]) + int(fields[12])
        program = os.path.basename(argv0.split(":")[0].split()[0]) if argv0 else name
        usage[pid] = (program or name, ticks)
    return usage


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command

    before = snapshot()
    status = subprocess.call(command)
    after = snapshot()

    totals = collections.Counter()
    children = os.times()
    totals[os.path.basename(command[0])] = round((children.children_user + children.children_system) * TICKS)
    for pid, (program, ticks) in after.items():
        totals[program] += ticks - before.get(pid, (program, 0))[1]
    # Processes that started and ended during the run are not counted: the servers live longer than it.
    total = sum(v for v in totals.values() if v > 0)
    print(f"{'program':<24}{'cpu s':>8}{'share':>8}", file=sys.stderr)
    for program, ticks in totals.most_common():
        if ticks <= 0:
            break
        seconds = ticks / TICKS
        print(f"{program:<24}{seconds:>8.2f}{100 * ticks / total:>7.1f}%", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
