#!/bin/sh
# The structure checks can fail: a function one line too long and two
# files that call each other must be caught, and their fixed forms pass.
set -u
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
expect() { # expect STATUS DESCRIPTION CMD...
	want=$1
	what=$2
	shift 2
	if "$@" >"$tmp/out" 2>&1; then got=0; else got=1; fi
	if [ "$got" = "$want" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "structure self-test: FAIL: $what"; cat "$tmp/out"; fi
}
# A function of n lines: signature, "{", n - 3 statements, "}".
fn() { # fn NAME N
	printf 'int %s(void)\n{\n' "$1"
	i=0
	while [ $i -lt $(($2 - 3)) ]; do echo "	(void)0;"; i=$((i + 1)); done
	printf '}\n\n'
}
mkdir -p "$tmp/long" "$tmp/ok"
{ echo 'static int f(void);'; fn f 101; } >"$tmp/long/a.c"
{ fn g 100; echo 'static const int t[] = {'; echo '	1,'; echo '};'; } >"$tmp/ok/a.c"
expect 1 "a 101-line function is refused" "$here/fnlen.sh" "$tmp/long"
expect 0 "a 100-line function passes" "$here/fnlen.sh" "$tmp/ok"
"$here/fnlen.sh" "$tmp/long" | grep -q 'a.c:2: f: 101 lines' && pass=$((pass + 1)) ||
	{ fail=$((fail + 1)); echo "structure self-test: FAIL: fnlen names file, line and function"; }
# a.c calls b.c and b.c calls a.c: a cycle. c.c calls a.c only: one way.
printf 'int b(void);\nint a(void)\n{\n\treturn b();\n}\n' >"$tmp/a.c"
printf 'int a(void);\nint b(void)\n{\n\treturn a();\n}\n' >"$tmp/b.c"
printf 'int a(void);\nint c(void);\nint c(void)\n{\n\treturn a();\n}\n' >"$tmp/c.c"
printf 'int d(void);\nint d(void)\n{\n\treturn 0;\n}\n' >"$tmp/d.c"
for f in a b c d; do cc -c -o "$tmp/$f.o" "$tmp/$f.c" || exit 1; done
expect 1 "two files calling each other are refused" "$here/cycles.sh" "$tmp/a.o" "$tmp/b.o"
expect 0 "a one-way call passes" "$here/cycles.sh" "$tmp/c.o" "$tmp/a.o" "$tmp/d.o"
echo "structure self-test: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
