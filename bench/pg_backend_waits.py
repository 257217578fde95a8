#!/usr/bin/env python3
"""Prints when a PostgreSQL backend waited for a CPU (issue 23, the pg2
`/status` tail).

Every 0.2 s reads /proc/PID/schedstat of each child of the cluster's
postmaster; when a backend's run-queue wait (the second field: time spent
runnable but not running) grew by at least THRESHOLD_MS since the last
sample, prints it with the process state, the CPU it got and its time
slices. A backend that was runnable ("R") for most of the interval and ran
for 0-1 ms was starved of CPU, not waiting for a lock or the network (those
show as sleeping, "S", and add no run-queue wait).

    bench/pg_backend_waits.py /tmp/pg-wt-x 8 &   # beside a bench run
    bench/pg_backend_waits.py CLUSTER_DIR SECONDS [THRESHOLD_MS]

Linux only; reads /proc, changes nothing.
"""
import os
import sys
import time

INTERVAL = 0.2


def children(pid):
    """The pids whose parent is pid."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def sample(pid):
    """(state, cpu ns, run-queue wait ns, slices) of pid, or None if gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
        with open(f"/proc/{pid}/schedstat") as schedstat:
            cpu, wait, slices = map(int, schedstat.read().split())
    except OSError:
        return None
    return state, cpu, wait, slices


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cluster, seconds = sys.argv[1], float(sys.argv[2])
    threshold_ms = float(sys.argv[3]) if len(sys.argv) > 3 else 100.0
    with open(os.path.join(cluster, "data", "postmaster.pid")) as pidfile:
        postmaster = int(pidfile.readline())
    end = time.time() + seconds
    last = {}
    while time.time() < end:
        now = time.time()
        for pid in children(postmaster):
            got = sample(pid)
            if got is None:
                continue
            state, cpu, wait, slices = got
            if pid in last:
                at, cpu0, wait0, slices0 = last[pid]
                waited_ms = (wait - wait0) / 1e6
                if waited_ms >= threshold_ms:
                    print(
                        f"{time.strftime('%T')} backend {pid} state {state}: waited for a CPU "
                        f"{waited_ms:.0f} ms of the last {(now - at) * 1000:.0f} ms "
                        f"(ran {(cpu - cpu0) / 1e6:.1f} ms, {slices - slices0} slices)",
                        flush=True,
                    )
            last[pid] = (now, cpu, wait, slices)
        time.sleep(INTERVAL)


if __name__ == "__main__":
    main()
