"""HTTPS for unmodified bots: a local certificate authority, and the certificate the emulator
presents for graph.facebook.com, graph.instagram.com and the loopback names.

The authority is made on first use and kept in a directory (`--tls-dir`, `$EMULATOR_TLS_DIR`,
else a per-user data directory), so a bot trusts it once (`NODE_EXTRA_CA_CERTS`,
`REQUESTS_CA_BUNDLE`, `SSL_CERT_FILE`) and every later run is trusted too. The server's own
certificate is issued at each start, in memory, for the names asked for. `trustme` (made for
exactly this, on `cryptography`) writes the certificates; nothing here writes ASN.1.

Imported only when HTTPS or the proxy is asked for: a plain `serve` never loads it.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import ssl
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from emulator.rules import limits

if TYPE_CHECKING:  # trustme (and cryptography) load when an authority is first needed
    import trustme

CA_CERT_FILE = "ca.pem"  # the authority's certificate: what bots are told to trust
CA_KEY_FILE = "ca-key.pem"  # its private key: readable by the user alone
LOCK_FILE = ".lock"
ORGANIZATION = "send-api-emulator"


class TlsError(Exception):
    """A TLS setting that cannot be used; the message says which and why."""


def default_tls_dir() -> Path:
    """The per-user data directory the authority lives in when no directory is given."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "send-api-emulator" / "tls"


def tls_dir(given: str | None) -> Path:
    """The directory named by the flag or $EMULATOR_TLS_DIR, else the per-user default."""
    chosen = given or os.environ.get("EMULATOR_TLS_DIR")
    return Path(chosen).expanduser() if chosen else default_tls_dir()


def authority(directory: Path) -> tuple[trustme.CA, Path]:
    """The authority kept in `directory`, made there first if missing; and the path of its
    certificate. Two processes starting at once make one authority, not two."""
    import trustme

    cert_path = directory / CA_CERT_FILE
    key_path = directory / CA_KEY_FILE
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with _locked(directory / LOCK_FILE):
            if not cert_path.exists() or not key_path.exists():
                _create(cert_path, key_path)
            ca = trustme.CA.from_pem(cert_path.read_bytes(), key_path.read_bytes())
    except OSError as exc:
        raise TlsError(f"TLS directory {directory}: {exc.strerror or exc}") from None
    except ValueError as exc:  # damaged PEM files
        raise TlsError(
            f"TLS directory {directory}: the authority's files cannot be read ({exc}); "
            f"remove {CA_CERT_FILE} and {CA_KEY_FILE} there to make a new one"
        ) from None
    return ca, cert_path


def _create(cert_path: Path, key_path: Path) -> None:
    """A new authority, its key written readable by the owner alone."""
    import trustme

    now = datetime.datetime.now(datetime.UTC)
    ca = trustme.CA(
        organization_name=ORGANIZATION,
        organization_unit_name=f"local authority, made {now:%Y-%m-%d}",
    )
    key_fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(key_fd, "wb") as key_file:
        key_file.write(ca.private_key_pem.bytes())
    cert_path.write_bytes(ca.cert_pem.bytes())


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock between processes where the platform has one (POSIX flock)."""
    try:
        import fcntl
    except ImportError:  # Windows: creation races are left to chance
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def server_names(extra: Sequence[str] = ()) -> list[str]:
    """The names the emulator's certificate is valid for: Graph's hosts, loopback, and any
    the user adds (a sidecar's service name); each once, in order."""
    names: list[str] = []
    for name in (*limits.GRAPH_HOSTS, *limits.TLS_LOOPBACK_NAMES, *extra):
        name = name.strip()
        if name and name not in names:
            names.append(name)
    return names


def server_context(
    ca: trustme.CA | None,
    names: Sequence[str],
    cert_file: str | None = None,
    key_file: str | None = None,
) -> ssl.SSLContext:
    """The server's TLS context: the user's own certificate when given, else one the
    authority issues now for `names`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.set_alpn_protocols(["http/1.1"])  # no HTTP/2 here: uvicorn speaks HTTP/1.1
    if cert_file or key_file:
        if not (cert_file and key_file):
            raise TlsError("--tls-cert and --tls-key go together")
        try:
            context.load_cert_chain(cert_file, key_file)
        except (OSError, ssl.SSLError) as exc:
            raise TlsError(f"cannot use {cert_file} and {key_file}: {exc}") from None
        return context
    if ca is None:
        raise TlsError("no certificate authority and no --tls-cert/--tls-key")
    for name in names:
        _check_name(name)
    now = datetime.datetime.now(datetime.UTC)
    leaf = ca.issue_cert(
        *names,
        organization_name=ORGANIZATION,
        # what browsers and Apple's clients accept for a leaf (398 days at most)
        not_after=now + datetime.timedelta(days=limits.TLS_LEAF_DAYS),
    )
    leaf.configure_cert(context)
    return context


def _check_name(name: str) -> None:
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(name)
        return
    labels = name.split(".")
    if len(name) > 253 or not all(
        label
        and len(label) <= 63
        and label.isascii()
        and label.replace("-", "").replace("_", "").isalnum()
        for label in labels
        if label != "*"
    ):
        raise TlsError(f"--tls-name {name!r} is not a host name or an IP address")
