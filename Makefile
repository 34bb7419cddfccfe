# dmm — Distributed Mobility Management for IPv6
#
#   make          build libdmm, dmmctl (and later dmmd, dmm-emu)
#   make check    install test dependencies (as root) and run every test
#   make demo     run the emulator scenario of RFC 7429 Figure 4
#   make fuzz     run the fuzzers for FUZZ_SECONDS each
#   make bench    print benchmark figures

CC      ?= cc
CLANG   ?= clang
BUILD   ?= build
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 $(WARN) -Iinclude -MMD -MP
APPFLAGS := -D_GNU_SOURCE
SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SECONDS ?= 60
SMOKE_SECONDS ?= 6
CHECK_FAILED := $(BUILD)/check-failed

CORE_SRC := $(sort $(wildcard core/*.c core/*/*.c))
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
CORE_SAN_OBJ := $(CORE_SRC:%.c=$(BUILD)/san/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/san/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
CLI_SRC  := $(sort $(wildcard cli/*.c))
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
DP_SRC   := $(sort $(filter-out %.bpf.c,$(wildcard dataplane/*.c dataplane/*/*.c)))
IO_SRC   := $(sort $(wildcard io/*.c))
DAEMON_SRC := $(sort $(wildcard daemon/*.c))
DP_OBJ   := $(DP_SRC:%.c=$(BUILD)/%.o)
IO_OBJ   := $(IO_SRC:%.c=$(BUILD)/%.o)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/%.o)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/%)
EMU_SRC  := $(sort $(wildcard emu/*.c))
EMU_OBJ  := $(EMU_SRC:%.c=$(BUILD)/%.o)

.PHONY: all check lab netconf-lab fho-lab dp-test deps unit purity structure daemon-test docs-test fuzz-smoke fuzz oracle cli-test emu-test yang-test bench demo format format-check clean interop \
	scale-test soak-test bench-scale bench-scale-vm bench-dp vm-check vm-check-quick
all: $(BUILD)/libdmm.a $(BUILD)/dmmctl $(BUILD)/dmm-emu $(if $(DAEMON_SRC),$(BUILD)/dmmd) \
	$(if $(wildcard tests/dp/dp-tool.c),$(BUILD)/dp-tool $(BUILD)/dp-install) $(BUILD)/lab-traffic $(BUILD)/udp-blast \
	$(BUILD)/dmm-netconfd $(BUILD)/mcast-traffic

$(BUILD)/core/%.o: core/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/san/core/%.o: core/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -c $< -o $@

$(BUILD)/libdmm.a: $(CORE_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(BUILD)/san/libdmm.a: $(CORE_SAN_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(BUILD)/cli/%.o: cli/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(APPFLAGS) -c $< -o $@

# dataplane/, io/, daemon/, tests/dp/: Linux user space, outside the pure core.
$(BUILD)/dataplane/%.o: dataplane/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(APPFLAGS) -c $< -o $@

# The eBPF data plane's program: built with clang for the BPF target and
# embedded in the binaries as a libbpf skeleton (no file to find at run time).
BPF_CFLAGS := -O2 -g -target bpf -Wall -Werror -I/usr/include/$(shell $(CC) -dumpmachine)
$(BUILD)/dataplane/bpf/dmm.bpf.o: dataplane/bpf/dmm.bpf.c dataplane/bpf/maps.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/dataplane/bpf/dmm.skel.h: $(BUILD)/dataplane/bpf/dmm.bpf.o
	bpftool gen skeleton $< name dmm_bpf >$@.tmp && mv $@.tmp $@

$(BUILD)/dataplane/bpf/bpf.o: CFLAGS += -I$(BUILD)/dataplane/bpf
$(BUILD)/dataplane/bpf/bpf.o: $(BUILD)/dataplane/bpf/dmm.skel.h

$(BUILD)/io/%.o: io/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(APPFLAGS) -c $< -o $@

$(BUILD)/daemon/%.o: daemon/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(APPFLAGS) -c $< -o $@

# yang/dmm.yang built into dmmd (daemon/yangcfg.c), so that it needs no file of the source tree.
$(BUILD)/daemon/dmm_yang.h: yang/dmm.yang
	@mkdir -p $(@D)
	{ echo 'static const unsigned char dmm_yang_text[] = {'; xxd -i <$<; echo ', 0x00};'; } >$@.tmp && mv $@.tmp $@

$(BUILD)/daemon/yangcfg.o: CFLAGS += -I$(BUILD)/daemon
$(BUILD)/daemon/yangcfg.o: $(BUILD)/daemon/dmm_yang.h

$(BUILD)/dmmd: $(DAEMON_OBJ) $(IO_OBJ) $(DP_OBJ) $(BUILD)/libdmm.a
	$(CC) $(CFLAGS) -o $@ $^ -lmnl -lnftables -ljansson -lcrypto -lbpf -lmicrohttpd -lyang -lcares -lpthread

# dmm-netconfd: NETCONF over SSH for dmmd (libnetconf2, libyang), through dmmd's control socket.
NETCONF_SRC := $(sort $(wildcard netconf/*.c))
NETCONF_OBJ := $(NETCONF_SRC:%.c=$(BUILD)/%.o)
$(BUILD)/netconf/%.o: netconf/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(APPFLAGS) -c $< -o $@

$(BUILD)/dmm-netconfd: $(NETCONF_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ -lnetconf2 -lyang -ljansson

$(BUILD)/dp-tool: tests/dp/dp-tool.c $(DP_OBJ) $(BUILD)/libdmm.a
	$(CC) $(CFLAGS) $(APPFLAGS) -o $@ $(filter %.c %.o %.a,$^) -lmnl -lnftables -lbpf

$(BUILD)/dp-install: tests/dp/dp-install.c $(DP_OBJ) $(BUILD)/libdmm.a
	$(CC) $(CFLAGS) $(APPFLAGS) -o $@ $(filter %.c %.o %.a,$^) -lmnl -lnftables -lbpf

# Reading the kernel data plane's counters at 10^3 to 10^6 intents (bench/kernel-counters.sh, root).
$(BUILD)/kdp-counters: bench/kdp-counters.c $(DP_OBJ) $(BUILD)/libdmm.a
	$(CC) $(CFLAGS) $(APPFLAGS) -o $@ $(filter %.c %.o %.a,$^) -lmnl -lnftables

$(BUILD)/dmmctl: $(CLI_OBJ) $(BUILD)/libdmm.a
	$(CC) $(CFLAGS) -o $@ $^ -ljansson -lpcap

$(BUILD)/san/test_%: tests/unit/test_%.c $(BUILD)/san/libdmm.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(APPFLAGS) $(SAN) -Itests/unit -o $@ $< $(BUILD)/san/libdmm.a

# The user data plane's intent table, with its one source file (no TUN device, no system call).
$(BUILD)/san/test_user_table: tests/unit/test_user_table.c dataplane/user/table.c $(BUILD)/san/libdmm.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(APPFLAGS) $(SAN) -Itests/unit -o $@ $(filter %.c %.a,$^)

# The user data plane's buffer, with its table (no TUN device, no system call).
$(BUILD)/san/test_user_buffer: tests/unit/test_user_buffer.c dataplane/user/buffer.c dataplane/user/table.c dataplane/neigh.c dataplane/nl.c $(BUILD)/san/libdmm.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(APPFLAGS) $(SAN) -Itests/unit -o $@ $(filter %.c %.a,$^) -lmnl

# The data planes' table of the host on each access link (no system call).
$(BUILD)/san/test_neigh_hosts: tests/unit/test_neigh_hosts.c dataplane/neigh.c dataplane/nl.c $(BUILD)/san/libdmm.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(APPFLAGS) $(SAN) -Itests/unit -o $@ $(filter %.c %.a,$^) -lmnl

# The kernel and bpf data planes' TUN buffer, on a socket pair instead of a TUN device.
$(BUILD)/san/test_hold: tests/unit/test_hold.c dataplane/hold.c dataplane/neigh.c dataplane/nl.c $(BUILD)/san/libdmm.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(APPFLAGS) $(SAN) -Itests/unit -o $@ $(filter %.c %.a,$^) -lmnl

# The user data plane's checksums, segmentation and merging, with their one source file.
$(BUILD)/san/test_user_offload: tests/unit/test_user_offload.c dataplane/user/offload.c $(BUILD)/san/libdmm.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(APPFLAGS) $(SAN) -Itests/unit -o $@ $(filter %.c %.a,$^)

# dmmd's authentication state (daemon/auth.c) with libcrypto, no socket.
$(BUILD)/san/test_auth: tests/unit/test_auth.c daemon/auth.c $(BUILD)/san/libdmm.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(APPFLAGS) $(SAN) -Itests/unit -o $@ $(filter %.c %.a,$^) -lcrypto

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(CORE_SRC)
	@mkdir -p $(@D)
	$(CLANG) -std=c11 -g -O1 -Iinclude -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ $< $(CORE_SRC)

# The authentication path: the core codec with dmmd's MAC code (daemon/auth.c, libcrypto).
$(BUILD)/fuzz/fuzz_auth: tests/fuzz/fuzz_auth.c daemon/auth.c $(CORE_SRC)
	@mkdir -p $(@D)
	$(CLANG) -std=c11 -g -O1 -Iinclude -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ $< daemon/auth.c $(CORE_SRC) -lcrypto

$(BUILD)/bench_%: bench/bench_%.c $(BUILD)/libdmm.a
	$(CC) $(CFLAGS) $(APPFLAGS) -O2 -o $@ $(filter %.c %.a,$^)

# The cost of RFC 4285 authentication on the LMA's path, with dmmd's MAC code (libcrypto).
$(BUILD)/bench_auth: bench/bench_auth.c daemon/auth.c $(BUILD)/libdmm.a
	$(CC) $(CFLAGS) $(APPFLAGS) -O2 -o $@ $(filter %.c %.a,$^) -lcrypto

# The user data plane's intent table, without a TUN device (no system calls).
$(BUILD)/bench_user_table: bench/bench_user_table.c $(BUILD)/dataplane/user/table.o $(BUILD)/libdmm.a
	$(CC) $(CFLAGS) $(APPFLAGS) -O2 -o $@ $(filter %.c %.o %.a,$^)

# The kernel data plane's bookkeeping, without netlink (no system calls).
$(BUILD)/bench_kernel_table: bench/bench_kernel_table.c $(BUILD)/dataplane/kernel/ktable.o $(BUILD)/libdmm.a
	$(CC) $(CFLAGS) $(APPFLAGS) -O2 -o $@ $(filter %.c %.o %.a,$^)

deps:
	@tests/deps.sh check

unit: $(UNIT_BIN)
	@tests/run-unit.sh $(UNIT_BIN)

# The grep of core/ and the symbols libdmm.a imports against an allowlist.
purity: $(BUILD)/libdmm.a
	@tests/purity/check-core.sh core $(BUILD)/libdmm.a
	@tests/purity/test-check-core.sh

# The shape of the code (STYLE.md): no function longer than a screen, and
# one-way layers: no file of core/role, daemon/ or dataplane/user calls a
# file that calls it back.
structure: all
	@tests/structure/test-structure.sh
	@tests/structure/fnlen.sh core daemon dataplane emu io cli
	@tests/structure/cycles.sh $(BUILD)/core/role/*.o
	@tests/structure/cycles.sh $(BUILD)/daemon/*.o
	@tests/structure/cycles.sh $(wildcard $(BUILD)/dataplane/user/*.o) $(BUILD)/dataplane/dataplane.o
	@tests/structure/cycles.sh $(wildcard $(BUILD)/dataplane/kernel/*.o) $(BUILD)/dataplane/hold.o $(BUILD)/dataplane/nl.o
	@tests/structure/cycles.sh $(wildcard $(BUILD)/dataplane/bpf/*.o)

fuzz-smoke: $(FUZZ_BIN)
	@tests/fuzz/run.sh $(SMOKE_SECONDS) $(FUZZ_BIN)

fuzz: $(FUZZ_BIN)
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

oracle: all $(BUILD)/mh-send
	@tests/oracle/run.sh
	@tests/oracle/auth-golden.sh

cli-test: all
	@tests/cli/test-dmmctl.sh

# dmmd in private namespaces (root): a CMD and a MAAR; the restart counter
# across restarts (RFC 5847); a MAG with NAI MN-IDs at an NAI-only LMA;
# per-peer heartbeat off; dmmctl's rendering of show stats; RFC 4285
# authentication between a MAG and an LMA (forgeries, replay, key rollover);
# /metrics (promtool), usage records and the event stream (docs/operations.md).
# dmmd's resolver for LMA discovery (RFC 6097) on its loop, against dnsmasq on ::1.
$(BUILD)/test_lmadisc: tests/daemon/test_lmadisc.c daemon/lmadisc.c io/loop.c io/clock.c $(BUILD)/libdmm.a
	$(CC) $(CFLAGS) $(APPFLAGS) -o $@ $(filter %.c %.a,$^) -lcares -ljansson

daemon-test: all $(BUILD)/mh-send $(BUILD)/san/test_interop $(BUILD)/test_lmadisc
	@tests/daemon/lmadisc.sh $(BUILD)/test_lmadisc
	@tests/daemon/render.sh
	@tests/daemon/local.sh
	@tests/daemon/restart.sh
	@tests/daemon/nai.sh
	@tests/daemon/heartbeat.sh
	@tests/daemon/kernel-status.sh
	@tests/daemon/auth.sh
	@tests/daemon/ops.sh

# Every dmmd config example in the docs is valid and lets a host register.
docs-test: all
	@tests/docs/run.sh

# The YANG model (yang/dmm.yang) as dmmd's config validator, and every config
# of docs/ and tests/ through it; a refused reload keeps the running config (root).
yang-test: $(BUILD)/dmmd $(BUILD)/dmmctl
	@tests/yang/run.sh $(BUILD)/dmmd
	@tests/yang/reload.sh

$(BUILD)/mh-load: tools/mh-load.c $(BUILD)/libdmm.a
	$(CC) $(CFLAGS) $(APPFLAGS) -o $@ tools/mh-load.c $(BUILD)/libdmm.a -lcrypto

# With daemon/auth.c for --auth (RFC 4285 signing as dmmd does it).
$(BUILD)/mh-send: tools/mh-send.c daemon/auth.c $(BUILD)/libdmm.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(APPFLAGS) -o $@ tools/mh-send.c daemon/auth.c $(BUILD)/libdmm.a -lcrypto

# The interop vectors (tests/unit/test_interop.c) sent to a dmmd LMA over a real socket (root).
interop: all $(BUILD)/mh-send $(BUILD)/san/test_interop
	@tests/interop/run.sh

# dmmd LMA with 10^4 bindings per data plane, driven by mh-load (root): every
# MN registered, every PBA status 0, forwarding for a sample, handoff, nothing left.
scale-test: all $(BUILD)/mh-load
	@tests/scale/scale-test.sh

# 10^5 bindings refreshed for 2 minutes (root): no PBU unanswered, no binding
# lost, dmmd's RSS flat (SOAK_MNS, SOAK_SECONDS, SOAK_DATAPLANE).
soak-test: all $(BUILD)/mh-load
	@tests/scale/soak.sh

# Registrations, refreshes and handoffs per second, install latency and memory
# per binding, for SIZES x DATAPLANES, beside a UDP echo (root; docs/scale.md).
bench-scale: all $(BUILD)/mh-load
	@bench/scale.sh

# bench-scale in a qemu machine on Debian's stock kernel (root; tests/vm/run.sh,
# software emulation): the kernel data plane's rows where this kernel lacks
# SRv6, beside the user data plane's in the same machine (SIZES, DATAPLANES,
# VM_MEM, PHASE_LIMIT: bench/scale-vm.sh; docs/scale.md, "make bench-scale-vm").
bench-scale-vm: all $(BUILD)/mh-load
	@tests/deps.sh vm
	@bench/scale-vm.sh

$(BUILD)/lab-traffic: tools/lab-traffic.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(APPFLAGS) -o $@ $<

# A numbered multicast group stream and its receiver (tests/lab/mcast.sh).
$(BUILD)/mcast-traffic: tools/mcast-traffic.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(APPFLAGS) -o $@ $<

$(BUILD)/udp-blast: tools/udp-blast.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(APPFLAGS) -o $@ $<

# Plain forwarding and each data plane backend over host -> MAG -> LMA -> CN
# namespaces (root): small-packet rate, TCP bulk, ping RTT, ratios to plain.
bench-dp: all
	@bench/dp.sh

# The data plane backends in namespaces (root): kernel, user, and the two mixed set-ups.
dp-test: all
	@tests/dp/run.sh

# The namespace lab (root): dmmd on RFC 7429 Figure 4, three data plane set-ups.
lab: all
	@tests/lab/run.sh

# NETCONF in the lab (root): Debian's ncclient against dmm-netconfd on LMA1.
netconf-lab: all
	@tests/lab/netconf.sh

# RFC 5949 fast handover in the lab (root), kernel, user and mixed; also part of make lab.
fho-lab: all
	@rc=0; for dp in kernel user mixed bpf mixed-bpf; do tests/lab/fho.sh $$dp || rc=1; done; exit $$rc

# The tests that need kernel features this kernel may lack (SRv6, MRT6,
# ip6tnl: tests/kfeat.sh), in a qemu machine on Debian's stock kernel (root;
# tests/vm/run.sh, no KVM needed). A test is a script and its arguments
# joined by ':'; make vm-check VM_TESTS='...' runs others.
VM_TESTS ?= tests/dp/kernel.sh tests/dp/batch.sh tests/dp/mixed.sh tests/dp/mixed-bpf.sh:bpf:kernel \
	tests/dp/buffer.sh:kernel tests/lab/mcast.sh:kernel:direct tests/daemon/kernel-status.sh tests/lab/pmip.sh:kernel \
	tests/lab/dmm.sh:kernel:proxy tests/scale/scale-test.sh:kernel
# make check's part (tests/vm/check.sh: only on a kernel that lacks SRv6 or MRT6):
# the kernel data plane, the mixed pairs with a kernel end (kernel/user both
# ways, bpf MAG/kernel LMA; user/bpf runs on the host), dmmd's status of it,
# the PMIPv6 lab, the scale test's 10^4 bindings. Not the kernel buffer (buffer.sh kernel, in VM_TESTS): its
# order across a detach at 1000 probes/s is a timing the emulation missed once.
VM_TESTS_CHECK := tests/dp/kernel.sh tests/dp/batch.sh tests/dp/mixed.sh tests/dp/mixed-bpf.sh:bpf:kernel \
	tests/daemon/kernel-status.sh tests/lab/pmip.sh:kernel tests/scale/scale-test.sh:kernel
VM_TESTS_QUICK := tests/dp/kernel.sh tests/dp/batch.sh tests/daemon/kernel-status.sh tests/lab/mcast.sh:kernel:direct
vm-check: all $(BUILD)/mh-send $(BUILD)/san/test_interop
	@tests/deps.sh vm
	@tests/vm/run.sh -t 3600 -- tests/vm/suite.sh $(VM_TESTS)

# A shorter list (about 4 minutes): the kernel data plane, dmmd's status of
# it, and MRT6 multicast.
vm-check-quick: all $(BUILD)/mh-send $(BUILD)/san/test_interop
	@tests/deps.sh vm
	@tests/vm/run.sh -t 900 -- tests/vm/suite.sh $(VM_TESTS_QUICK)

bench: $(BENCH_BIN)
	@for b in $(BENCH_BIN); do $$b; done

# What did not run for want of a kernel feature (tests/kfeat.sh), listed at the end.
check: export DMM_NOTRUN = $(abspath $(BUILD))/check-notrun
check: deps
	@tests/kernel-features.sh
	@# build everything the suites run first, on every core; the suites run one by one
	@$(MAKE) --no-print-directory -j$$(nproc) all $(UNIT_BIN) $(FUZZ_BIN) $(BUILD)/mh-send $(BUILD)/mh-load \
		$(BUILD)/san/test_interop
	@$(MAKE) --no-print-directory purity
	@$(MAKE) --no-print-directory structure
	@$(MAKE) --no-print-directory format-check
	@# every suite runs even when an earlier one failed; the failed ones are named at the end
	@rm -f $(CHECK_FAILED) $$DMM_NOTRUN
	@tests/step.sh unit $(MAKE) --no-print-directory unit || echo unit >>$(CHECK_FAILED)
	@tests/step.sh dp-test $(MAKE) --no-print-directory dp-test || echo dp-test >>$(CHECK_FAILED)
	@tests/step.sh lab $(MAKE) --no-print-directory lab || echo lab >>$(CHECK_FAILED)
	@tests/step.sh netconf-lab $(MAKE) --no-print-directory netconf-lab || echo netconf-lab >>$(CHECK_FAILED)
	@tests/step.sh cli-test $(MAKE) --no-print-directory cli-test || echo cli-test >>$(CHECK_FAILED)
	@tests/step.sh daemon-test $(MAKE) --no-print-directory daemon-test || echo daemon-test >>$(CHECK_FAILED)
	@tests/step.sh docs-test $(MAKE) --no-print-directory docs-test || echo docs-test >>$(CHECK_FAILED)
	@tests/step.sh interop $(MAKE) --no-print-directory interop || echo interop >>$(CHECK_FAILED)
	@tests/step.sh scale-test $(MAKE) --no-print-directory scale-test || echo scale-test >>$(CHECK_FAILED)
	@tests/step.sh soak-test $(MAKE) --no-print-directory soak-test || echo soak-test >>$(CHECK_FAILED)
	@tests/step.sh vm-kernel tests/vm/check.sh $(VM_TESTS_CHECK) || echo vm-kernel >>$(CHECK_FAILED)
	@# the emulator, the model and the fuzz smoke need no namespace: side by side
	@tests/step.sh emu+yang+fuzz $(MAKE) --no-print-directory -j3 --output-sync=target emu-test yang-test fuzz-smoke \
		|| echo emu-test/yang-test/fuzz-smoke >>$(CHECK_FAILED)
	@tests/step.sh oracle $(MAKE) --no-print-directory oracle || echo oracle >>$(CHECK_FAILED)
	@if [ -s $$DMM_NOTRUN ]; then echo "make check: not run on this kernel, for want of a feature (tests/kfeat.sh;" \
		"vm-kernel ran $(VM_TESTS_CHECK) on Debian's stock kernel in a qemu machine):"; \
		sed 's/^/  /' $$DMM_NOTRUN; fi
	@if [ -s $(CHECK_FAILED) ]; then echo "make check: FAILED:" $$(cat $(CHECK_FAILED)); exit 1; fi
	@if [ -s $$DMM_NOTRUN ]; then echo "make check: every suite passed; $$(wc -l <$$DMM_NOTRUN) tests above did not run on this kernel"; \
		else echo "make check: all suites passed"; fi

$(BUILD)/emu/%.o: emu/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(APPFLAGS) -c $< -o $@

$(BUILD)/dmm-emu: $(EMU_OBJ) $(BUILD)/libdmm.a
	$(CC) $(CFLAGS) -o $@ $^ -ljansson -lm

emu-test: $(BUILD)/dmm-emu
	@tests/emu/run.sh $(BUILD)/dmm-emu
	@tests/emu/fho.sh $(BUILD)/dmm-emu
	@tests/emu/fho-dmm.sh $(BUILD)/dmm-emu
	@tests/emu/mcast.sh $(BUILD)/dmm-emu
	@tests/emu/gap2.sh $(BUILD)/dmm-emu
	@tests/emu/svg.sh $(BUILD)/dmm-emu

# The build dependencies first (installed as root, else named): a fresh
# system with only a compiler lacks jansson.h.
demo:
	@tests/deps.sh demo
	@$(MAKE) --no-print-directory -s $(BUILD)/dmm-emu
	@$(BUILD)/dmm-emu --handovers emu/scenarios/fig4.json
	@echo
	@$(BUILD)/dmm-emu --compare --svg $(BUILD)/demo-svg emu/scenarios/dmm-demo.json
	@echo "pictures of the comparison (SVG, open in a browser): $(BUILD)/demo-svg/"

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# The tree follows .clang-format (STYLE.md).
format-check:
	@out=$$(clang-format --dry-run $$(git ls-files '*.c' '*.h') 2>&1 | grep -c 'warning:'); \
	if [ "$$out" -ne 0 ]; then clang-format --dry-run $$(git ls-files '*.c' '*.h') 2>&1 | grep 'warning:' | \
		cut -d: -f1 | sort | uniq -c; echo "format-check: $$out lines differ from .clang-format (make format)"; exit 1; fi; \
	echo "format-check: the tree follows .clang-format"

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
