#!/usr/bin/env python3
"""relay_journal_check: an independent reader of the .amj journal format
(docs/journal.md), written from the document and not from common/journal.c,
so the relay's writer is checked against the specification itself.

usage: relay_journal_check.py FILE   -> prints one JSON object:
  {"recording", "webinar", "org", "ntracks", "records", "rtp", "rtcp",
   "crc_errors", "torn", "valid_end", "size", "first_ns", "last_ns"}
Exit status 0 when the header is valid, 1 otherwise."""
import json
import struct
import sys


def crc32c_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


TABLE = crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def main(path):
    buf = open(path, "rb").read()
    out = {"size": len(buf)}
    if len(buf) < 45 or buf[:8] != b"AMPHIJNL":
        print(json.dumps({"error": "bad magic or too short"}))
        return 1
    version, _flags, hlen = struct.unpack_from("<HHI", buf, 8)
    if version != 1 or hlen < 45 or hlen > 4096 or hlen > len(buf):
        print(json.dumps({"error": "bad version or header length"}))
        return 1
    if crc32c(buf[:hlen - 4]) != struct.unpack_from("<I", buf, hlen - 4)[0]:
        print(json.dumps({"error": "header CRC mismatch"}))
        return 1
    pos = 33
    ntracks = buf[32]
    ids = []
    for _ in range(3):
        n = buf[pos]
        ids.append(buf[pos + 1:pos + 1 + n].decode())
        pos += 1 + n
    out.update(recording=ids[0], webinar=ids[1], org=ids[2], ntracks=ntracks)
    pos = hlen
    records = rtp = rtcp = crc_errors = 0
    first = last = None
    torn = False
    while pos < len(buf):
        if pos + 17 > len(buf):
            torn = True
            break
        ln, ns, track = struct.unpack_from("<IQB", buf, pos)
        end = pos + 13 + ln + 4
        if ln < 8 or ln > 65535 or end > len(buf) or (track & 0x7F) >= ntracks:
            torn = True
            break
        if crc32c(buf[pos:pos + 13 + ln]) != struct.unpack_from("<I", buf, pos + 13 + ln)[0]:
            # This reader does not resynchronize: the relay never writes
            # damaged records, so any mismatch before the end is an error.
            crc_errors += 1
            torn = True
            break
        if buf[pos + 13] >> 6 != 2:
            crc_errors += 1
            break
        records += 1
        if track & 0x80:
            rtcp += 1
        else:
            rtp += 1
        first = ns if first is None else first
        last = ns
        pos = end
    out.update(records=records, rtp=rtp, rtcp=rtcp, crc_errors=crc_errors, torn=torn,
               valid_end=pos, first_ns=first or 0, last_ns=last or 0)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
