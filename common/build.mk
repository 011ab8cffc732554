# common/: code shared by several daemons (log, clock, durations, config,
# retention policy, JSON-lines control sockets).
common_PKGS   := jansson
common_LDLIBS :=
$(eval $(call lib,common))
