# recstore/: amphi-recstore (DESIGN.md §6).
recstore_PKGS := lmdb fuse3 libavformat libavcodec libavutil libcrypto jansson
# FUSE passthrough (the kernel reads the blob itself, no copy through the
# daemon) needs libfuse >= 3.17; bookworm's 3.14 builds the copy path only.
ifeq ($(shell pkg-config --atleast-version=3.17 fuse3 2>/dev/null && echo y),y)
PKG_CFLAGS += -DREC_FUSE_PASSTHROUGH
endif
$(eval $(call lib,recstore))
ifneq ($(wildcard recstore/main.c),)
$(eval $(call prog,amphi-recstore,recstore/main.c,recstore))
endif

# The recording tests' capture/ingest helper (tests/tools/rectool.c); built
# with everything, never installed.
REC_TOOL := $(BUILD)/test-tools/rectool
$(REC_TOOL): $(BUILD)/tests/tools/rectool.o $(BUILD)/librecstore.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) -o $@ $^ $(ALL_LDFLAGS) $(call pkg_libs,$(sort $(recstore_PKGS) $(common_PKGS))) $(recstore_LDLIBS) $(common_LDLIBS)
all: $(REC_TOOL)

# Index lookup rate for bench/recstore.bench (tests/tools/recbench.c).
REC_BENCH := $(BUILD)/test-tools/recbench
$(REC_BENCH): $(BUILD)/tests/tools/recbench.o $(BUILD)/librecstore.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) -o $@ $^ $(ALL_LDFLAGS) $(call pkg_libs,$(sort $(recstore_PKGS) $(common_PKGS))) $(recstore_LDLIBS) $(common_LDLIBS)
all: $(REC_BENCH)

# LD_PRELOAD clock shifter for tests/integration/recstore_clock.sh.
REC_CLOCKSHIFT := $(BUILD)/test-tools/clockshift.so
$(REC_CLOCKSHIFT): tests/tools/clockshift.c
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(CC) -shared -fPIC -O2 -Wall -Wextra -o $@ $< -ldl
all: $(REC_CLOCKSHIFT)
