# ALMOS in Go. `make run` boots the kernel under QEMU; `make test` runs the
# host tests and the boot tests. Both install what they need first.

GO      ?= go
SMP     ?= 1
MEM     ?= 256
APPEND  ?=
IMAGE   := build/kernel.elf
KENV    := GOOS=linux GOARCH=mipsle GOMIPS=softfloat CGO_ENABLED=0

# Packages whose code runs concurrently on several cores: tested with -race.
RACE_PKGS := ./sched/... ./mm/... ./dqdt/... ./cluster/... ./kernel/wait/... ./kernel/spin/... ./kernel/krand/...
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
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(KENV) $(GO) vet ./kernel/... ./boot/... ./arch/... ./sched/... ./mm/... ./dqdt/... ./cluster/...

test-host:
	$(GO) test ./... -skip '^TestSoak$$' -timeout 60m
	$(GO) test -race $(RACE_PKGS)

test-target:
	GOOS=linux GOARCH=mipsle GOMIPS=softfloat $(GO) test -exec qemu-mipsel $(TARGET_PKGS)

# The boot tests also run in test-host (they are ordinary Go tests); this
# target runs them alone, verbosely.
test-boot:
	$(GO) test -v -count=1 -timeout 60m ./tools/boottest/ -skip '^TestSoak$$' 2>&1 | grep -E '^(=== RUN|--- |PASS|FAIL|ok)' || true
	@$(GO) test -count=1 -timeout 60m ./tools/boottest/ -skip '^TestSoak$$' >/dev/null 2>&1 || { echo "boot tests failed"; exit 1; }

soak: deps
	ALMOS_SOAK=1 $(GO) test -v -count=1 -timeout 6h -run '^TestSoak$$' ./tools/boottest/

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
