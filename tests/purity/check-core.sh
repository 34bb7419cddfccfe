#!/bin/sh
# ARCHITECTURE.md rule 1: core/ is pure. It makes no system calls, reads
# no clock, draws no randomness, allocates nothing itself and prints
# nothing; all of that comes in through the caller. This check greps the
# given tree for the calls and headers that would break the rule and
# prints each hit with its file and line. Exit 1 if any.
set -u
dir=${1:-core}
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
	exit 1
fi
echo "core purity: $dir is clean"
