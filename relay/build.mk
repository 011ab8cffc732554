# relay/: amphi-relay (DESIGN.md §5).
relay_PKGS := liburing libsrtp2 libcrypto libssl jansson
$(eval $(call lib,relay))
ifneq ($(wildcard relay/main.c),)
$(eval $(call prog,amphi-relay,relay/main.c,relay))
endif

# The fan-out test's publisher + viewers (tests/tools/relay_fanout_check.c):
# a client of the relay that links only common/ and libsrtp (the reference),
# never relay code.  Built with everything, never installed.
RELAY_FANOUT_TOOL := $(BUILD)/test-tools/relay_fanout_check
$(RELAY_FANOUT_TOOL): $(BUILD)/tests/tools/relay_fanout_check.o $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) -o $@ $^ $(ALL_LDFLAGS) $(call pkg_libs,$(sort libsrtp2 jansson $(common_PKGS))) $(common_LDLIBS)
all: $(RELAY_FANOUT_TOOL)

# The latch test's trigger (tests/tools/relay_srtcp_rr.c): one SRTCP receiver
# report from a chosen port; libsrtp and libcrypto only, never relay code.
RELAY_SRTCP_RR_TOOL := $(BUILD)/test-tools/relay_srtcp_rr
$(RELAY_SRTCP_RR_TOOL): $(BUILD)/tests/tools/relay_srtcp_rr.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) -o $@ $^ $(ALL_LDFLAGS) $(call pkg_libs,libsrtp2 libcrypto)
all: $(RELAY_SRTCP_RR_TOOL)
# tests/unit/relay_webrtc_live.c answers its browsers with control/sdp.c, as
# amphi-control does: it links libcontrol.a too (only sdp.o is pulled in).
$(BUILD)/test-bin/relay_webrtc_live: $(BUILD)/libcontrol.a
