#!/usr/bin/env python3
"""Independent reference for SPEC.md sections 1, 3, 6, 7 and 10.4 (relay protocol vectors).

Writes proto/vectors/relay.txt, which tests/proto/spec_vectors_test.cpp checks against
libsodium, OpenSSL and tocsin::proto. Python 3 standard library only: Ed25519 is written
below from RFC 8032 section 6 (and checked against the RFC's own test vectors), the
identity-key signature of envelope keys follows libsignal-protocol-c's curve25519_sign,
and frames are protobuf bytes written by hand.

    python3 tests/vectors/gen_relay_vectors.py > proto/vectors/relay.txt
"""
import base64
import hashlib

# ---------------------------------------------------------------- Ed25519 (RFC 8032)

P = 2**255 - 19
Q = 2**252 + 27742317777372353535851937790883648493  # the group order (RFC 8032 calls it L)
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def sha512(data):
    return hashlib.sha512(data).digest()


def sha512_mod_q(data):
    return int.from_bytes(sha512(data), 'little') % Q


def point_add(p1, p2):
    """Extended homogeneous coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, xy = T/Z."""
    a = (p1[1] - p1[0]) * (p2[1] - p2[0]) % P
    b = (p1[1] + p1[0]) * (p2[1] + p2[0]) % P
    c = 2 * p1[3] * p2[3] * D % P
    d = 2 * p1[2] * p2[2] % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def point_mul(s, point):
    result = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            result = point_add(result, point)
        point = point_add(point, point)
        s >>= 1
    return result


def recover_x(y, sign):
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    assert (x * x - x2) % P == 0
    return P - x if (x & 1) != sign else x


BASE_Y = 4 * pow(5, P - 2, P) % P
BASE_X = recover_x(BASE_Y, 0)
BASE = (BASE_X, BASE_Y, 1, BASE_X * BASE_Y % P)


def compress(point):
    z_inv = pow(point[2], P - 2, P)
    x, y = point[0] * z_inv % P, point[1] * z_inv % P
    return (y | ((x & 1) << 255)).to_bytes(32, 'little')


def montgomery_u(point):
    """The X25519 (Montgomery u) form of an Edwards point: u = (1 + y) / (1 - y)."""
    return ((point[2] + point[1]) * pow(point[2] - point[1], P - 2, P) % P).to_bytes(32, 'little')


def ed25519_keys(seed):
    h = sha512(seed)
    a = int.from_bytes(h[:32], 'little')
    a = (a & ((1 << 254) - 8)) | (1 << 254)
    return a, h[32:], compress(point_mul(a, BASE))


def ed25519_public(seed):
    return ed25519_keys(seed)[2]


def ed25519_sign(seed, message):
    a, prefix, public = ed25519_keys(seed)
    r = sha512_mod_q(prefix + message)
    big_r = compress(point_mul(r, BASE))
    s = (r + sha512_mod_q(big_r + public + message) * a) % Q
    return big_r + s.to_bytes(32, 'little')


# ---------------------------------------------------------------- libsignal's identity signature


def clamp(k):
    k = bytearray(k)
    k[0] &= 248
    k[31] &= 127
    k[31] |= 64
    return bytes(k)


def x25519_public(private):
    return montgomery_u(point_mul(int.from_bytes(clamp(private), 'little'), BASE))


def signal_sign(private, message, random64):
    """libsignal-protocol-c 2.3.3 curve_calculate_signature (curve25519_sign):
    a = the private key as stored, A = a.B with its real sign bit,
    r = SHA-512(0xFE || 0xFF * 31 || a || M || Z), s = r + SHA-512(R || A || M) a,
    signature = R || s with A's sign bit moved into bit 7 of the last byte."""
    a = int.from_bytes(private, 'little')
    public = compress(point_mul(a, BASE))
    r = sha512_mod_q(b'\xfe' + b'\xff' * 31 + private + message + random64)
    big_r = compress(point_mul(r, BASE))
    s = (r + sha512_mod_q(big_r + public + message) * a) % Q
    signature = bytearray(big_r + s.to_bytes(32, 'little'))
    signature[63] = (signature[63] & 0x7f) | (public[31] & 0x80)
    return bytes(signature), public


# ---------------------------------------------------------------- protobuf, by hand


def varint(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7f, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field_varint(number, value):
    """Wire type 0; proto3 leaves out a field that holds its default (0)."""
    return varint(number << 3 | 0) + varint(value) if value else b''


def field_bytes(number, data):
    """Wire type 2: bytes, strings and sub-messages (a set sub-message is written even
    when empty)."""
    return varint(number << 3 | 2) + varint(len(data)) + data


def framed(frame):
    return len(frame).to_bytes(4, 'big') + frame


# ---------------------------------------------------------------- vectors


def seeded(label, n=32):
    return hashlib.sha256(label.encode()).digest()[:n]


def b32(data):
    return base64.b32encode(data).decode().lower().rstrip('=')


def blake2b_256(data):
    return hashlib.blake2b(data, digest_size=32).digest()


SPKI_PREFIX = bytes.fromhex('302a300506032b6570032100')
AUTH_LABEL = b'tocsin/relay/auth/v1'
CREATE_LABEL = b'tocsin/relay/create-mailbox/v1'
ENVELOPE_KEY_LABEL = b'tocsin/envelope-key/v1'

# RFC 8032 section 7.1, TEST 1 and TEST 2: a check of the Ed25519 above.
RFC8032 = [
    ('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
     'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', '',
     'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf'
     '9b46bd25bf5f0595bbe24655141438e7a100b'),
    ('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
     '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', '72',
     '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f'
     '11d8c387b2eaeb4302aeeb00d291612bb0c00'),
]


def rfc8032_blocks():
    out = []
    for seed, public, message, signature in RFC8032:
        seed, message = bytes.fromhex(seed), bytes.fromhex(message)
        assert ed25519_public(seed).hex() == public
        assert ed25519_sign(seed, message).hex() == signature
        out += ['# RFC 8032 section 7.1: checks the Ed25519 used below.', '[ed25519]',
                f'seed = {seed.hex()}', f'public_key = {public}', f'message = {message.hex()}',
                f'signature = {signature}', '']
    return out


def auth_blocks(server_nonce, mailbox_id):
    seed = seeded('mailbox-auth-seed')
    public = ed25519_public(seed)
    auth = AUTH_LABEL + server_nonce + mailbox_id
    create = CREATE_LABEL + server_nonce + public
    return [
        '# Authenticate.signature (section 6.1): Ed25519 by the mailbox auth key over',
        '# "tocsin/relay/auth/v1" || server_nonce (32) || mailbox_id (16).',
        '[auth]', f'seed = {seed.hex()}', f'public_key = {public.hex()}',
        f'server_nonce = {server_nonce.hex()}', f'mailbox_id = {mailbox_id.hex()}',
        f'signed = {auth.hex()}', f'signature = {ed25519_sign(seed, auth).hex()}', '',
        '# CreateMailbox.signature (section 6.2): Ed25519 by the new auth key over',
        '# "tocsin/relay/create-mailbox/v1" || server_nonce (32) || auth_public_key (32).',
        '[create_mailbox]', f'seed = {seed.hex()}', f'public_key = {public.hex()}',
        f'server_nonce = {server_nonce.hex()}', f'signed = {create.hex()}',
        f'signature = {ed25519_sign(seed, create).hex()}', '',
    ]


def token_and_invite_blocks():
    out = []
    for label in ('delivery-token-1', 'delivery-token-2'):
        token = seeded(label, 16)
        out += ['# Delivery token hash (section 7.1): BLAKE2b-256, no key, of the 16-byte token.',
                '[token_hash]', f'token = {token.hex()}', f'hash = {blake2b_256(token).hex()}', '']
    for label in ('invite-1', 'invite-2'):
        invite = seeded(label, 16)
        text = b32(invite)
        assert len(text) == 26
        out += ['# Invite (section 6.3): stored as BLAKE2b-256; text form is base32, lower case,',
                '# unpadded, 26 characters.',
                '[invite]', f'invite = {invite.hex()}', f'hash = {blake2b_256(invite).hex()}',
                f'invite_text = {text}', '']
    return out


def pin_blocks():
    out = []
    for label, host, port in (('relay-key-1', 'relay.example.org', 7443),
                              ('relay-key-2', '2001:db8::7', 443)):
        seed = seeded(label)
        public = ed25519_public(seed)
        spki = SPKI_PREFIX + public
        pin = hashlib.sha256(spki).digest()
        shown = f'[{host}]' if ':' in host else host
        out += ['# Relay pin (section 1): SHA-256 of the DER SubjectPublicKeyInfo of the relay\'s',
                '# Ed25519 key (the fixed prefix 302a300506032b6570032100 || the 32-byte key).',
                '[relay_pin]', f'seed = {seed.hex()}', f'public_key = {public.hex()}',
                f'spki = {spki.hex()}', f'pin = {pin.hex()}', f'pin_text = {b32(pin)}',
                f'host_text = {host}', f'port_text = {port}',
                f'address_text = tocsin://{b32(pin)}@{shown}:{port}', '']
    return out


def identity_with_sign_bit(sign):
    """A clamped identity private key whose Edwards public key has the given sign bit:
    the vectors cover both, since the bit travels in the signature."""
    for n in range(100):
        private = clamp(seeded(f'identity-private-{n}'))
        if compress(point_mul(int.from_bytes(private, 'little'), BASE))[31] >> 7 == sign:
            return private
    raise AssertionError('no key found')


def envelope_key_blocks():
    out = []
    for sign, key_id in ((0, 7), (1, 8)):
        identity = identity_with_sign_bit(sign)
        envelope_public = x25519_public(seeded(f'envelope-private-{key_id}'))
        key_id = key_id.to_bytes(4, 'big')
        created_ms = (1767225600000 + 7 * 86400000 * sign).to_bytes(8, 'big')  # 2026-01-01 (+7 d)
        random64 = seeded(f'signature-random-{sign}-a') + seeded(f'signature-random-{sign}-b')
        signed = ENVELOPE_KEY_LABEL + key_id + created_ms + envelope_public
        signature, edwards = signal_sign(identity, signed, random64)
        assert signature[63] >> 7 == sign
        out += [
            "# SignedEnvelopeKey.signature (section 10.4): the identity key's libsignal signature",
            '# (curve_calculate_signature with the 64 random bytes `random`) over',
            '# "tocsin/envelope-key/v1" || key_id (4, BE) || created_ms (8, BE) || public_key (32).',
            f'# identity_ed25519 is the Edwards form of the identity key; its sign bit is {sign}.',
            '[envelope_key]', f'identity_private = {identity.hex()}',
            f'identity_public = {x25519_public(identity).hex()}',
            f'identity_ed25519 = {edwards.hex()}', f'key_id = {key_id.hex()}',
            f'created_ms = {created_ms.hex()}', f'public_key = {envelope_public.hex()}',
            f'random = {random64.hex()}', f'signed = {signed.hex()}',
            f'signature = {signature.hex()}', '',
        ]
    return out


def hello_frames():
    out = []
    for kind, name in ((1, 'OWNER'), (2, 'SEND')):
        hello = field_varint(1, 1) + field_varint(2, kind)          # Hello{version=1, kind}
        request = field_varint(1, 1) + field_bytes(10, hello)       # Request{id=1, hello=10}
        frame = field_bytes(1, request)                             # Frame{request=1}
        out += [f'# Frame{{request{{id: 1, hello{{version: 1, kind: {name}}}}}}} (section 3).',
                '[frame]', f'kind_text = hello-{name.lower()}', f'frame = {framed(frame).hex()}', '']
    return out


DEFAULT_LIMITS = [262144, 65792, 65792, 2000, 20000, 259200, 1024, 16, 200]  # Limits fields 1..9


def hello_ok_frame(server_nonce):
    limits = b''.join(field_varint(i + 1, v) for i, v in enumerate(DEFAULT_LIMITS))
    hello_ok = (field_varint(1, 1) + field_bytes(2, server_nonce)    # version=1, server_nonce=2
                + field_bytes(3, limits) + field_varint(4, 1767225600000))  # limits=3, time=4
    response = field_varint(1, 1) + field_bytes(10, hello_ok)      # Response{id=1, hello=10}
    frame = field_bytes(2, response)                               # Frame{response=2}
    return ['# Frame{response{id: 1, hello{version: 1, server_nonce, limits: the defaults of',
            '# section 11, server_time_ms: 1767225600000}}}.',
            '[frame]', 'kind_text = hello-ok', f'server_nonce = {server_nonce.hex()}',
            f'frame = {framed(frame).hex()}', '']


def other_frames(mailbox_id, signature):
    auth = field_bytes(1, mailbox_id) + field_bytes(2, signature)  # Authenticate{1, 2}
    request = field_varint(1, 2) + field_bytes(12, auth)           # Request{id=2, authenticate=12}
    message = b'declared frame length over the maximum'
    error = field_varint(1, 6) + field_bytes(2, message)           # Error{code=TOO_LARGE, message}
    response = field_bytes(2, error)                               # Response{id=0 (absent), error=2}
    return ['# Frame{request{id: 2, authenticate{mailbox_id, signature}}} with the [auth] values.',
            '[frame]', 'kind_text = authenticate', f'mailbox_id = {mailbox_id.hex()}',
            f'signature = {signature.hex()}',
            f'frame = {framed(field_bytes(1, request)).hex()}', '',
            '# A stream error (section 3.3): Frame{response{id: 0, error{code: TOO_LARGE,',
            f'# message: "{message.decode()}"}}}}}}; id 0 is absent on the wire.',
            '[frame]', 'kind_text = stream-error', f'message_text = {message.decode()}',
            f'frame = {framed(field_bytes(2, response)).hex()}', '']


def main():
    server_nonce = seeded('server-nonce')
    mailbox_id = seeded('mailbox-id', 16)
    seed = seeded('mailbox-auth-seed')
    auth_signature = ed25519_sign(seed, AUTH_LABEL + server_nonce + mailbox_id)
    out = ['# Relay protocol test vectors (SPEC.md sections 1, 3, 6, 7 and 10.4). One case per',
           '# block. Values are hex, except for keys ending in _text, whose value is ASCII text.',
           '# Generated by tests/vectors/gen_relay_vectors.py; checked by tocsin_spec_vector_tests.',
           '']
    out += rfc8032_blocks()
    out += auth_blocks(server_nonce, mailbox_id)
    out += token_and_invite_blocks()
    out += pin_blocks()
    out += envelope_key_blocks()
    out += hello_frames()
    out += hello_ok_frame(server_nonce)
    out += other_frames(mailbox_id, auth_signature)
    print('\n'.join(out), end='')


if __name__ == '__main__':
    main()
