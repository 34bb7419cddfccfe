#!/bin/sh
# Shows that the purity check catches what it must: a copy of a clean
# file with one forbidden call added fails the check, comments and
# strings that mention the names do not, and calls through the caller's
# hooks (log->fn(...), alloc->free(...)) are allowed.
set -u
here=$(dirname "$0")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
pass=0
fail=0
expect() { # expect <0|1> <name> <code>
	mkdir -p "$work/$2"
	printf '%s\n' "$3" >"$work/$2/x.c"
	if "$here/check-core.sh" "$work/$2" >/dev/null; then got=0; else got=1; fi
	if [ "$got" = "$1" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "purity self-test $2: expected $1, got $got" >&2; fi
}
expect 1 malloc 'void *f(void) { return malloc(4); }'
expect 1 clock 'int f(void) { struct timespec t; return clock_gettime(1, &t); }'
expect 1 printf 'void f(void) { printf("x"); }'
expect 1 socket 'int f(void) { return socket(10, 3, 135); }'
expect 1 rand 'int f(void) { return rand(); }'
expect 1 header '#include <sys/socket.h>'
expect 1 abort 'void f(void) { abort(); }'
expect 0 comment '/* malloc(3) and printf("") are forbidden here */ int f(void) { return 0; }'
expect 0 string 'const char *s = "call malloc( here";'
expect 0 hook 'void f(struct a *a, void *p) { a->free(a->ctx, p); a->fn(1); }'
expect 0 suffix 'int lifetime(int x); int f(void) { return lifetime(3) + my_malloc(1); }'
echo "purity self-test: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
