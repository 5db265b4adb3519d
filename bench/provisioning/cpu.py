#!/usr/bin/env python3
"""Runs a command and appends to RESULT one line: its wall seconds, the
CPU seconds of the command and every descendant it waited for (the
client's own CPU, from wait4's rusage, which /proc/PID/stat's utime,
stime, cutime and cstime also hold), and the machine's CPU seconds outside
the client over the same interval (busy time in /proc/stat minus the
client's). The second figure is what the routers (sshd, vtysh, the FRR
daemons) and the kernel spent, plus whatever else runs on the machine:
read it with the load average.

  cpu.py RESULT CMD [ARG...]      exits with CMD's status
"""
import os
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def busy():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (guest is inside user)
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / TICK


def main():
    result, cmd = sys.argv[1], sys.argv[2:]
    b0, t0 = busy(), time.monotonic()
    p = subprocess.Popen(cmd)
    _, status, ru = os.wait4(p.pid, 0)
    t1, b1 = time.monotonic(), busy()
    client = ru.ru_utime + ru.ru_stime
    with open(result, "a") as f:
        f.write(f"{t1 - t0:.3f} {client:.3f} {max(0.0, b1 - b0 - client):.3f}\n")
    sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8)


if __name__ == "__main__":
    main()
