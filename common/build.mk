# common/: code shared by several daemons (log, clock, durations, config,
# retention policy, JSON-lines control sockets, journals, DTLS certificates,
# directory fsync, periodic threads, ip:port addresses, RTP headers, RTCP
# sender reports, STUN message building, DTLS-SRTP keys).
common_PKGS   := jansson libcrypto libssl
common_LDLIBS :=
$(eval $(call lib,common))
