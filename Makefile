# ALMOS in Go. `make run` boots the kernel under QEMU; `make test` runs the
# host tests and the boot tests. Both install what they need first.
# make run and make debug print the kernel's exit status when QEMU ends;
# make itself can only exit with 2 on a failure, so build/run (the command
# they run) is the one that exits with the status.

SHELL       := /bin/bash
.SHELLFLAGS := -o pipefail -c

GO      ?= go
SMP     ?= 1
MEM     ?= 256
APPEND  ?=
IMAGE   := build/kernel.elf
RUN     := build/run
KENV    := GOOS=linux GOARCH=mipsle GOMIPS=softfloat CGO_ENABLED=0

# The packages linked into the kernel image, vetted for its target too.
KERNEL_PKGS := ./kernel/... ./boot/... ./arch/... ./sched/... ./mm/... ./dqdt/... ./cluster/...
# Packages whose code runs concurrently on several cores: tested with -race.
RACE_PKGS := ./sched/... ./mm/... ./dqdt/... ./cluster/... ./kernel/wait/... ./kernel/spin/... ./kernel/krand/... ./kernel/linux/...
# Portable packages also run as mipsle binaries under qemu-mipsel, to check
# them on the kernel's 32-bit target (layouts, atomics).
TARGET_PKGS := ./arch/mips32/... ./sched/... ./mm/... ./kernel/wait/... ./kernel/klog/... ./boot/cmdline/...

.PHONY: ramsweep all kernel run debug test test-host test-target test-boot vet soak deps debug-deps figures clean

all: kernel

kernel:
	$(GO) run ./tools/run -build-only -o $(IMAGE)

# tools/run refuses SMP, MEM and APPEND values QEMU's malta would not take or
# would change silently, before building anything.
run: deps
	@mkdir -p build
	$(GO) build -o $(RUN) ./tools/run
	$(RUN) -smp $(SMP) -m $(MEM) -append "$(APPEND)"

# QEMU waits for gdb-multiarch; tools/run prints the command that attaches it.
debug: deps debug-deps
	@mkdir -p build
	$(GO) build -o $(RUN) ./tools/run
	$(RUN) -debug -smp $(SMP) -m $(MEM) -append "$(APPEND)"

test: deps vet test-host test-target test-boot

vet:
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(KENV) $(GO) vet $(KERNEL_PKGS)

# Everything but the boot tests, which test-boot runs verbosely.
test-host:
	$(GO) test -timeout 60m $$($(GO) list ./... | grep -v /tools/boottest)
	$(GO) test -race $(RACE_PKGS)

test-target:
	GOOS=linux GOARCH=mipsle GOMIPS=softfloat $(GO) test -exec qemu-mipsel $(TARGET_PKGS)

# Boot tests: build the image, boot it under QEMU, read the console and the
# exit status (a hang fails at its timeout). The full log is kept in build/.
test-boot:
	@mkdir -p build
	$(GO) test -v -count=1 -timeout 60m -skip '^TestSoak$$' ./tools/boottest/ 2>&1 | tee build/boottest.log | grep -E '^ *(--- |PASS|FAIL|ok |panic)'

soak: deps
	@mkdir -p build
	ALMOS_SOAK=1 $(GO) test -v -count=1 -timeout 6h -run '^TestSoak$$' ./tools/boottest/ 2>&1 | tee build/soak.log | grep -E '(boot [0-9]+:|soak:|^(--- |PASS|FAIL|ok ))'

# The suite at every RAM size from 32 MiB to 2 GiB (not in CI: about 60 boots).
ramsweep: deps
	@mkdir -p build
	ALMOS_RAMSWEEP=1 $(GO) test -v -count=1 -timeout 6h -parallel 2 -run '^TestRAMSweep$$' ./tools/boottest/ 2>&1 | tee build/ramsweep.log | grep -E '^ *(--- |PASS|FAIL|ok )'

figures: deps
	$(GO) run ./tools/figures

# install installs, from Debian's packages, those of the command:package
# pairs in $(1) whose command is missing.
define install
	@missing=""; \
	for p in $(1); do command -v $${p%%:*} >/dev/null || missing="$$missing $${p#*:}"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y $$missing; \
	fi
endef

# QEMU and the tools the tests use, when missing.
deps:
	$(call install,qemu-system-mipsel:qemu-system-mips qemu-mipsel:qemu-user)

# The debugger make debug waits for, when missing.
debug-deps:
	$(call install,gdb-multiarch:gdb-multiarch)

clean:
	rm -rf build
