#!/usr/bin/env python3
"""Independent reference for SPEC.md sections 13.2, 13.7 and 15.2 (client vectors).

Writes proto/vectors/client.txt: a signed contact card, safety numbers, and an admin-set
change of an alert tree with an object signed by the new set. Checked by
tocsin_client_core_unit_tests (cards, safety numbers) and tocsin_alerts_unit_tests (the
admin set) against the C++ code. Python 3 standard library only: the identity-key
signature and the Edwards arithmetic are gen_relay_vectors.py's (written from RFC 8032
and libsignal-protocol-c's curve25519_sign), the safety number follows libsignal's
displayable fingerprint, and protobuf messages are written by hand.

    python3 tests/vectors/gen_client_vectors.py > proto/vectors/client.txt
"""
import base64
import hashlib
import sys

sys.dont_write_bytecode = True  # the import below leaves no __pycache__ in the tree
from gen_relay_vectors import (  # noqa: E402
    ENVELOPE_KEY_LABEL, SPKI_PREFIX, b32, clamp, ed25519_public, field_bytes, field_varint, seeded,
    signal_sign, x25519_public)

CARD_LABEL = b'tocsin/card/v1'
ADMINS_LABEL = b'tocsin/tree/admins/v1'
REVOCATION_LABEL = b'tocsin/tree/revocation/v1'
FINGERPRINT_ITERATIONS = 5200
JAN_2026_MS = 1767225600000


def identity(label):
    """A libsignal identity key pair: the clamped private key as libsignal stores it."""
    private = clamp(seeded(label))
    return private, x25519_public(private)


def random64(label):
    return seeded(label + '-a') + seeded(label + '-b')


# ---------------------------------------------------------------- contact card (13.2)


def relay_address(label, host, port):
    pin = hashlib.sha256(SPKI_PREFIX + ed25519_public(seeded(label))).digest()
    return f'tocsin://{b32(pin)}@{host}:{port}'


def card_blocks():
    private, public = identity('card-identity-private')
    key_id, created_ms = 3, JAN_2026_MS
    envelope_public = x25519_public(seeded('card-envelope-private'))
    envelope_random = random64('card-envelope-signature-random')
    envelope_signed = (ENVELOPE_KEY_LABEL + key_id.to_bytes(4, 'big') +
                       created_ms.to_bytes(8, 'big') + envelope_public)
    envelope_signature, _ = signal_sign(private, envelope_signed, envelope_random)
    envelope_key = (field_varint(1, key_id) + field_bytes(2, envelope_public) +
                    field_varint(3, created_ms) + field_bytes(4, envelope_signature))
    relay = relay_address('relay-key-1', 'relay.example.org', 7443)
    mailbox_id, token = seeded('card-mailbox-id', 16), seeded('card-intro-token', 16)
    address = field_bytes(1, relay.encode()) + field_bytes(2, mailbox_id) + field_bytes(3, token)
    registration_id, name, card_created_ms = 4242, 'Ana', JAN_2026_MS + 3600000
    card = (field_bytes(1, b'\x05' + public) + field_varint(2, registration_id) +
            field_bytes(3, envelope_key) + field_bytes(4, address) +
            field_bytes(5, name.encode()) + field_varint(6, card_created_ms))
    card_random = random64('card-signature-random')
    signed = CARD_LABEL + card
    signature, _ = signal_sign(private, signed, card_random)
    signed_card = field_bytes(1, card) + field_bytes(2, signature)  # SignedContactCard
    text = 'TOCSIN1:' + base64.b32encode(signed_card).decode().rstrip('=')
    return [
        '# A contact card (section 13): ContactCard{identity_key: 0x05 || identity_public,',
        f'# registration_id: {registration_id}, envelope_key: SignedEnvelopeKey{{key_id: {key_id},',
        f'# public_key: envelope_public, created_ms: {created_ms}, signature: envelope_signature',
        '# (section 10.4.2, with envelope_random)}, addresses: [{relay_text, mailbox_id, token}],',
        f'# suggested_name: "{name}", created_ms: {card_created_ms}}} serialized as `card`;',
        "# `signature` is the identity key's libsignal signature over `signed` =",
        '# "tocsin/card/v1" || card, with the 64 random bytes `random`; `card_text` is',
        '# "TOCSIN1:" || base32 (upper case, unpadded) of SignedContactCard{card, signature}.',
        '[card]', f'identity_private = {private.hex()}', f'identity_public = {public.hex()}',
        f'envelope_public = {envelope_public.hex()}', f'envelope_random = {envelope_random.hex()}',
        f'envelope_signature = {envelope_signature.hex()}', f'relay_text = {relay}',
        f'mailbox_id = {mailbox_id.hex()}', f'token = {token.hex()}', f'card = {card.hex()}',
        f'random = {card_random.hex()}', f'signed = {signed.hex()}',
        f'signature = {signature.hex()}', f'card_text = {text}', '',
    ]


# ---------------------------------------------------------------- safety numbers (13.7)


def fingerprint_digits(public):
    """libsignal-protocol-c's displayable fingerprint of one side (version 0): iterated
    SHA-512 over version (2 bytes, BE) || key || stable identifier, then key; 30 digits
    from the first 30 bytes, five bytes (BE) mod 100000 per group of 5."""
    key = b'\x05' + public
    digest = (0).to_bytes(2, 'big') + key + public.hex().encode()
    for _ in range(FINGERPRINT_ITERATIONS):
        digest = hashlib.sha512(digest + key).digest()
    return ''.join(f'{int.from_bytes(digest[i:i + 5], "big") % 100000:05d}'
                   for i in range(0, 30, 5))


def safety_number_blocks():
    out = []
    for first, second in (('safety-a', 'safety-b'), ('safety-c', 'safety-d')):
        _, local = identity(first)
        _, remote = identity(second)
        local_digits, remote_digits = fingerprint_digits(local), fingerprint_digits(remote)
        digits = ''.join(sorted((local_digits, remote_digits)))
        shown = ' '.join(digits[i:i + 5] for i in range(0, 60, 5))
        out += [
            '# A safety number (section 13.7): each side\'s 30 digits from its identity key',
            '# (stable identifier: the key\'s lower-case hex), the smaller first, in groups of 5.',
            '[safety_number]', f'local_public = {local.hex()}', f'remote_public = {remote.hex()}',
            f'local_digits_text = {local_digits}', f'remote_digits_text = {remote_digits}',
            f'safety_number_text = {shown}', '',
        ]
    return out


# ---------------------------------------------------------------- admin sets (15.2)


def admin_set_blocks():
    admins = [identity(f'tree-admin-{i}') for i in range(3)]
    nonce = bytes([2]) * 16
    genesis = (field_bytes(1, b'eastside') + field_bytes(2, admins[0][1]) +
               field_bytes(2, admins[1][1]) + field_varint(3, 2) +
               field_varint(4, JAN_2026_MS) + field_bytes(5, nonce))
    tree_id = hashlib.sha256(genesis).digest()
    # Version 1: admins 1 and 2, threshold 1; signed by both genesis admins (m = 2).
    body = (field_bytes(1, tree_id) + field_varint(2, 1) + field_bytes(3, admins[1][1]) +
            field_bytes(3, admins[2][1]) + field_varint(4, 1))
    signed = ADMINS_LABEL + body
    signatures = [signal_sign(admins[i][0], signed, random64(f'admin-set-random-{i}'))[0]
                  for i in (0, 1)]
    # A revocation signed by the new set's admin 1 (tree-admin-2) alone.
    revocation = (field_bytes(1, tree_id) + field_varint(2, 4) + field_bytes(3, bytes([0x44]) * 32) +
                  field_varint(4, JAN_2026_MS + 7200000))
    revocation_signed = REVOCATION_LABEL + revocation
    revocation_random = random64('admin-set-revocation-random')
    revocation_signature, _ = signal_sign(admins[2][0], revocation_signed, revocation_random)
    return [
        '# An admin-set change (section 15.2). The genesis names admins 0 and 1 with threshold',
        '# 2; `body` is AdminSet{tree_id, version: 1, admins: [admin 1, admin 2], threshold: 1},',
        "# `signed` = \"tocsin/tree/admins/v1\" || body, and signature_0 / signature_1 are genesis",
        "# admins 0 and 1's libsignal signatures of it (random_0, random_1). `revocation` is",
        '# then signed (revocation label) by the new set\'s admin at index 1 (admin 2) alone,',
        '# carrying the change in Signed.admin_sets.',
        '[admin_set]',
        *[f'admin_private_{i} = {admins[i][0].hex()}' for i in range(3)],
        *[f'admin_public_{i} = {admins[i][1].hex()}' for i in range(3)],
        f'genesis = {genesis.hex()}', f'tree_id = {tree_id.hex()}', f'body = {body.hex()}',
        f'signed = {signed.hex()}',
        *[f'random_{i} = {random64(f"admin-set-random-{i}").hex()}' for i in (0, 1)],
        *[f'signature_{i} = {signatures[i].hex()}' for i in (0, 1)],
        f'revocation = {revocation.hex()}', f'revocation_signed = {revocation_signed.hex()}',
        f'revocation_random = {revocation_random.hex()}',
        f'revocation_signature = {revocation_signature.hex()}', '',
    ]


def main():
    out = ['# Client test vectors (SPEC.md sections 13.2, 13.7 and 15.2). One case per block.',
           '# Values are hex, except for keys ending in _text, whose value is ASCII text.',
           '# Generated by tests/vectors/gen_client_vectors.py; checked by',
           '# tocsin_client_core_unit_tests and tocsin_alerts_unit_tests.', '']
    out += card_blocks()
    out += safety_number_blocks()
    out += admin_set_blocks()
    print('\n'.join(out), end='')


if __name__ == '__main__':
    main()
