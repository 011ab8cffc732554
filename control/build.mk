# control/: amphi-control (DESIGN.md §7).
control_PKGS := libmicrohttpd jansson sqlite3 libsodium libcrypto
$(eval $(call lib,control))
ifneq ($(wildcard control/main.c),)
$(eval $(call prog,amphi-control,control/main.c,control))
endif
