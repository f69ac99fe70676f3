# ALMOS in Go. `make run` boots the kernel under QEMU; `make test` runs the
# host tests and the boot tests. Both install what they need first.

SHELL       := /bin/bash
.SHELLFLAGS := -o pipefail -c

GO      ?= go
SMP     ?= 1
MEM     ?= 256
APPEND  ?=
IMAGE   := build/kernel.elf
KENV    := GOOS=linux GOARCH=mipsle GOMIPS=softfloat CGO_ENABLED=0

# The packages linked into the kernel image, vetted for its target too.
KERNEL_PKGS := ./kernel/... ./boot/... ./arch/... ./sched/... ./mm/... ./dqdt/... ./cluster/...
# Packages whose code runs concurrently on several cores: tested with -race.
RACE_PKGS := ./sched/... ./mm/... ./dqdt/... ./cluster/... ./kernel/wait/... ./kernel/spin/... ./kernel/krand/... ./kernel/linux/...
# Portable packages also run as mipsle binaries under qemu-mipsel, to check
# them on the kernel's 32-bit target (layouts, atomics).
TARGET_PKGS := ./arch/mips32/... ./sched/... ./mm/... ./kernel/wait/... ./kernel/klog/... ./boot/cmdline/...

.PHONY: all kernel run debug test test-host test-target test-boot vet soak deps figures clean

all: kernel

kernel:
	$(GO) run ./tools/run -build-only -o $(IMAGE)

run: deps
	$(GO) run ./tools/run -smp $(SMP) -m $(MEM) -append "$(APPEND)"

debug: deps
	$(GO) run ./tools/run -debug -smp $(SMP) -m $(MEM) -append "$(APPEND)"

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

figures: deps
	$(GO) run ./tools/figures

# QEMU and the tools the tests use, from Debian's packages, when missing.
deps:
	@missing=""; \
	command -v qemu-system-mipsel >/dev/null || missing="$$missing qemu-system-mips"; \
	command -v qemu-mipsel >/dev/null || missing="$$missing qemu-user"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y $$missing; \
	fi

clean:
	rm -rf build
