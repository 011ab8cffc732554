#!/usr/bin/python3
"""smtp_sink.py: a real SMTP server on loopback for the mail tests (aiosmtpd,
Debian's python3-aiosmtpd).  Not a test itself: control_smtp.sh runs it.

  smtp_sink.py --port P --dir DIR [--cert PEM --key PEM] [--user U --password PW]
               [--refuse-rcpt]

Every accepted message is written to DIR/<n>.eml, preceded by lines that say
how it came: "X-Sink-TLS: yes|no", "X-Sink-Auth: <user>|none",
"X-Sink-Rcpt: <address>".  With --cert/--key the server offers STARTTLS and
requires it; with --user/--password it requires AUTH (PLAIN or LOGIN, only
inside TLS).  --refuse-rcpt answers 550 to every recipient.  Writes
"ready" to DIR/.ready once listening; stops on SIGTERM."""
import argparse
import os
import signal
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--dir", required=True)
ap.add_argument("--cert")
ap.add_argument("--key")
ap.add_argument("--user")
ap.add_argument("--password")
ap.add_argument("--refuse-rcpt", action="store_true")
a = ap.parse_args()


class Handler:
    n = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if a.refuse_rcpt:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        Handler.n += 1
        user = session.auth_data.login.decode() if session.authenticated else "none"
        head = "X-Sink-TLS: %s\r\nX-Sink-Auth: %s\r\nX-Sink-Rcpt: %s\r\n" % (
            "yes" if session.ssl else "no", user, ",".join(envelope.rcpt_tos))
        tmp = os.path.join(a.dir, ".%d.tmp" % Handler.n)
        with open(tmp, "wb") as f:
            f.write(head.encode() + envelope.original_content)
        os.rename(tmp, os.path.join(a.dir, "%d.eml" % Handler.n))
        return "250 OK queued"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and a.user is not None and
          auth_data.login == a.user.encode() and auth_data.password == a.password.encode())
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


kw = {}
if a.cert:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(a.cert, a.key)
    kw.update(tls_context=ctx, require_starttls=True)
if a.user:
    kw.update(authenticator=authenticator, auth_required=True, auth_require_tls=True)
# ready_timeout: the controller checks it can talk to itself before returning.
ctl = Controller(Handler(), hostname="127.0.0.1", port=a.port, ready_timeout=10, **kw)
ctl.start()
with open(os.path.join(a.dir, ".ready"), "w") as f:
    f.write("ready\n")
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
signal.signal(signal.SIGINT, lambda *_: stop.set())
stop.wait()
ctl.stop()
