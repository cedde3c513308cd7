#!/usr/bin/env python3
"""check_probe.py JSON COUNT AGENTS [HOST...]: a clean `harvey probe --json`.

JSON: a file whose last line starting with "{" is the probe's summary. It
must say COUNT schedules, 0 findings, no power loss, kills that ran, and
AGENTS agents, each described (host, kernel, fs_type, sqlite, version, dir);
with HOSTs, the agents' hosts must be exactly those (in any order). Prints
one summary line; exits 1 with the failed assertion otherwise. Shared by
tests/agent/*.sh and tests/deploy/*.sh.
"""
import json, sys

j = json.loads([l for l in open(sys.argv[1]) if l.startswith("{")][-1])
count, agents, hosts = int(sys.argv[2]), int(sys.argv[3]), sorted(sys.argv[4:])
assert j["schedules"] == count, j
assert j["findings"] == 0, j
assert j["power_losses"] == 0, j
assert j["crashes"] > 0, ("no kills ran", j)
assert len(j["agents"]) == agents, j
for a in j["agents"]:
    for k in ("host", "kernel", "fs_type", "sqlite", "version", "dir"):
        assert a[k], (k, a)
if hosts:
    seen = sorted(a["host"] for a in j["agents"])
    assert seen == hosts, ("agents not served from where they should be", seen, hosts)
print("probe: %d schedules, %d crashes (kills), 0 findings, %.1f schedules/s; agents: %s" % (
    j["schedules"], j["crashes"], j["schedules_per_s"],
    ", ".join("%s on %s (%s)" % (a["address"], a["host"], a["fs_type"]) for a in j["agents"])))
