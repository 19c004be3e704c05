//! Ed25519 (RFC 8032) on std.crypto.sign.Ed25519.

const std = @import("std");
const h = @import("zcrypto_h");
const common = @import("common.zig");
const Error = common.Error;
const Ed25519 = std.crypto.sign.Ed25519;
const Curve = Ed25519.Curve;
const Sha512 = std.crypto.hash.sha2.Sha512;
const base = @import("ed25519_base.zig");

fn publicKeyImpl(seed: [*c]const u8, public_key: [*c]u8) Error!void {
    const s = try common.inFixed(32, seed);
    const pk = try common.outFixed(32, public_key);
    const kp = Ed25519.KeyPair.generateDeterministic(s.*) catch return error.InvalidKey;
    pk.* = kp.public_key.toBytes();
}

pub fn publicKey(seed: [*c]const u8, public_key: [*c]u8) callconv(.c) c_int {
    return common.resultWipe(publicKeyImpl(seed, public_key), public_key, 32);
}

/// RFC 8032 5.1.6 with secret key = seed || public key (the caller guarantees
/// the public half matches, so it is never re-derived). This is std's
/// KeyPair.sign step for step, except that R = r B comes from
/// ed25519_base.zig's table (no doublings) instead of std's windowed mul.
fn signImpl(secret_key: [*c]const u8, msg: [*c]const u8, msg_len: usize, signature: [*c]u8) Error!void {
    const sk = try common.inFixed(64, secret_key);
    const m = try common.in(msg, msg_len);
    const sig = try common.outFixed(64, signature);
    var az: [64]u8 = undefined;
    defer std.crypto.secureZero(u8, &az);
    Sha512.hash(sk[0..32], &az, .{});
    var a = az[0..32].*;
    defer std.crypto.secureZero(u8, &a);
    Curve.scalar.clamp(&a);

    var nonce64: [64]u8 = undefined;
    defer std.crypto.secureZero(u8, &nonce64);
    var hn = Sha512.init(.{});
    hn.update(az[32..64]);
    hn.update(m);
    hn.final(&nonce64);
    var r = Curve.scalar.reduce64(nonce64);
    defer std.crypto.secureZero(u8, &r);
    const big_r = base.mulBase(&r);
    // r = 0 mod L (probability 2^-252) would give the identity; std rejects it.
    big_r.rejectIdentity() catch return error.InvalidKey;
    const r_bytes = big_r.toBytes();

    var hram64: [64]u8 = undefined;
    var hs = Sha512.init(.{});
    hs.update(&r_bytes);
    hs.update(sk[32..64]);
    hs.update(m);
    hs.final(&hram64);
    const hram = Curve.scalar.reduce64(hram64);
    sig[0..32].* = r_bytes;
    sig[32..64].* = Curve.scalar.mulAdd(hram, a, r);
}

pub fn sign(secret_key: [*c]const u8, msg: [*c]const u8, msg_len: usize, signature: [*c]u8) callconv(.c) c_int {
    return common.resultWipe(signImpl(secret_key, msg, msg_len, signature), signature, 64);
}

/// Decodes a point, rejecting non-canonical encodings and small-order points.
fn decodeStrict(bytes: [32]u8) ?Curve {
    Curve.rejectNonCanonical(bytes) catch return null;
    const p = Curve.fromBytes(bytes) catch return null;
    p.rejectLowOrder() catch return null;
    return p;
}

/// Cofactorless verification, [S]B = R + [H(R || A || M)]A, as std's
/// Verifier.verifyStrict; A and R are decoded once here (each decoding costs a
/// field exponentiation) so that key and signature errors can be told apart.
fn verifyImpl(public_key: [*c]const u8, msg: [*c]const u8, msg_len: usize, signature: [*c]const u8) Error!void {
    const pk = try common.inFixed(32, public_key);
    const m = try common.in(msg, msg_len);
    const sig = try common.inFixed(64, signature);
    const a = decodeStrict(pk.*) orelse return error.InvalidKey;
    const s = sig[32..64].*;
    Curve.scalar.rejectNonCanonical(s) catch return error.InvalidSignature;
    const r = decodeStrict(sig[0..32].*) orelse return error.InvalidSignature;

    var hram64: [Sha512.digest_length]u8 = undefined;
    var hs = Sha512.init(.{});
    hs.update(sig[0..32]);
    hs.update(pk);
    hs.update(m);
    hs.final(&hram64);
    const hram = Curve.scalar.reduce64(hram64);

    const sb_ah = Curve.basePoint.mulDoubleBasePublic(s, a.neg(), hram) catch return error.InvalidSignature;
    const check = sb_ah.sub(r);
    if (!(check.x.isZero() and check.y.equivalent(check.z))) return error.InvalidSignature;
}

pub fn verify(public_key: [*c]const u8, msg: [*c]const u8, msg_len: usize, signature: [*c]const u8) callconv(.c) c_int {
    return common.result(verifyImpl(public_key, msg, msg_len, signature));
}

// ---------------------------------------------------------------------------
// Tests

const testing = std.testing;
const hex = common.hex;

test {
    _ = base;
}

test "signatures equal std's KeyPair.sign" {
    for (0..32) |i| {
        var seed: [32]u8 = undefined;
        try @import("util.zig").fillRandom(&seed);
        const kp = try Ed25519.KeyPair.generateDeterministic(seed);
        var sk: [64]u8 = undefined;
        sk[0..32].* = seed;
        sk[32..64].* = kp.public_key.toBytes();
        var msg: [200]u8 = undefined;
        try @import("util.zig").fillRandom(&msg);
        var sig: [64]u8 = undefined;
        try testing.expectEqual(h.ZC_OK, sign(&sk, &msg, i * 6, &sig));
        try testing.expectEqualSlices(u8, &(try kp.sign(msg[0 .. i * 6], null)).toBytes(), &sig);
    }
}

const Vector = struct { seed: []const u8, pk: []const u8, msg: []const u8, sig: []const u8 };

// RFC 8032 section 7.1, tests 1-3.
const rfc8032 = [_]Vector{
    .{ .seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", .pk = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", .msg = "", .sig = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
    .{ .seed = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", .pk = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", .msg = "72", .sig = "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
    .{ .seed = "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7", .pk = "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", .msg = "af82", .sig = "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
};

test "Ed25519 RFC 8032 vectors" {
    inline for (rfc8032) |v| {
        const seed = hex(v.seed);
        const msg = hex(v.msg);
        var sk: [64]u8 = undefined;
        sk[0..32].* = seed;
        try testing.expectEqual(h.ZC_OK, publicKey(&seed, sk[32..]));
        try testing.expectEqualSlices(u8, &hex(v.pk), sk[32..]);
        var sig: [64]u8 = undefined;
        try testing.expectEqual(h.ZC_OK, sign(&sk, &msg, msg.len, &sig));
        try testing.expectEqualSlices(u8, &hex(v.sig), &sig);
        try testing.expectEqual(h.ZC_OK, verify(sk[32..], &msg, msg.len, &sig));
        // Any change to message or signature is rejected.
        sig[5] ^= 0x10;
        try testing.expectEqual(h.ZC_ERR_INVALID_SIGNATURE, verify(sk[32..], &msg, msg.len, &sig));
        sig[5] ^= 0x10;
        try testing.expectEqual(h.ZC_ERR_INVALID_SIGNATURE, verify(sk[32..], "x", 1, &sig));
    }
}

test "Ed25519 rejects non-canonical S, small-order keys and small-order R" {
    const v = rfc8032[0];
    const pk = hex(v.pk);
    var sig = hex(v.sig);
    // S + L is the same scalar mod L but non-canonical.
    const l: u256 = 7237005577332262213973186563042994240857116359379907606001950938285454250989;
    const s = std.mem.readInt(u256, sig[32..64], .little);
    std.mem.writeInt(u256, sig[32..64], s + l, .little);
    try testing.expectEqual(h.ZC_ERR_INVALID_SIGNATURE, verify(&pk, "", 0, &sig));

    // The identity (small order) as a public key, and as R.
    var ident: [32]u8 = @splat(0);
    ident[0] = 1;
    const good = hex(v.sig);
    try testing.expectEqual(h.ZC_ERR_INVALID_KEY, verify(&ident, "", 0, &good));
    var bad_r = good;
    bad_r[0..32].* = ident;
    try testing.expectEqual(h.ZC_ERR_INVALID_SIGNATURE, verify(&pk, "", 0, &bad_r));
    // Non-canonical y (p + 1 encodes 1 again).
    var noncanon: [32]u8 = @splat(0xff);
    noncanon[0] = 0xee;
    noncanon[31] = 0x7f;
    try testing.expectEqual(h.ZC_ERR_INVALID_KEY, verify(&noncanon, "", 0, &good));
    try testing.expectEqual(h.ZC_ERR_LENGTH, verify(null, "", 0, &good));
    try testing.expectEqual(h.ZC_ERR_LENGTH, verify(&pk, null, 1, &good));
}

test "Ed25519 sign/verify round trip with random keys" {
    var i: usize = 0;
    while (i < 32) : (i += 1) {
        var sk: [64]u8 = undefined;
        try @import("util.zig").fillRandom(sk[0..32]);
        try testing.expectEqual(h.ZC_OK, publicKey(&sk, sk[32..]));
        var msg: [100]u8 = undefined;
        try @import("util.zig").fillRandom(&msg);
        var sig: [64]u8 = undefined;
        try testing.expectEqual(h.ZC_OK, sign(&sk, &msg, i, &sig));
        try testing.expectEqual(h.ZC_OK, verify(sk[32..], &msg, i, &sig));
        try testing.expectEqual(h.ZC_ERR_INVALID_SIGNATURE, verify(sk[32..], &msg, i + 1, &sig));
    }
}
