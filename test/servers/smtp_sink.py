#!/usr/bin/python3
"""An SMTP sink for the notification tests (shared/TESTENV.md, "SMTP sink").

Usage: smtp_sink.py HOST PORT MAILDIR [USER PASSWORD]

aiosmtpd's Mailbox handler writes each message as one file in MAILDIR/new,
with X-MailFrom and X-RcptTo headers. With USER and PASSWORD, AUTH (PLAIN or
LOGIN) is required and other credentials are refused with 535. Runs until
SIGTERM or SIGINT.
"""
import signal
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    host, port, maildir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    creds = (sys.argv[4].encode(), sys.argv[5].encode()) if len(sys.argv) > 5 else None

    def authenticator(server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == creds:
            return AuthResult(success=True)
        # handled=False makes aiosmtpd answer 535; the default sends nothing
        # and the client waits for its timeout.
        return AuthResult(success=False, handled=False)

    kwargs = {"hostname": host, "port": port}
    if creds:
        kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    controller = Controller(Mailbox(maildir), **kwargs)
    controller.start()  # returns once the server accepts connections
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


if __name__ == "__main__":
    main()
