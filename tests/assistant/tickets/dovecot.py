"""A private Dovecot IMAP server for the tests: its own config, port and folders, run as a subprocess.

Debian's ``dovecot-imapd`` (``/usr/sbin/dovecot``) started with
``dovecot -F -c <conf>``: a config of its own in a temporary folder (base,
state and log paths there too), listening on 127.0.0.1 on a free port with
plain IMAP and cleartext logins, users in a passwd-file.  Nothing is shared
with a system Dovecot the package may have started (port 143/993,
/run/dovecot, /var/lib/dovecot), so one running does not interfere.

Dovecot refuses UID 0 for mail access, so under root the mailboxes belong
to ``nobody`` while the internal and login processes run as the package's
``dovecot`` and ``dovenull`` users; as any other user everything runs as
that user (and the login processes cannot chroot).

Older servers are played by the same Dovecot: on the addresses of
``LIMITED`` (other loopback addresses, same port) it advertises only the
capabilities listed there (``imap_capability`` in a ``local`` block), so
the poller's way without MOVE (and without UIDPLUS) runs against it too.
"""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from imapclient import IMAPClient

from tests.assistant.support import free_port

DOVECOT = Path("/usr/sbin/dovecot")
HOW_TO_INSTALL = ("the IMAP poller's tests need Dovecot: `sudo apt-get install dovecot-imapd` "
                  "(ASSISTANT_TEST_REQUIRE_DOVECOT=1 makes its absence a failure)")
START_SECONDS = 60.0  # a loaded CI machine may take a while; we stop waiting as soon as it answers or dies
STOP_SECONDS = 30.0
HOST = "127.0.0.1"
LIMITED = {  # loopback address -> the only capabilities Dovecot advertises there
    "127.0.0.2": "IMAP4rev1 UIDPLUS",  # no MOVE: COPY, \\Deleted, UID EXPUNGE
    "127.0.0.3": "IMAP4rev1",  # neither MOVE nor UIDPLUS: COPY, \\Deleted, no EXPUNGE
}

CONFIG = """\
protocols = imap
listen = {host}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# a wrong password answers at once (the tests try one)
auth_failure_delay = 0
default_internal_user = {internal_user}
default_login_user = {login_user}
first_valid_uid = 1
mail_location = maildir:~/Maildir
service imap-login {{
  {chroot}
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
{limited_listeners}
  inet_listener imaps {{
    port = 0
  }}
}}
{limited_capabilities}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
"""


def available() -> bool:
    return DOVECOT.exists()


class Dovecot:
    """One Dovecot with the given users (name -> password); ``with Dovecot(...) as server:`` starts and stops it."""

    def __init__(self, users: dict[str, str]):
        self.users = users
        self.host = HOST
        self.port = 0
        self.root = Path()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Dovecot:
        self.root = Path(tempfile.mkdtemp(prefix="procuree-dovecot-"))
        self.root.chmod(0o755)  # dovecot's auth process and the mail user read and walk through it
        try:
            self._prepare()
            self._start_on_a_free_port()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def client(self, user: str) -> IMAPClient:
        """A client logged in as ``user``, for the tests' own APPENDs and checks (real protocol, no file peeking)."""
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        client.login(user, self.users[user])
        return client

    def log(self) -> str:
        """Dovecot's log and its console output, for failure messages."""
        parts = [self.root / "dovecot.log", self.root / "console.log"]
        return "\n".join(path.read_text(errors="replace") for path in parts if path.exists())

    def _prepare(self) -> None:
        uid, gid = _mail_ids()
        for name in self.users:
            home = self.root / "home" / name
            home.mkdir(parents=True)
            os.chown(home, uid, gid)
        passwd = self.root / "passwd"
        passwd.write_text("".join(f"{name}:{{PLAIN}}{password}\n" for name, password in self.users.items()))
        passwd.chmod(0o644)  # read by the auth process, which runs as the internal user

    def _config(self) -> str:
        uid, gid = _mail_ids()
        me = pwd.getpwuid(os.getuid()).pw_name
        root = os.getuid() == 0
        return CONFIG.format(host=self.host, port=self.port, root=self.root, uid=uid, gid=gid,
                             internal_user="dovecot" if root else me, login_user="dovenull" if root else me,
                             chroot="" if root else "chroot =", limited_listeners=self._limited_listeners(),
                             limited_capabilities=_limited_capabilities())

    def _limited_listeners(self) -> str:
        return "\n".join(f"  inet_listener imap_{number} {{\n    address = {address}\n    port = {self.port}\n  }}"
                         for number, address in enumerate(LIMITED))

    def _start_on_a_free_port(self, attempts: int = 3) -> None:
        """Start; if another process took the free port between our look and Dovecot's bind, try another."""
        for _ in range(attempts):
            self.port = free_port()
            (self.root / "dovecot.conf").write_text(self._config())
            if self._start():
                return
            if "Address already in use" not in self.log():
                break
        raise RuntimeError(f"Dovecot did not start:\n{self.log()}")

    def _start(self) -> bool:
        """Run Dovecot in the foreground and wait until it greets on its port; False if it exited first."""
        with (self.root / "console.log").open("ab") as console:
            self.process = subprocess.Popen([str(DOVECOT), "-F", "-c", str(self.root / "dovecot.conf")],
                                            stdout=console, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                return False
            if _greets(self.host, self.port):
                return True
            time.sleep(0.05)  # polling a condition, with the deadline above
        self._stop()
        raise RuntimeError(f"Dovecot did not answer on {self.host}:{self.port} within {START_SECONDS:.0f} s:\n"
                           f"{self.log()}")

    def _stop(self) -> None:
        """SIGTERM to the master, which stops its children; kill only if it does not end in time."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def _mail_ids() -> tuple[int, int]:
    """The UID/GID owning the mailboxes: ours, or nobody's under root (Dovecot never gives mail access to UID 0)."""
    if os.getuid() != 0:
        return os.getuid(), os.getgid()
    nobody = pwd.getpwnam("nobody")
    return nobody.pw_uid, nobody.pw_gid


def _limited_capabilities() -> str:
    return "\n".join(f"local {address} {{\n  protocol imap {{\n    imap_capability = {capabilities}\n  }}\n}}"
                     for address, capabilities in LIMITED.items())


def _greets(host: str, port: int) -> bool:
    """True once an IMAP server answers ``* OK`` on the port (a bound but not yet serving socket is not enough)."""
    try:
        with socket.create_connection((host, port), timeout=5) as sock:
            return sock.recv(64).startswith(b"* OK")
    except OSError:
        return False
