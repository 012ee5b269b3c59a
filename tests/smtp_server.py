#!/usr/bin/env python3
"""A real SMTP server for BAN Sync's tests, on aiosmtpd (Debian: python3-aiosmtpd, installed
by scripts/setup.sh): plain, STARTTLS (required) or implicit TLS, with AUTH PLAIN/LOGIN
required when a user is given.

Every message received is written to OUT_DIR as one JSON file (written whole, then renamed):
the envelope, the authenticated user, whether TLS carried it, and the message as a reader sees
it (headers decoded, plain-text body). Prints "READY <port>" once it listens on 127.0.0.1 (on a
port the system chose), and stops when its standard input closes (the test that started it
ended) or on SIGTERM.

    smtp_server.py --mode starttls --cert cert.pem --key key.pem --user u --password p OUT_DIR
"""
import argparse
import asyncio
import email
import email.policy
import json
import logging
import os
import signal
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Recorder:
    """Writes each message received to a file of its own."""

    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.received = 0

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        auth = session.auth_data
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "login": auth.login.decode() if isinstance(auth, LoginPassword) else None,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "from": str(message["From"] or ""),
            "to": str(message["To"] or ""),
            "bcc": str(message["Bcc"]) if message["Bcc"] is not None else None,
            "subject": str(message["Subject"] or ""),
            "body": body.get_content() if body is not None else "",
        }
        self.received += 1
        path = os.path.join(self.out_dir, f"{self.received:04d}.json")
        with open(path + ".tmp", "w", encoding="utf-8") as out:
            json.dump(record, out, ensure_ascii=False)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 OK"


def authenticator(user, password):
    """Accepts `user` with `password` only (535 otherwise)."""

    def check(server, session, envelope, mechanism, auth_data):
        good = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=good, handled=False, auth_data=auth_data)

    return check


async def serve(args):
    loop = asyncio.get_running_loop()
    context = None
    if args.mode != "plain":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
    recorder = Recorder(args.out_dir)

    def protocol():
        return SMTP(
            recorder,
            hostname="localhost",
            tls_context=context if args.mode == "starttls" else None,
            require_starttls=args.mode == "starttls",
            authenticator=authenticator(args.user, args.password) if args.user else None,
            auth_required=bool(args.user),
            # aiosmtpd counts only STARTTLS as TLS: with implicit TLS the whole connection is.
            auth_require_tls=args.mode == "starttls",
            loop=loop,
        )

    server = await loop.create_server(
        protocol, host="127.0.0.1", port=0, ssl=context if args.mode == "tls" else None
    )
    port = server.sockets[0].getsockname()[1]
    print(f"READY {port}", flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    # The test holds our standard input: when it goes away, so do we.
    loop.add_reader(sys.stdin.fileno(), lambda: sys.stdin.read(1) or stop.set())
    await stop.wait()
    server.close()
    await server.wait_closed()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["plain", "starttls", "tls"], default="plain")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--user")
    parser.add_argument("--password", default="")
    parser.add_argument("out_dir")
    args = parser.parse_args()
    if args.mode != "plain" and not (args.cert and args.key):
        parser.error("--cert and --key are needed with TLS")
    # "Requiring AUTH while not requiring TLS": implicit TLS, see above; and its deprecation
    # notices, which say nothing about the test.
    warnings.filterwarnings("ignore", module="aiosmtpd")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
