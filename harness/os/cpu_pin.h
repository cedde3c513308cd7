// One CPU for harvey's whole process tree while the machine has room. A run
// is strictly sequential: at any moment only one of the coordinator and its
// workers has work (a step is a message, the worker's op, a reply), so a
// run gains nothing from a second CPU, and loses a lot to it: every message
// wakes a process that the scheduler puts on the other (idle) CPU, and a
// cross-CPU wake-up in a VM costs an inter-processor interrupt and an idle
// exit on both sides (2-core development VM, fork op-level, 100 schedules
// of seed 1: 1.3-2.2 s -> 0.45 s wall when the CPU is free). Nothing here
// changes what runs: SQLite's locks never wait in the OS in harvey, and the
// coordinator decides the order of everything.
//
// On a crowded machine one CPU is worse: every wake-up of a pinned process
// queues behind that CPU's other tasks while another CPU may be free sooner
// (measured at load 5-11 on 2 cores: kills made fixed-pin campaigns 1.5x
// slower in wall time, and pct:3 lost 15% of its yields/s). So the pin is
// for a machine with room only: KeepOnOneCpu(), called at each schedule's
// start, pins this process (every thread) and its descendants to the CPU it
// is running on; at most once a second it sums the idle time of the allowed
// CPUs since the last look (/proc/stat): less than half a CPU idle, and the
// tree goes back to every allowed CPU (the scheduler's choice, as without
// this); three quarters of a CPU idle again, and it is pinned again.
// Children inherit the current state (fork workers, sandbox tools and their
// workers); a change reaches the running ones through one pass over /proc.
// Only CPUs of the affinity mask harvey was started with are used; with one
// such CPU, or HARVEY_PIN_CPU=0 in the environment, it does nothing. Linux
// only; a failure leaves the affinity as it is.
#pragma once

namespace harvey::harness {

void KeepOnOneCpu();

// For job `index` of `harvey fuzz|bench --jobs N` (harness/cli/jobs.h): the
// jobs together keep the CPUs busy, so the idle-time rule above would unpin
// every one of them, and two jobs pinned by it can land on the same CPU (it
// pins to the CPU a process happens to run on). So a job is pinned for good,
// with everything it starts, to the allowed CPU number `index` mod their
// count, and KeepOnOneCpu() then does nothing in it. Measured (fork, default
// crash mix, 2 jobs on 2 cores, load ~2.7 from neighbours): 148 schedules/s
// with KeepOnOneCpu per job, 137 with no pin, 143-165 with one CPU per job.
// Nothing with HARVEY_PIN_CPU=0 or fewer than two allowed CPUs.
void PinJobToCpu(int index);

}  // namespace harvey::harness
