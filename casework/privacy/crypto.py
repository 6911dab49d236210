"""The data key: petitioners' name, phone and ID number sealed at rest, and a keyed hash of the
phone to find a caller without opening every row (DESIGN.md, "Petitioners' data").

AES-256-GCM rather than Fernet, because
- the associated data binds each ciphertext to its field and key: a name's ciphertext copied
  into the phone column, or a row sealed under another key, fails to open instead of showing
  the wrong person's data (Fernet has no associated data);
- one 32-byte key (``CASEWORK_DATA_KEY``) gives, through HKDF, separate keys for sealing, for
  the phone hash and for the key id; Fernet wants its own 16+16-byte key format;
- Fernet tokens carry their creation time in clear and cost 57 bytes plus a third for base64;
  a GCM seal here costs 29 bytes (format byte, nonce, tag).
Random 96-bit nonces are safe for about 2**32 seals per key, far beyond a county's petitioners.

Plaintexts are padded to whole 16-byte blocks, so a ciphertext's length does not tell a
two-character name from a four-character one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from casework.errors import CaseworkError

KEY_ENV = "CASEWORK_DATA_KEY"
OLD_KEYS_ENV = "CASEWORK_OLD_DATA_KEYS"
KEY_BYTES = 32
FORMAT = b"\x01"  # the first byte of every seal: a later format can be told apart
NONCE_BYTES = 12
BLOCK = 16


class DataKeyError(CaseworkError):
    """The data key is missing, malformed, or not the one the data was sealed with."""

    code = "data_key"


class TamperedData(DataKeyError):
    """A seal that does not authenticate: altered in the database, or moved between fields."""

    code = "data_integrity"


def generate_key() -> str:
    """A new random data key, as ``CASEWORK_DATA_KEY`` takes it."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def parse_key(text: str, name: str = KEY_ENV) -> bytes:
    text = text.strip()
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES:
        raise DataKeyError(f"{name} must be {KEY_BYTES} random bytes in base64; "
                           "make one with `casework keys generate`")
    return raw


def _derive(raw: bytes, purpose: str, length: int = 32) -> bytes:
    info = f"casework {purpose} v1".encode()
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(raw)


@dataclass(frozen=True)
class DataKey:
    key_id: str
    _aead: AESGCM = field(repr=False)
    _hash_key: bytes = field(repr=False)
    _fingerprint_key: bytes = field(repr=False, default=b"")

    @classmethod
    def from_text(cls, text: str, name: str = KEY_ENV) -> DataKey:
        raw = parse_key(text, name)
        # The id is derived, not configured: it names the key without revealing it, and a
        # wrong key can never claim a right key's id.
        return cls(key_id=_derive(raw, "key id", 8).hex(), _aead=AESGCM(_derive(raw, "sealing")),
                   _hash_key=_derive(raw, "phone lookup"),
                   _fingerprint_key=_derive(raw, "ledger fingerprint"))

    def _context(self, purpose: str) -> bytes:
        return FORMAT + f"{purpose}:{self.key_id}".encode()

    def seal(self, purpose: str, text: str) -> bytes:
        """``text`` encrypted for ``purpose`` (a field name such as "petitioner.phone")."""
        data = text.encode("utf-8") + b"\x80"
        data += b"\x00" * (-len(data) % BLOCK)
        nonce = os.urandom(NONCE_BYTES)
        return FORMAT + nonce + self._aead.encrypt(nonce, data, self._context(purpose))

    def open(self, purpose: str, sealed: bytes) -> str:
        sealed = bytes(sealed)  # PostgreSQL hands back a memoryview
        if sealed[:1] != FORMAT or len(sealed) < 1 + NONCE_BYTES + BLOCK:
            raise TamperedData(f"a sealed {purpose} is not in a format Casework wrote")
        nonce, body = sealed[1:1 + NONCE_BYTES], sealed[1 + NONCE_BYTES:]
        try:
            data = self._aead.decrypt(nonce, body, self._context(purpose))
        except InvalidTag:
            raise TamperedData(f"a sealed {purpose} does not authenticate under key "
                               f"{self.key_id}: it was altered or moved in the database") from None
        return data.rstrip(b"\x00")[:-1].decode("utf-8")

    def seal_bytes(self, purpose: str, data: bytes) -> bytes:
        """``data`` encrypted for ``purpose``, unpadded: an attachment's chunk or thumbnail,
        whose size is no secret (the attachment's size is stored in clear)."""
        nonce = os.urandom(NONCE_BYTES)
        return FORMAT + nonce + self._aead.encrypt(nonce, data, self._context(purpose))

    def open_bytes(self, purpose: str, sealed: bytes) -> bytes:
        """The bytes ``seal_bytes`` sealed for ``purpose``; TamperedData if they were altered,
        or sealed for another purpose (another attachment, another chunk index)."""
        sealed = bytes(sealed)
        if sealed[:1] != FORMAT or len(sealed) < 1 + NONCE_BYTES + BLOCK:
            raise TamperedData(f"a sealed {purpose} is not in a format Casework wrote")
        try:
            return self._aead.decrypt(sealed[1:1 + NONCE_BYTES], sealed[1 + NONCE_BYTES:],
                                      self._context(purpose))
        except InvalidTag:
            raise TamperedData(f"a sealed {purpose} does not authenticate under key "
                               f"{self.key_id}: it was altered or moved in the database") from None

    def phone_hash(self, digits: str) -> str:
        """HMAC-SHA256 of a normalized phone: equal phones match, and without the key a
        guesser cannot test the few billion possible numbers against the column."""
        return hmac.new(self._hash_key, digits.encode("ascii"), hashlib.sha256).hexdigest()

    def fingerprint(self, text: str) -> str:
        """HMAC-SHA256 of a ledger row's normalized fields (casework/imports/ledger.py), under
        its own derived key: the column shows which imported rows are equal, and nothing a
        guesser could test a petitioner's phone or story against."""
        return hmac.new(self._fingerprint_key, text.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Keyring:
    """The current key, which seals everything new, and older keys still able to open rows
    that ``casework keys rotate`` has not yet re-sealed."""

    current: DataKey
    older: tuple[DataKey, ...] = ()

    @classmethod
    def from_texts(cls, current: str | None, older: str | None = None, *,
                   name: str = KEY_ENV) -> Keyring:
        """``name`` says where ``current`` came from (the variable, or a key file)."""
        if not current or not current.strip():
            missing = "CASEWORK_DATA_KEY is not set: make one with `casework keys generate`"
            raise DataKeyError(missing)
        old = tuple(DataKey.from_text(text, OLD_KEYS_ENV)
                    for text in (older or "").split(",") if text.strip())
        return cls(DataKey.from_text(current, name), old)

    @property
    def key_ids(self) -> tuple[str, ...]:
        return (self.current.key_id, *(key.key_id for key in self.older))

    def key(self, key_id: str) -> DataKey:
        for key in (self.current, *self.older):
            if key.key_id == key_id:
                return key
        raise DataKeyError(
            f"petitioners' data was sealed with key {key_id}, and {KEY_ENV} is key "
            f"{self.current.key_id}: set the key the data was sealed with (an older one goes "
            f"in {OLD_KEYS_ENV})")

    def phone_hashes(self, digits: str) -> list[str]:
        """The phone's hash under every key, so a caller is found during a rotation too."""
        return [key.phone_hash(digits) for key in (self.current, *self.older)]

    def fingerprints(self, text: str) -> list[str]:
        """A ledger row's fingerprint under every key, so a rotation does not make last
        week's file new again."""
        return [key.fingerprint(text) for key in (self.current, *self.older)]
