#!/usr/bin/env bash
# Pid files that name one process for sure, sourced by cluster.sh, provisioner.sh and real-pods.sh.
#
# A pid file holds "PID START BOOT": the pid, the process's start time (field 22 of
# /proc/PID/stat, in clock ticks after boot) and the boot id. The start time is fixed when the
# process is forked and kept through exec, so the record is right from the fork on: no window in
# which a just-started component, still showing its parent's command line, looks like another
# process; and a pid reused later (or after a reboot) never matches.
#
# Record the pid of a background job at once: `setsid CMD... & pidfile_write FILE $!`. Bash forks
# the job and execs CMD in the child; setsid, env and nsenter (without --pid) exec in place too
# (setsid forks only in a process-group leader, and a background job of a shell without job
# control is none), so $! is the pid of the component itself.

# proc_stat PID: print "STATE START" of PID; fails if there is no such process.
proc_stat() {
	local stat fields
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	# Fields after "PID (COMM) ": the command name may hold spaces and parentheses.
	read -ra fields <<<"${stat##*) }"
	echo "${fields[0]} ${fields[19]}"
}

boot_id() { cat /proc/sys/kernel/random/boot_id; }

# pidfile_write FILE PID: record PID, which must still exist (a zombie counts: its parent has
# not waited for it yet). Fails, writing nothing, if PID is already gone.
pidfile_write() {
	local state start
	read -r state start < <(proc_stat "$2") || return 1
	echo "$2 $start $(boot_id)" >"$1.tmp" && mv -f "$1.tmp" "$1"
}

# pidfile_pid FILE: print the pid recorded in FILE if that very process still runs (a zombie,
# exited but not yet waited for, does not).
pidfile_pid() {
	local p start boot state now
	{ read -r p start boot <"$1"; } 2>/dev/null || return 1
	[[ -n $start && $boot == "$(boot_id)" ]] || return 1
	read -r state now < <(proc_stat "$p") || return 1
	[[ $now == "$start" && $state != Z ]] || return 1
	echo "$p"
}
