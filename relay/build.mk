# relay/: amphi-relay (DESIGN.md §5).
relay_PKGS := liburing libsrtp2 libcrypto libssl jansson
$(eval $(call lib,relay))
ifneq ($(wildcard relay/main.c),)
$(eval $(call prog,amphi-relay,relay/main.c,relay))
endif
