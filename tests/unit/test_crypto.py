"""The data key: sealing round trips, tampering and wrong keys are caught, keys are parsed
strictly, and the phone hash finds equal phones only under the same key."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casework.lifecycle.schemas import normalize_id_number
from casework.privacy.crypto import DataKey, DataKeyError, Keyring, TamperedData, generate_key

KEY = generate_key()


@pytest.fixture
def key() -> DataKey:
    return DataKey.from_text(KEY)


@given(st.text(max_size=120))
def test_every_text_comes_back_as_it_went_in(text):
    key = DataKey.from_text(KEY)
    assert key.open("petitioner.name", key.seal("petitioner.name", text)) == text


def test_the_seal_holds_no_plaintext_and_differs_every_time(key):
    first, second = (key.seal("petitioner.name", "李秀英") for _ in range(2))
    assert first != second  # a fresh nonce each time: equal names do not look equal
    assert "李秀英".encode() not in first and b"13812345678" not in key.seal("p", "13812345678")


def test_lengths_are_padded_so_a_short_name_looks_like_a_long_one(key):
    assert len(key.seal("petitioner.name", "李某")) == len(key.seal("petitioner.name", "欧阳秀英"))
    assert len(key.seal("petitioner.name", "")) == len(key.seal("petitioner.name", "李"))


@pytest.mark.parametrize("position", [0, 5, 20, -1])
def test_a_changed_byte_is_caught(key, position):
    sealed = bytearray(key.seal("petitioner.phone", "13812345678"))
    sealed[position] ^= 0x01
    with pytest.raises(TamperedData):
        key.open("petitioner.phone", bytes(sealed))


def test_a_seal_moved_to_another_field_does_not_open(key):
    sealed = key.seal("petitioner.name", "李某")
    with pytest.raises(TamperedData, match="altered or moved"):
        key.open("petitioner.phone", sealed)


def test_a_truncated_or_foreign_value_is_refused(key):
    with pytest.raises(TamperedData):
        key.open("petitioner.name", b"\x01short")
    with pytest.raises(TamperedData, match="format"):
        key.open("petitioner.name", "李某".encode())


def test_another_key_cannot_open_the_seal_and_has_another_id(key):
    other = DataKey.from_text(generate_key())
    assert other.key_id != key.key_id and len(key.key_id) == 16
    with pytest.raises(TamperedData):
        other.open("petitioner.name", key.seal("petitioner.name", "李某"))


def test_the_phone_hash_is_stable_keyed_and_not_the_plain_sha256(key):
    import hashlib

    assert key.phone_hash("13812345678") == DataKey.from_text(KEY).phone_hash("13812345678")
    assert key.phone_hash("13812345678") != key.phone_hash("13812345679")
    assert key.phone_hash("13812345678") != DataKey.from_text(generate_key()).phone_hash(
        "13812345678")
    assert key.phone_hash("13812345678") != hashlib.sha256(b"13812345678").hexdigest()


def test_the_keyring_opens_older_keys_and_names_a_missing_one():
    old, new = generate_key(), generate_key()
    sealed = DataKey.from_text(old).seal("petitioner.name", "李某")
    ring = Keyring.from_texts(new, old)
    old_id = DataKey.from_text(old).key_id
    assert ring.key(old_id).open("petitioner.name", sealed) == "李某"
    assert len(ring.phone_hashes("13812345678")) == 2
    with pytest.raises(DataKeyError, match=f"sealed with key {old_id}.*CASEWORK_OLD_DATA_KEYS"):
        Keyring.from_texts(new).key(old_id)


@pytest.mark.parametrize("text", [None, "", "   "])
def test_a_missing_key_is_one_clear_sentence(text):
    with pytest.raises(DataKeyError, match="is not set: make one with `casework keys generate`"):
        Keyring.from_texts(text)


@pytest.mark.parametrize("text", ["not base64!", base64.b64encode(b"x" * 16).decode(),
                                  base64.b64encode(b"x" * 33).decode(), "a" * 41 + "==="])
def test_a_malformed_key_is_refused(text):
    with pytest.raises(DataKeyError, match="must be 32 random bytes in base64"):
        DataKey.from_text(text)


def test_url_safe_base64_and_missing_padding_are_accepted():
    raw = bytes(range(250, 256)) * 5 + b"\xfb\xff"
    standard = base64.b64encode(raw).decode()
    url_safe = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert DataKey.from_text(standard).key_id == DataKey.from_text(url_safe).key_id


def test_the_key_never_shows_in_a_repr():
    from casework.config import Settings

    assert KEY not in repr(Settings(data_key=KEY)) and KEY not in repr(Keyring.from_texts(KEY))


@pytest.mark.parametrize("number, ok", [
    ("11010519491231002X", True), ("11010519491231002x", True), ("110105194912310021", False),
    ("110105491231002", True), ("1101051949123100", False), ("11010519491231002Y", False)])
def test_resident_id_numbers_are_checked_by_their_check_digit(number, ok):
    if ok:
        assert normalize_id_number(number) == number.upper()
    else:
        with pytest.raises(ValueError):
            normalize_id_number(number)
