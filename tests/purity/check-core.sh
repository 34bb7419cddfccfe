#!/bin/sh
# ARCHITECTURE.md rule 1: core/ is pure. It makes no system calls, reads
# no clock, draws no randomness, allocates nothing itself and prints
# nothing; all of that comes in through the caller.
#
#   tests/purity/check-core.sh [DIR [ARCHIVE]]
#
# 1. A grep of DIR (default core) for the calls and headers that would
#    break the rule, each hit printed with its file and line.
# 2. With ARCHIVE (build/libdmm.a): every symbol the archive imports
#    (nm -u, minus what the archive itself defines) must be on the
#    allowlist below. A grep misses calls it has no name for (dprintf,
#    syscall, mmap, a macro that expands to one); the linker's view does
#    not.
# Exit 1 if either finds something.
set -u
dir=${1:-core}
archive=${2:-}

# What the core may import, and why. Each is a pure function of memory
# (no I/O, no clock, no allocation, no global state); `nm -A -u` on the
# archive shows who uses which.
#   memcpy memmove memset memcmp  copies and compares; the compiler also
#                                 emits them for struct assignment
#   strlen strchr strcmp strncmp  text parsing in core/fmt.c (addresses,
#                                 MN-IDs), name lookups in core/wire/mh*.c
#   strcat strncat                log text built in core/role/cmd.c
#   vsnprintf                     core/log.c formats a record into the
#                                 caller's buffer; the caller's sink writes
#   snprintf                      the names of the objects a log line is
#                                 about (role state files, peer.c), into
#                                 the caller's buffer
#   _GLOBAL_OFFSET_TABLE_         not a call: the linker's GOT, referenced
#                                 by position-independent code
# __NAME_chk is NAME with _FORTIFY_SOURCE's bounds check (some compilers
# default to it) and is allowed where NAME is.
allowed='memcpy memmove memset memcmp strlen strchr strcmp strncmp strcat strncat vsnprintf snprintf _GLOBAL_OFFSET_TABLE_'
status=0
calls='socket|bind|connect|listen|accept|send|sendto|sendmsg|sendmmsg|recv|recvfrom|recvmsg|recvmmsg|read|write|open|openat|close|ioctl|poll|epoll_wait|epoll_create1|select|fork|exec[lv]p?e?|system|popen|kill|signal|sigaction|sleep|usleep|nanosleep|clock_gettime|gettimeofday|time|clock|rand|random|srand|srandom|drand48|getrandom|arc4random|malloc|calloc|realloc|free|strdup|strndup|aligned_alloc|posix_memalign|printf|fprintf|vprintf|vfprintf|puts|fputs|putchar|fputc|fwrite|perror|fopen|getenv|setenv|exit|abort|assert'
headers='unistd\.h|sys/socket\.h|sys/time\.h|time\.h|sys/ioctl\.h|fcntl\.h|netinet/|arpa/|poll\.h|sys/epoll\.h|signal\.h|assert\.h|stdlib\.h'
# Strip comments and string literals, then look for "name(" not preceded
# by an identifier character, "." or "->" (struct members like
# log->fn( or alloc->free( are calls through the caller's hooks).
hits=$(find "$dir" -name '*.[ch]' | sort | while read -r f; do
	sed -E -e 's://.*$::' -e 's:"([^"\\]|\\.)*":"":g' "$f" |
		awk -v f="$f" '
		{ line = $0
		  while (1) {
		    if (inc) { e = index(line, "*/"); if (!e) { line = ""; break } line = substr(line, e + 2); inc = 0 }
		    s = index(line, "/*"); if (!s) break
		    out = out substr(line, 1, s - 1); line = substr(line, s + 2); inc = 1
		  }
		  print f ":" NR ":" out line; out = "" }'
done | grep -E "(^|[^A-Za-z0-9_.>])($calls)[[:space:]]*\(|#[[:space:]]*include[[:space:]]*<($headers)>")
if [ -n "$hits" ]; then
	echo "core purity: forbidden calls or headers in $dir (ARCHITECTURE.md rule 1):"
	echo "$hits"
	status=1
else
	echo "core purity: $dir is clean"
fi

[ -n "$archive" ] || exit $status
if [ ! -f "$archive" ]; then
	echo "core purity: $archive not found (build it first: make $archive)"
	exit 1
fi
command -v nm >/dev/null || {
	echo "core purity: nm missing (binutils)"
	exit 1
}
defined=$(nm -g --defined-only "$archive" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u)
# "member.o: U name": one line per importing member, so a hit names its file.
imports=$(nm -A -u "$archive" 2>/dev/null | awk '{ n = split($1, a, ":"); print a[n - 1], $NF }' | sort -u)
bad=$(printf '%s\n' "$imports" | while read -r member sym; do
	[ -n "$sym" ] || continue
	printf '%s\n' "$defined" | grep -qxF "$sym" && continue
	base=$sym
	case $sym in __*_chk) base=${sym#__} base=${base%_chk} ;; esac
	case " $allowed " in *" $base "*) continue ;; esac
	echo "  $member imports $sym"
done)
if [ -n "$bad" ]; then
	echo "core purity: $archive imports symbols outside the allowlist (tests/purity/check-core.sh):"
	echo "$bad"
	exit 1
fi
echo "core purity: $archive imports only allowed symbols ($(printf '%s\n' "$imports" | awk '{ print $2 }' |
	sort -u | grep -cvxF "$defined") distinct)"
exit $status
