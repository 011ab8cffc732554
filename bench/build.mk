# bench/: amphi-bench (DESIGN.md §8).  A client of the stack: links no daemon code.
bench_PKGS := liburing libsrtp2 libcrypto libssl jansson
$(eval $(call lib,bench))
ifneq ($(wildcard bench/main.c),)
$(eval $(call prog,amphi-bench,bench/main.c,bench))
endif
# The SRTP microbenchmark measures one relay module, so it links librelay.a
# (amphi-bench itself never does).
$(eval $(call prog,amphi-crypto-bench,bench/crypto/main.c,relay))
