# recstore/: amphi-recstore (DESIGN.md §6).
recstore_PKGS := lmdb fuse3 libavformat libavcodec libavutil libcrypto jansson
$(eval $(call lib,recstore))
ifneq ($(wildcard recstore/main.c),)
$(eval $(call prog,amphi-recstore,recstore/main.c,recstore))
endif
