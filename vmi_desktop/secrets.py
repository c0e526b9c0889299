"""Supplier credentials in the OS keyring, and nowhere else.

Tokens, OAuth2 client secrets and client-key passwords are stored with
``keyring`` under the service name ``vmi-desktop`` and the username
``"vendor-<vendor id>:<kind>"``: keyed by the vendor's id, so that two vendor codes
differing only in case (``ACME`` / ``acme``) never share an entry (the encrypted-file
fallback, like some OS keyrings, compares names without case), and a renamed vendor
keeps its secrets. Entries of earlier versions (``"<vendor_code>:<kind>"``) are moved
to the new name the first time they are read, when they are provably that vendor's
(the encrypted file authenticates each entry with the exact name it was written
under, so a ``acme`` entry never opens for ``ACME``). The policy follows maestral's habit:

- only an allow-list of secure backends is used (Secret Service / GNOME
  Keyring, KWallet, macOS Keychain, Windows Credential Locker);
- the backend chosen the first time a secret is saved is remembered in a small
  file in the config folder, so the app never silently switches to another
  store (and "loses" the secrets) later;
- with no secure backend the store raises :class:`NoSecureKeyringError`; the
  user may then opt in explicitly to an encrypted file (keyrings.cryptfile,
  Argon2 + AES-GCM) protected by a master password they type. Never plaintext;
- a locked keyring raises :class:`KeyringLockedError` with a message a person
  can act on.

Nothing here ever puts a secret value into a log line or an exception message:
backend errors are wrapped in our own exceptions naming only the vendor, the
kind of secret and the backend. No Qt import: the CLI and the sync engine use
this module as it is.
"""

from __future__ import annotations

import contextlib
import enum
import importlib
import json
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from jaraco.classes import properties
from keyring.backend import KeyringBackend
from keyring.errors import InitError, KeyringLocked, PasswordDeleteError

from vmi_desktop.errors import ValidationError, VmiError

if TYPE_CHECKING:
    from vmi_desktop.sync.auth import VendorCredentials

log = logging.getLogger(__name__)

SERVICE_NAME = "vmi-desktop"
BACKEND_CONFIG_FILENAME = "keyring.json"
CRYPTFILE_FILENAME = "secrets.cryptfile.cfg"
CRYPTFILE_MARKER = "encrypted-file"

# Secure backends, by import path, in no particular order (the keyring priority decides).
SECURE_BACKENDS: tuple[str, ...] = (
    "keyring.backends.SecretService.Keyring",
    "keyring.backends.libsecret.Keyring",
    "keyring.backends.kwallet.DBusKeyring",
    "keyring.backends.kwallet.DBusKeyringKWallet4",
    "keyring.backends.macOS.Keyring",
    "keyring.backends.Windows.WinVaultKeyring",
)

_FRIENDLY_NAMES = {
    "keyring.backends.SecretService.Keyring": "the Secret Service keyring (GNOME Keyring)",
    "keyring.backends.libsecret.Keyring": "the Secret Service keyring (libsecret)",
    "keyring.backends.kwallet.DBusKeyring": "KWallet",
    "keyring.backends.kwallet.DBusKeyringKWallet4": "KWallet 4",
    "keyring.backends.macOS.Keyring": "the macOS Keychain",
    "keyring.backends.Windows.WinVaultKeyring": "the Windows Credential Locker",
    CRYPTFILE_MARKER: "the encrypted credentials file",
}


class SecretKind(enum.StrEnum):
    """The three kinds of secret a vendor connection may need."""

    TOKEN = "token"  # noqa: S105 - names of kinds, not secrets
    CLIENT_SECRET = "client_secret"  # noqa: S105
    KEY_PASSWORD = "key_password"  # noqa: S105

    @property
    def label(self) -> str:
        """A human name for messages and dialogs."""
        return {"token": "API token", "client_secret": "OAuth2 client secret", "key_password": "client key password"}[
            self.value
        ]


class KeyringError(VmiError):
    """Base of keyring problems; messages never contain a secret value."""


class NoSecureKeyringError(KeyringError):
    """No secure keyring backend exists on this machine; the encrypted-file fallback is the way out."""


class KeyringLockedError(KeyringError):
    """The keyring exists but is locked (or the user declined to unlock it)."""


class KeyringUnavailableError(KeyringError):
    """The remembered backend cannot be reached now; we refuse to switch to another one silently."""


class MasterPasswordRequired(KeyringError):
    """The encrypted-file fallback is in use and must be unlocked with its master password first."""


class WrongMasterPasswordError(KeyringError):
    """The master password typed does not open the encrypted credentials file."""


class KeyringAccessError(KeyringError):
    """Any other backend failure, wrapped so the original text (which could echo input) is not shown."""


class VendorRef(Protocol):
    """What the store needs of a vendor: its id (the key) and code (messages, older entries)."""

    @property
    def id(self) -> int: ...

    @property
    def code(self) -> str: ...


@dataclass(frozen=True)
class VendorKey:
    """A vendor as the credential store knows it (for callers holding only the id and code)."""

    id: int
    code: str


def backend_id(backend: KeyringBackend) -> str:
    """The import path of a backend's class, as remembered in the config file."""
    if _is_cryptfile(backend):
        return CRYPTFILE_MARKER
    cls = type(backend)
    return f"{cls.__module__}.{cls.__name__}"


def friendly_backend_name(backend: KeyringBackend | str) -> str:
    """A name for a backend that a user recognises."""
    key = backend if isinstance(backend, str) else backend_id(backend)
    if key in _FRIENDLY_NAMES:
        return _FRIENDLY_NAMES[key]
    if isinstance(backend, MemoryKeyring):
        return "the in-memory keyring"
    return key.rsplit(".", 2)[-2] if "." in key else key


def _is_cryptfile(backend: KeyringBackend) -> bool:
    try:
        from keyrings.cryptfile.cryptfile import CryptFileKeyring
    except ImportError:  # pragma: no cover - keyrings.cryptfile is a dependency
        return False
    return isinstance(backend, CryptFileKeyring)


def _secure_backend_classes() -> tuple[type[KeyringBackend], ...]:
    classes: list[type[KeyringBackend]] = []
    for path in SECURE_BACKENDS:
        cls = _import_backend_class(path)
        if cls is not None:
            classes.append(cls)
    return tuple(classes)


def _import_backend_class(path: str) -> type[KeyringBackend] | None:
    module_name, _, class_name = path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except Exception:  # a platform module may fail to import elsewhere (e.g. Windows on Linux)
        return None
    cls = getattr(module, class_name, None)
    return cls if isinstance(cls, type) and issubclass(cls, KeyringBackend) else None


def _is_viable(cls: type[KeyringBackend]) -> bool:
    try:
        return bool(cls.viable)
    except Exception:
        return False


def available_secure_backends() -> list[KeyringBackend]:
    """Instances of the allow-listed backends usable on this machine now, best first."""
    viable = [cls for cls in _secure_backend_classes() if _is_viable(cls)]
    viable.sort(key=lambda c: c.priority, reverse=True)
    backends: list[KeyringBackend] = []
    for cls in viable:
        try:
            backends.append(cls())
        except Exception:
            log.debug("keyring backend %s could not be created", cls.__name__)
    return backends


class MemoryKeyring(KeyringBackend):
    """A keyring held in a dict, for tests and throw-away sessions.

    Never chosen by ``keyring``'s own automatic selection (its priority is not
    viable); only used when handed to :class:`CredentialStore` explicitly.
    """

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("the in-memory keyring is only used when chosen explicitly")

    def __init__(self) -> None:
        super().__init__()
        self._items: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def get_password(self, service: str, username: str) -> str | None:
        with self._lock:
            return self._items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._lock:
            self._items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        with self._lock:
            if (service, username) not in self._items:
                raise PasswordDeleteError("no such item")
            del self._items[(service, username)]


def open_encrypted_file(
    path: Path, master_password: str, *, kdf_time_cost: int | None = None, kdf_memory_cost: int | None = None
) -> KeyringBackend:
    """Open (or create) the encrypted credentials file at ``path`` with ``master_password``.

    The KDF cost arguments exist for tests only (Argon2's defaults take most of
    a second per operation, on purpose). Raises :class:`WrongMasterPasswordError`.
    """
    from keyrings.cryptfile.cryptfile import CryptFileKeyring

    if not master_password or not master_password.strip():
        raise ValidationError("The master password for the encrypted credentials file cannot be empty.")
    ring = CryptFileKeyring()
    ring.file_path = str(path)
    if kdf_time_cost is not None:
        ring.time_cost = kdf_time_cost
    if kdf_memory_cost is not None:
        ring.memory_cost = kdf_memory_cost
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        ring.keyring_key = master_password  # creates the file, or checks the password against it
    except ValueError:
        raise WrongMasterPasswordError(
            f"The master password does not open the encrypted credentials file {path}."
        ) from None
    except Exception as exc:
        raise KeyringAccessError(
            f"The encrypted credentials file {path} could not be opened ({type(exc).__name__})."
        ) from None
    return ring


class CredentialStore:
    """Per-vendor secrets in the chosen keyring; thread-safe, lazy, never logs a value.

    ``CredentialStore()`` follows the machine policy (remembered backend, else
    the best secure one). ``CredentialStore(backend=...)`` uses exactly that
    backend and remembers nothing (tests, the in-memory keyring).
    """

    def __init__(
        self,
        backend: KeyringBackend | None = None,
        *,
        config_dir: Path | None = None,
        data_dir: Path | None = None,
    ) -> None:
        from vmi_desktop.config import default_config_dir, default_data_dir

        self._explicit = backend is not None
        self._backend: KeyringBackend | None = backend
        self._config_dir = config_dir if config_dir is not None else default_config_dir()
        self._data_dir = data_dir if data_dir is not None else default_data_dir()
        self._lock = threading.RLock()
        # Decrypted values of the encrypted-file fallback (its master password is held in memory
        # anyway; Argon2 makes every file read cost seconds on purpose). Never used for OS keyrings.
        self._file_cache: dict[str, str | None] = {}

    @classmethod
    def in_memory(cls) -> CredentialStore:
        """A store on a fresh :class:`MemoryKeyring` (tests, demos)."""
        return cls(backend=MemoryKeyring())

    # ----------------------------------------------------------- backend policy
    @property
    def config_path(self) -> Path:
        """The small JSON file remembering which backend holds the secrets."""
        return self._config_dir / BACKEND_CONFIG_FILENAME

    @property
    def encrypted_file_path(self) -> Path:
        """Where the opt-in encrypted fallback file lives."""
        remembered = self._read_config()
        if remembered.get("backend") == CRYPTFILE_MARKER and remembered.get("path"):
            return Path(remembered["path"])
        return self._data_dir / CRYPTFILE_FILENAME

    def remembered_backend(self) -> str | None:
        """The backend id remembered in the config file, if any."""
        value = self._read_config().get("backend")
        return value if isinstance(value, str) and value else None

    def _read_config(self) -> dict[str, Any]:
        try:
            data = json.loads(self.config_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            log.warning("keyring choice file %s is unreadable; treating it as absent", self.config_path)
            return {}
        return data if isinstance(data, dict) else {}

    def _remember(self, backend: KeyringBackend) -> None:
        if self._explicit and not _is_cryptfile(backend):
            return
        data: dict[str, Any] = {"backend": backend_id(backend)}
        if _is_cryptfile(backend):
            data["path"] = str(getattr(backend, "file_path", self.encrypted_file_path))
        if self._read_config() == data:
            return
        self._config_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.config_path)
        log.info("credentials are kept in %s", friendly_backend_name(backend))

    def forget_backend_choice(self) -> None:
        """Drop the remembered choice (after the user moved their secrets themselves)."""
        with self._lock:
            self.config_path.unlink(missing_ok=True)
            if not self._explicit:
                self._backend = None

    @property
    def backend(self) -> KeyringBackend:
        """The backend in use, resolved on first need.

        Raises :class:`NoSecureKeyringError`, :class:`KeyringUnavailableError` or
        :class:`MasterPasswordRequired` with a message for the user.
        """
        with self._lock:
            if self._backend is None:
                self._backend = self._resolve()
            return self._backend

    @property
    def backend_name(self) -> str:
        """The friendly name of the backend in use (resolves it)."""
        return friendly_backend_name(self.backend)

    @property
    def uses_encrypted_file(self) -> bool:
        """True when the opt-in fallback is in use: the UI shows a visible warning then."""
        with self._lock:
            if self._backend is not None:
                return _is_cryptfile(self._backend)
        return self.remembered_backend() == CRYPTFILE_MARKER

    @property
    def needs_master_password(self) -> bool:
        """True while the remembered encrypted file has not been unlocked in this session."""
        with self._lock:
            if self._backend is not None:
                return False
        return self.remembered_backend() == CRYPTFILE_MARKER

    def _resolve(self) -> KeyringBackend:
        remembered = self.remembered_backend()
        if remembered == CRYPTFILE_MARKER:
            raise MasterPasswordRequired(
                f"Supplier credentials are kept in the encrypted file {self.encrypted_file_path}; "
                "enter its master password to unlock it."
            )
        if remembered:
            if remembered not in SECURE_BACKENDS:
                raise KeyringUnavailableError(
                    f"The keyring setting in {self.config_path} names '{remembered}', which is not a secure "
                    "backend VMI Desktop uses. Delete that file and enter the supplier credentials again."
                )
            cls = _import_backend_class(remembered)
            if cls is None or not _is_viable(cls):
                raise KeyringUnavailableError(
                    f"Supplier credentials are kept in {friendly_backend_name(remembered)}, which is not available "
                    "right now. Start or unlock it (for example by logging in to your desktop session) and try "
                    "again. VMI Desktop will not switch to another keyring on its own."
                )
            return cls()
        candidates = available_secure_backends()
        if not candidates:
            raise NoSecureKeyringError(
                "No secure keyring (GNOME Keyring/Secret Service, KWallet, macOS Keychain or Windows Credential "
                "Locker) is available on this machine. Start one, or choose to keep supplier credentials in an "
                "encrypted file protected by a master password."
            )
        chosen = candidates[0]
        log.info("using %s for supplier credentials", friendly_backend_name(chosen))
        return chosen

    def use_encrypted_file(
        self,
        master_password: str,
        *,
        path: Path | None = None,
        kdf_time_cost: int | None = None,
        kdf_memory_cost: int | None = None,
    ) -> None:
        """Opt in to (or unlock) the encrypted-file fallback and remember that choice.

        Refused when another backend is remembered: switching would orphan the
        secrets already stored there.
        """
        with self._lock:
            remembered = self.remembered_backend()
            if remembered and remembered != CRYPTFILE_MARKER:
                raise KeyringError(
                    f"Supplier credentials are already kept in {friendly_backend_name(remembered)}; "
                    "VMI Desktop will not move them to an encrypted file."
                )
            target = path or self.encrypted_file_path
            ring = open_encrypted_file(
                target, master_password, kdf_time_cost=kdf_time_cost, kdf_memory_cost=kdf_memory_cost
            )
            self._backend = ring
            self._file_cache.clear()
            self._remember(ring)

    # ----------------------------------------------------------- secrets
    @staticmethod
    def username(vendor: VendorRef, kind: SecretKind | str) -> str:
        """The keyring username of one secret: ``"vendor-<id>:<kind>"``."""
        if not isinstance(vendor.id, int) or isinstance(vendor.id, bool) or vendor.id <= 0:
            raise ValidationError("A saved vendor is needed to store or read a credential.")
        return f"vendor-{vendor.id}:{SecretKind(kind).value}"

    @staticmethod
    def legacy_username(vendor_code: str, kind: SecretKind | str) -> str:
        """Where versions before the vendor-id keys kept a secret: ``"<vendor_code>:<kind>"``."""
        return f"{vendor_code}:{SecretKind(kind).value}"

    def _read(self, backend: KeyringBackend, user: str) -> str | None:
        cached = _is_cryptfile(backend)
        if cached and user in self._file_cache:
            return self._file_cache[user]
        value = backend.get_password(SERVICE_NAME, user) or None
        if cached:
            self._file_cache[user] = value
        return value

    def _migrate(self, backend: KeyringBackend, vendor: VendorRef, kind: SecretKind) -> str | None:
        """Move this vendor's entry of an earlier version to its vendor-id name; None when there is none."""
        if not vendor.code or not vendor.code.strip():
            return None
        legacy = self.legacy_username(vendor.code, kind)
        try:
            value = backend.get_password(SERVICE_NAME, legacy) or None
        except ValueError:
            # The encrypted file holds an entry under this name in another case (written for a vendor
            # whose code differs only in case): it is not this vendor's, and stays where it is.
            return None
        if value is None:
            return None
        backend.set_password(SERVICE_NAME, self.username(vendor, kind), value)
        with contextlib.suppress(PasswordDeleteError):
            backend.delete_password(SERVICE_NAME, legacy)
        self._file_cache.pop(legacy, None)
        log.info("moved the %s of vendor %s to its vendor-id keyring entry", kind.label, vendor.code)
        return value

    def get(self, vendor: VendorRef, kind: SecretKind | str) -> str | None:
        """The stored secret, or None when not set."""
        kind = SecretKind(kind)
        user = self.username(vendor, kind)
        with self._lock:
            backend = self.backend
            try:
                value = self._read(backend, user)
                if value is None:
                    value = self._migrate(backend, vendor, kind)
                    if value is not None and _is_cryptfile(backend):
                        self._file_cache[user] = value
            except Exception as exc:
                raise self._wrap(exc, "read", vendor.code, kind, backend) from None
        return value

    def has(self, vendor: VendorRef, kind: SecretKind | str) -> bool:
        """Whether a secret is stored (the UI shows "stored" / "not set", never the value)."""
        return self.get(vendor, kind) is not None

    def status(self, vendor: VendorRef, kinds: Iterable[SecretKind] = tuple(SecretKind)) -> dict[SecretKind, bool]:
        """Which kinds of secret are stored for a vendor."""
        return {kind: self.has(vendor, kind) for kind in kinds}

    def set(self, vendor: VendorRef, kind: SecretKind | str, value: str) -> None:
        """Store a secret; the first successful save pins the backend in the config file."""
        kind = SecretKind(kind)
        if not value:
            raise ValidationError(f"The {kind.label} for vendor {vendor.code} is empty; use delete to remove it.")
        user = self.username(vendor, kind)
        with self._lock:
            backend = self.backend
            self._file_cache.pop(user, None)
            try:
                backend.set_password(SERVICE_NAME, user, value)
            except Exception as exc:
                raise self._wrap(exc, "save", vendor.code, kind, backend) from None
            self._remember(backend)
        log.info("stored the %s for vendor %s in %s", kind.label, vendor.code, friendly_backend_name(backend))

    def delete(self, vendor: VendorRef, kind: SecretKind | str) -> None:
        """Remove a secret (an entry of an earlier version too); removing one that is not there is fine."""
        kind = SecretKind(kind)
        user = self.username(vendor, kind)
        with self._lock:
            backend = self.backend
            self._file_cache.pop(user, None)
            try:
                self._migrate(backend, vendor, kind)  # an entry of an earlier version is deleted with it
                backend.delete_password(SERVICE_NAME, user)
            except PasswordDeleteError:
                return
            except Exception as exc:
                raise self._wrap(exc, "delete", vendor.code, kind, backend) from None
        log.info("deleted the %s for vendor %s", kind.label, vendor.code)

    def delete_all(self, vendor: VendorRef) -> None:
        """Remove every secret of a vendor (vendor deleted, or credentials reset)."""
        for kind in SecretKind:
            self.delete(vendor, kind)

    def credentials_for(self, vendor: VendorRef) -> VendorCredentials:
        """The vendor's secrets as the sync client wants them (missing ones are None)."""
        from vmi_desktop.sync.auth import VendorCredentials

        return VendorCredentials(
            token=self.get(vendor, SecretKind.TOKEN),
            client_secret=self.get(vendor, SecretKind.CLIENT_SECRET),
            key_password=self.get(vendor, SecretKind.KEY_PASSWORD),
        )

    # ----------------------------------------------------------- database logins
    @staticmethod
    def login_key(host: str, port: int, database: str, login: str) -> str:
        """The keyring username of a PostgreSQL login's password: ``postgresql:<login>@<host>:<port>/<db>``."""
        if not login:
            raise ValidationError("A database login name is needed to store or read its password.")
        return f"postgresql:{login}@{host or 'local'}:{port}/{database}"

    def get_login_password(self, host: str, port: int, database: str, login: str) -> str | None:
        """The stored password of a database login, or None (then libpq reads ``~/.pgpass``)."""
        key = self.login_key(host, port, database, login)
        backend = self.backend
        cached = _is_cryptfile(backend)
        if cached and key in self._file_cache:
            return self._file_cache[key]
        try:
            value = backend.get_password(SERVICE_NAME, key) or None
        except Exception as exc:
            raise self._wrap_login(exc, "read", login, backend) from None
        if cached:
            self._file_cache[key] = value
        return value

    def set_login_password(self, host: str, port: int, database: str, login: str, password: str) -> None:
        """Keep a database login's password in the keyring (never in settings or the database)."""
        if not password:
            raise ValidationError(f"The password of the database login {login} is empty.")
        key = self.login_key(host, port, database, login)
        with self._lock:
            backend = self.backend
            self._file_cache.pop(key, None)
            try:
                backend.set_password(SERVICE_NAME, key, password)
            except Exception as exc:
                raise self._wrap_login(exc, "save", login, backend) from None
            self._remember(backend)
        log.info("stored the password of database login %s in %s", login, friendly_backend_name(backend))

    def delete_login_password(self, host: str, port: int, database: str, login: str) -> None:
        """Forget a database login's password (removing one that is not there is not an error)."""
        key = self.login_key(host, port, database, login)
        backend = self.backend
        self._file_cache.pop(key, None)
        try:
            backend.delete_password(SERVICE_NAME, key)
        except PasswordDeleteError:
            return
        except Exception as exc:
            raise self._wrap_login(exc, "delete", login, backend) from None

    @staticmethod
    def _wrap_login(exc: BaseException, action: str, login: str, backend: KeyringBackend) -> KeyringError:
        what = f"the password of database login {login}"
        where = friendly_backend_name(backend)
        if isinstance(exc, KeyringLocked | InitError):
            return KeyringLockedError(f"Could not {action} {what}: {where} is locked. Unlock it and try again.")
        log.warning("keyring %s failed while trying to %s %s (%s)", where, action, what, type(exc).__name__)
        return KeyringAccessError(f"Could not {action} {what} in {where} ({type(exc).__name__}).")

    @staticmethod
    def _wrap(
        exc: BaseException, action: str, vendor_code: str, kind: SecretKind | str, backend: KeyringBackend
    ) -> KeyringError:
        """Our own error for a backend failure; the backend's own text is never carried over."""
        what = f"the {SecretKind(kind).label} for vendor {vendor_code}"
        where = friendly_backend_name(backend)
        if isinstance(exc, KeyringLocked | InitError):
            return KeyringLockedError(f"Could not {action} {what}: {where} is locked. Unlock it and try again.")
        if isinstance(exc, ValueError) and _is_cryptfile(backend):
            return WrongMasterPasswordError(f"Could not {action} {what}: the encrypted file did not decrypt.")
        log.warning("keyring %s failed while trying to %s %s (%s)", where, action, what, type(exc).__name__)
        return KeyringAccessError(f"Could not {action} {what} in {where} ({type(exc).__name__}).")

    def __repr__(self) -> str:
        name = friendly_backend_name(self._backend) if self._backend is not None else "unresolved"
        return f"<CredentialStore {name}>"


_default_store: CredentialStore | None = None
_default_lock = threading.Lock()


def default_store() -> CredentialStore:
    """The process-wide store following the machine policy (created on first use)."""
    global _default_store
    with _default_lock:
        if _default_store is None:
            _default_store = CredentialStore()
        return _default_store
