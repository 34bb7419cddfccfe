#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/step.sh NAME COMMAND...: runs one suite of `make check` and prints
# how long it took, so a CI log shows where the time goes. Exits with the
# suite's own status.
name=$1
shift
start=$(date +%s)
"$@"
rc=$?
echo "check: $name took $(($(date +%s) - start)) s (exit $rc)"
exit $rc
