#!/bin/sh
# Shows that the purity check catches what it must: a copy of a clean
# file with one forbidden call added fails the check, comments and
# strings that mention the names do not, and calls through the caller's
# hooks (log->fn(...), alloc->free(...)) are allowed. For the import
# allowlist: an archive whose object calls dprintf, syscall or mmap (names
# the grep does not know) fails, one calling only memcpy and vsnprintf
# passes, and a call between two members of the archive is no import.
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

# expect_ar <0|1> <name> <code>...: each code one object of an archive
expect_ar() {
	want=$1 name=$2
	shift 2
	mkdir -p "$work/ar-$name/src" "$work/ar-$name/empty"
	i=0
	for code; do
		i=$((i + 1))
		printf '%s\n' "$code" >"$work/ar-$name/src/m$i.c"
		${CC:-cc} -std=c11 -O2 -c "$work/ar-$name/src/m$i.c" -o "$work/ar-$name/m$i.o" 2>/dev/null || {
			fail=$((fail + 1))
			echo "purity self-test $name: m$i.c does not compile" >&2
			return
		}
	done
	ar rcs "$work/ar-$name/lib.a" "$work/ar-$name"/m*.o
	if "$here/check-core.sh" "$work/ar-$name/empty" "$work/ar-$name/lib.a" >"$work/ar-$name/out"; then got=0; else got=1; fi
	if [ "$got" = "$want" ]; then pass=$((pass + 1)); else
		fail=$((fail + 1))
		echo "purity self-test $name: expected $want, got $got" >&2
		cat "$work/ar-$name/out" >&2
	fi
}
proto='typedef __SIZE_TYPE__ size_t; typedef __builtin_va_list va_list;'
expect_ar 1 dprintf "int dprintf(int, const char *, ...); int f(void) { return dprintf(2, \"x\"); }"
expect_ar 1 syscall "long syscall(long, ...); long f(void) { return syscall(39); }"
expect_ar 1 mmap "$proto void *mmap(void *, size_t, int, int, int, long); void *f(void) { return mmap(0, 4096, 3, 34, -1, 0); }"
expect_ar 0 allowed "$proto void *memcpy(void *, const void *, size_t); int vsnprintf(char *, size_t, const char *, va_list);
void *f(void *d, const void *s, size_t n) { return memcpy(d, s, n); }
int g(char *b, size_t n, const char *fmt, va_list ap) { return vsnprintf(b, n, fmt, ap); }"
expect_ar 0 internal 'int g(int); int f(int x) { return g(x) + 1; }' 'int g(int x) { return x * 3; }'
expect_ar 1 named "int dprintf(int, const char *, ...); int f(void) { return dprintf(2, \"x\"); }" 'int g(int x) { return x; }'
if [ "$fail" -eq 0 ] && ! "$here/check-core.sh" "$work/ar-named/empty" "$work/ar-named/lib.a" | grep -q 'm1.o imports dprintf'; then
	fail=$((fail + 1))
	echo "purity self-test named: the member that imports dprintf is not named" >&2
else
	pass=$((pass + 1))
fi
echo "purity self-test: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
