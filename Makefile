# amphi — the only build entry point.  See README.md for the two commands.
#
#   make            build every daemon and tool into bin/
#   make run        install dependencies, build, start the stack on loopback
#   make test       install dependencies, build, run every test (last line: N passed, N failed)
#   make asan       the tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   make fuzz       build the libFuzzer targets with clang and run each for FUZZ_SECONDS
#   make bench      the capacity benchmarks, into bench/results/<date>-<commit>/
#   make install    PREFIX=/usr/local DESTDIR=
#   make clean
#
# Each folder describes what it builds in its own build.mk with two macros:
#   $(eval $(call lib,NAME))            every NAME/*.c except NAME/main.c -> $(BUILD)/libNAME.a
#   $(eval $(call prog,BIN,MAIN.c,LIBS)) MAIN.c linked with the listed component libraries
# and sets NAME_PKGS to the pkg-config packages its code needs.  Unit tests
# tests/unit/NAME_*.c and fuzz targets tests/fuzz/NAME_*.c link libNAME.a plus
# libcommon.a with NAME_PKGS.  V=1 shows full commands.

CC       ?= cc
BUILD    ?= build/default
BIN      ?= bin
PREFIX   ?= /usr/local
DESTDIR  ?=
SANITIZE ?=
FUZZ_SECONDS ?= 30

WARN     := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes
ifdef CI
WARN     += -Werror
endif
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(CFLAGS) $(WARN) -D_GNU_SOURCE -I. -MMD -MP $(SAN_FLAGS) $(PKG_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SAN_FLAGS) -pthread
ifneq ($(SANITIZE),)
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = @printf '  %-7s %s\n' $(1) $(2);
endif

.DEFAULT_GOAL := all

# --- libraries, found with pkg-config (tools/deps installs them) ---------------
# pkg = cflags+libs of the named packages; a missing one stops the build with
# the Debian package to install.  Recursive (=) so `make clean` works without them.
PKG_DEBIAN := liburing:liburing-dev libsrtp2:libsrtp2-dev libcrypto:libssl-dev \
  libssl:libssl-dev fuse3:libfuse3-dev libavformat:libavformat-dev \
  libavcodec:libavcodec-dev libavutil:libavutil-dev lmdb:liblmdb-dev \
  libmicrohttpd:libmicrohttpd-dev jansson:libjansson-dev libsodium:libsodium-dev \
  sqlite3:libsqlite3-dev
pkg_missing = $(foreach p,$(1),$(if $(shell pkg-config --exists $(p) && echo y),,$(p)))
pkg_debian  = $(foreach p,$(1),$(patsubst $(p):%,%,$(filter $(p):%,$(PKG_DEBIAN))))
pkg_check   = $(if $(strip $(call pkg_missing,$(1))),$(error missing libraries: $(strip $(call pkg_missing,$(1))) -- run tools/deps as root, or: apt-get install $(sort $(call pkg_debian,$(call pkg_missing,$(1))))))
pkg_cflags  = $(call pkg_check,$(1))$(shell pkg-config --cflags $(1))
pkg_libs    = $(call pkg_check,$(1))$(shell pkg-config --libs $(1))

# --- component macros ----------------------------------------------------------
COMPONENTS :=
PROGS :=
PKGS_USED :=

define lib
COMPONENTS += $(1)
$(1)_SRCS := $$(filter-out $(1)/main.c,$$(wildcard $(1)/*.c))
$(1)_OBJS := $$(patsubst %.c,$(BUILD)/%.o,$$($(1)_SRCS))
$(BUILD)/lib$(1).a: $$($(1)_OBJS)
	$$(call say,AR,$$@)rm -f $$@ && ar rcs $$@ $$^
endef

# prog BIN, MAIN, components (most specific first; common is always added)
define prog
PROGS += $(BIN)/$(1)
$(BIN)/$(1): $(BUILD)/$(2:.c=.o) $(foreach c,$(3) common,$(BUILD)/lib$(c).a) | $(BIN)
	$$(call say,LD,$$@)$$(CC) -o $$@ $$^ $$(ALL_LDFLAGS) $$(call pkg_libs,$$(sort $(foreach c,$(3) common,$$($(c)_PKGS)))) $(foreach c,$(3) common,$$($(c)_LDLIBS))
endef

include $(sort $(wildcard */build.mk))

PKG_CFLAGS = $(call pkg_cflags,$(sort $(foreach c,$(COMPONENTS),$($(c)_PKGS))))

# --- unit tests: tests/unit/<component>_<name>.c -> $(BUILD)/test-bin/<component>_<name>
UNIT_SRCS  := $(wildcard tests/unit/*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/test-bin/%,$(UNIT_SRCS))
unit_comp   = $(firstword $(subst _, ,$(notdir $(1))))
# libcommon.a last: a static library only resolves symbols of the ones before it.
link_order  = $(filter-out %/libcommon.a,$(1)) $(filter %/libcommon.a,$(1))
.SECONDARY:
.SECONDEXPANSION:
$(BUILD)/test-bin/%: $(BUILD)/tests/unit/%.o $$(sort $(BUILD)/lib$$(call unit_comp,$$*).a $(BUILD)/libcommon.a)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) -o $@ $(call link_order,$^) $(ALL_LDFLAGS) $(call pkg_libs,$(sort $($(call unit_comp,$*)_PKGS) $(common_PKGS))) $($(call unit_comp,$*)_LDLIBS) $(common_LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BIN):
	@mkdir -p $@

.PHONY: all run test test-only asan fuzz fuzz-build fuzz-smoke bench install clean deps
all: $(PROGS) $(UNIT_BINS)

deps:
	@tools/deps

# The README's two commands build on every core (about 3 CPU-minutes of
# compiling: 1.5 min on 2 cores instead of 3); `make` alone stays serial
# unless given -j.
JOBS := -j$(shell nproc 2>/dev/null || echo 1)

run: deps
	@$(MAKE) --no-print-directory $(JOBS) all
	@tools/devstack

test:
	@tools/deps --npm
	@$(MAKE) --no-print-directory $(JOBS) all
	@tests/run --build $(BUILD) --bin $(BIN) --fuzz-build build/fuzz --fuzz-make --fuzz-seconds 2

test-only: all
	@tests/run --build $(BUILD) --bin $(BIN)

asan: deps
	@$(MAKE) --no-print-directory SANITIZE=address,undefined BUILD=build/asan BIN=build/asan/bin test-only

# --- fuzzing: tests/fuzz/<component>_<name>.c, clang + libFuzzer ----------------
FUZZ_SRCS := $(wildcard tests/fuzz/*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/fuzz/%,$(FUZZ_SRCS))
ifeq ($(FUZZING),1)
build/fuzz/fuzz/%: build/fuzz/tests/fuzz/%.o $$(sort build/fuzz/lib$$(call unit_comp,$$*).a build/fuzz/libcommon.a)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) -fsanitize=fuzzer -o $@ $(call link_order,$^) $(ALL_LDFLAGS) $(call pkg_libs,$(sort $($(call unit_comp,$*)_PKGS) $(common_PKGS))) $($(call unit_comp,$*)_LDLIBS) $(common_LDLIBS)
fuzz-targets: $(FUZZ_BINS)
endif

fuzz-build:
	@$(MAKE) --no-print-directory FUZZING=1 CC=clang BUILD=build/fuzz \
	  SANITIZE=fuzzer-no-link,address,undefined fuzz-targets

fuzz: deps fuzz-build
	@tests/run --fuzz-only --fuzz-build build/fuzz --fuzz-seconds $(FUZZ_SECONDS)

bench: deps
	@$(MAKE) --no-print-directory all
	@bench/run

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	$(if $(PROGS),install -m 0755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/)
	install -d $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/man/man5
	for m in $(wildcard docs/man/*.8); do install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man8/; done
	for m in $(wildcard docs/man/*.5); do install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man5/; done
	install -d $(DESTDIR)$(PREFIX)/share/amphi/web
	cp -R control/web/. $(DESTDIR)$(PREFIX)/share/amphi/web/
	install -d $(DESTDIR)$(PREFIX)/etc/amphi
	install -m 0644 $(wildcard etc/*.conf) $(DESTDIR)$(PREFIX)/etc/amphi/

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
