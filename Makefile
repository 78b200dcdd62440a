# parasim build.  `make demo` and `make check` are the two commands a newcomer
# needs: both install missing Debian packages first (see the deps rule).
#
# Layout: every non-main .c under sim/ model/ devices/ kernel/ workloads/
# traces/ goes into build/libparasim.a; sim/main.c links it into
# build/parasim.  Each tests/<folder>/check_<module>.c is its own Check
# runner (tests/check_main.h); `make check` runs them all.

.DEFAULT_GOAL := all
PREFIX    ?= /usr/local
BUILD     ?= build
CC        ?= cc
OPT       ?= -O2
PKGS      := libcjson check zlib sdl2
DEB_PKGS  := libsdl2-dev libcjson-dev check zlib1g-dev pkg-config

WARN      := -Wall -Wextra -Werror
CFLAGS    ?= $(OPT) -g
ALL_CFLAGS = -std=c11 $(WARN) -D_POSIX_C_SOURCE=200809L -I. $(CFLAGS) $(DEP_CFLAGS) -MMD -MP
LDLIBS_LIB = $(DEP_LIBS) $(SDL_LIBS) -lm -pthread

# ---------------------------------------------------------------- deps
# build/deps.mk is (re)made before anything else: it installs what
# pkg-config cannot find (sudo when not root) and records the flags.
ifeq ($(filter clean,$(MAKECMDGOALS)),)
-include $(BUILD)/deps.mk
-include $(BUILD)/sdl.mk
endif

$(BUILD)/deps.mk:
	@mkdir -p $(BUILD)
	@if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists $(PKGS); then \
	  echo "parasim: installing missing Debian packages: $(DEB_PKGS)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$SUDO apt-get install -y -q $(DEB_PKGS) >$(BUILD)/apt.log 2>&1 || \
	  { $$SUDO apt-get update -q >>$(BUILD)/apt.log 2>&1 && \
	    $$SUDO apt-get install -y -q $(DEB_PKGS) >>$(BUILD)/apt.log 2>&1; } || \
	  { echo "parasim: package installation failed, see $(BUILD)/apt.log" >&2; exit 1; }; \
	fi
	@pkg-config --exists $(PKGS) || { echo "parasim: pkg-config still cannot find: $(PKGS)" >&2; exit 1; }
	@{ echo "DEP_CFLAGS := $$(pkg-config --cflags libcjson zlib)"; \
	   echo "DEP_LIBS := $$(pkg-config --libs libcjson zlib)"; \
	   echo "CHECK_CFLAGS := $$(pkg-config --cflags check)"; \
	   echo "CHECK_LIBS := $$(pkg-config --libs check)"; } > $@.tmp && mv $@.tmp $@

# SDL2 (the interactive viewer, sim/view_sdl.c) in a file of its own, so a
# build tree made before the viewer existed gets it without a full rebuild.
# Only view_sdl.o is compiled with its flags; every link gets its library.
$(BUILD)/sdl.mk: | $(BUILD)/deps.mk
	@{ echo "SDL_CFLAGS := $$(pkg-config --cflags sdl2)"; \
	   echo "SDL_LIBS := $$(pkg-config --libs sdl2)"; } > $@.tmp && mv $@.tmp $@

# ---------------------------------------------------------------- sources
LIB_DIRS  := sim model devices kernel workloads traces
LIB_SRCS  := $(filter-out sim/main.c,$(wildcard $(addsuffix /*.c,$(LIB_DIRS)) $(addsuffix /*/*.c,$(LIB_DIRS))))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_SRCS := $(wildcard tests/*/check_*.c)
TEST_BINS := $(TEST_SRCS:%.c=$(BUILD)/%)
BENCH_SRCS:= $(wildcard tests/bench/bench_*.c)
BENCH_BINS:= $(BENCH_SRCS:%.c=$(BUILD)/%)
PARASIM   := $(BUILD)/parasim

.PHONY: all demo check test-bins bench sanitize install clean deps kernel-freestanding timeline-png
all: $(PARASIM)
deps: $(BUILD)/deps.mk

$(BUILD)/obj/%.o: %.c $(BUILD)/deps.mk
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(FILE_CFLAGS) -c $< -o $@

# Simulated memory copies are bounded by the page size, which makes GCC
# expand memcpy into `rep movsq`: slow to start.  Copies up to 64 B go
# through devices/bytes.h's fixed moves; longer ones are faster in glibc's
# memcpy than in `rep movsq` (bench_nic's device path: 3.5 -> 4.7 M pkts/s).
$(BUILD)/obj/devices/mem.o: FILE_CFLAGS := -fno-builtin-memcpy -fno-builtin-memset
$(BUILD)/obj/sim/view_sdl.o: FILE_CFLAGS = $(SDL_CFLAGS)
$(BUILD)/obj/sim/view_sdl.o: $(BUILD)/sdl.mk

# kernel/ is built freestanding, against its own headers and the
# compiler's freestanding ones only (-nostdinc: a stray #include of a
# simulator, device or libc header fails to compile).  limits.h is not
# usable that way with GCC (it chains to the C library's): use stdint.h.
CC_INC    := $(shell $(CC) -print-file-name=include)
KERNEL_CFLAGS = -std=c11 $(WARN) -ffreestanding -nostdinc -isystem $(CC_INC) $(CFLAGS) -MMD -MP
$(BUILD)/obj/kernel/%.o: kernel/%.c $(BUILD)/deps.mk
	@mkdir -p $(dir $@)
	$(CC) $(KERNEL_CFLAGS) -c $< -o $@

# The proof that the kernel is a kernel: compiled with -ffreestanding
# -nostdlib -fno-builtin and linked into one relocatable object whose only
# undefined symbols are the HAL's (and the four functions GCC may emit
# calls to).  `make check` runs it.
KERNEL_SRCS := $(wildcard kernel/*.c)
KFS_OBJS  := $(KERNEL_SRCS:%.c=$(BUILD)/kfs/%.o)
KFS_ALLOWED := ^(hal_[a-z0-9_]+|memcpy|memmove|memset|memcmp)$$
$(BUILD)/kfs/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) -ffreestanding -nostdlib -fno-builtin -nostdinc -isystem $(CC_INC) -O2 -MMD -MP -c $< -o $@
$(BUILD)/kernel-freestanding.o: $(KFS_OBJS)
	$(CC) -nostdlib -r $^ -o $@
kernel-freestanding: $(if $(KFS_OBJS),$(BUILD)/kernel-freestanding.o)
	@[ -n "$(KFS_OBJS)" ] || { echo "kernel-freestanding: no kernel sources"; exit 0; }; \
	bad=$$(nm -u $< | awk '{print $$2}' | grep -Ev '$(KFS_ALLOWED)'); \
	if [ -n "$$bad" ]; then echo "kernel-freestanding: undefined symbols outside the HAL: $$bad" >&2; exit 1; fi; \
	echo "kernel-freestanding: $< links; undefined: $$(nm -u $< | awk '{print $$2}' | tr '\n' ' ')"

$(BUILD)/libparasim.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(PARASIM): $(BUILD)/obj/sim/main.o $(BUILD)/libparasim.a
	$(CC) $(ALL_CFLAGS) $^ $(LDLIBS_LIB) -o $@

$(BUILD)/tests/%: tests/%.c $(BUILD)/libparasim.a $(BUILD)/deps.mk
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) $< $(BUILD)/libparasim.a $(CHECK_LIBS) $(LDLIBS_LIB) -o $@

# ---------------------------------------------------------------- the two commands
# Results go where `parasim run` puts them by default: out/<config name>/.
DEMO_CONFIG ?= experiments/kvs-zipf-8core.json
demo: $(PARASIM)
	$(PARASIM) run $(DEMO_CONFIG)

# The README's picture of the demo's timeline: the demo run recorded
# (parasim run --timeline), then drawn headless by parasim view --png.
# TIMELINE_RANGE (FROM:TO) is the window drawn (default: 10 us of the
# busy run, where single spans show); empty: the whole run.
DEMO_TIMELINE  ?= out/demo.tl
TIMELINE_PNG   ?= docs/demo-timeline.png
TIMELINE_RANGE ?= 10ms:10.01ms
timeline-png: $(PARASIM)
	@mkdir -p $(dir $(DEMO_TIMELINE)) $(dir $(TIMELINE_PNG))
	$(PARASIM) run $(DEMO_CONFIG) --quiet --out out/demo-timeline --timeline $(DEMO_TIMELINE)
	$(PARASIM) view $(DEMO_TIMELINE) --png $(TIMELINE_PNG) $(if $(TIMELINE_RANGE),--range $(TIMELINE_RANGE))

test-bins: $(TEST_BINS) $(PARASIM)

# Every check runner runs even if an earlier one fails; the exit status
# says whether any failed.  PARASIM tells end-to-end tests which binary to
# run, PARASIM_SHARED where the shared inputs (../shared: real traces,
# reference vectors) are.
PARASIM_SHARED ?= $(abspath ../shared)
check: test-bins kernel-freestanding
	@fail=0; for t in $(TEST_BINS); do \
	  echo "== $$t"; PARASIM=$(abspath $(PARASIM)) PARASIM_SHARED=$(PARASIM_SHARED) $$t || fail=1; \
	done; \
	if [ $$fail = 0 ]; then echo "make check: all suites passed"; else echo "make check: FAILED" >&2; exit 1; fi

# The whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer,
# in a build tree of its own.  Check's fork mode is kept; leaks are reported.
# GCC's "undefined" leaves out float-cast-overflow: asked for by name.
SAN_FLAGS := -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all
sanitize:
	$(MAKE) BUILD=build/san OPT="-O1 -fno-omit-frame-pointer $(SAN_FLAGS)" check

# bench_synthetic runs bench_baseline itself (to print the ratio).
bench: $(PARASIM) $(BENCH_BINS)
	@for b in $(filter-out %/bench_baseline,$(BENCH_BINS)); do \
	  echo "== $$b"; PARASIM=$(abspath $(PARASIM)) $$b || exit 1; done

$(BUILD)/tests/bench/%: tests/bench/%.c $(BUILD)/libparasim.a $(BUILD)/deps.mk
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(BUILD)/libparasim.a $(LDLIBS_LIB) -o $@

install: $(PARASIM)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/parasim/experiments
	install -m 755 $(PARASIM) $(DESTDIR)$(PREFIX)/bin/parasim
	install -m 644 experiments/*.json $(DESTDIR)$(PREFIX)/share/parasim/experiments/

clean:
	rm -rf build $(BUILD)

-include $(LIB_OBJS:.o=.d) $(KFS_OBJS:.o=.d) $(BUILD)/obj/sim/main.d $(TEST_BINS:=.d) $(BENCH_BINS:=.d)
