# control/: amphi-control (DESIGN.md §7).
control_PKGS := libmicrohttpd jansson sqlite3 libsodium libcrypto libssl
$(eval $(call lib,control))
ifneq ($(wildcard control/main.c),)
$(eval $(call prog,amphi-control,control/main.c,control))
endif
# A load client for event streams (tests/integration/control_sse_scale.sh,
# docs/performance.md); needs no library of its own.
$(eval $(call prog,amphi-sse-load,control/tools/sse_load.c,))
