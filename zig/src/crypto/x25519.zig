//! X25519 (RFC 7748) on std.crypto.dh.X25519.

const std = @import("std");
const h = @import("zcrypto_h");
const common = @import("common.zig");
const Error = common.Error;
const X25519 = std.crypto.dh.X25519;

fn publicKeyImpl(secret_key: [*c]const u8, public_key: [*c]u8) Error!void {
    const sk = try common.inFixed(32, secret_key);
    const pk = try common.outFixed(32, public_key);
    // Same computation as X25519.recoverPublicKey, whose `catch unreachable`
    // is avoided here: the library must have no unreachable paths.
    const q = X25519.Curve.basePoint.clampedMul(sk.*) catch return error.InvalidKey;
    pk.* = q.toBytes();
}

pub fn publicKey(secret_key: [*c]const u8, public_key: [*c]u8) callconv(.c) c_int {
    return common.resultWipe(publicKeyImpl(secret_key, public_key), public_key, 32);
}

fn sharedSecretImpl(secret_key: [*c]const u8, public_key: [*c]const u8, out: [*c]u8) Error!void {
    const sk = try common.inFixed(32, secret_key);
    const pk = try common.inFixed(32, public_key);
    const dst = try common.outFixed(32, out);
    // std reports an all-zero result (a small-order peer key) as IdentityElement.
    dst.* = X25519.scalarmult(sk.*, pk.*) catch return error.WeakKey;
    const zero: [32]u8 = @splat(0);
    if (std.crypto.timing_safe.eql([32]u8, dst.*, zero)) return error.WeakKey;
}

pub fn sharedSecret(secret_key: [*c]const u8, public_key: [*c]const u8, out: [*c]u8) callconv(.c) c_int {
    return common.resultWipe(sharedSecretImpl(secret_key, public_key, out), out, 32);
}

// ---------------------------------------------------------------------------
// Tests

const testing = std.testing;
const hex = common.hex;

test "X25519 RFC 7748 section 5.2 vector 1" {
    const sk = hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
    const u = hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
    var out: [32]u8 = undefined;
    try testing.expectEqual(h.ZC_OK, sharedSecret(&sk, &u, &out));
    try testing.expectEqualSlices(u8, &hex("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"), &out);
}

test "X25519 RFC 7748 section 6.1 Diffie-Hellman" {
    const a = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    const b = hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    var pa: [32]u8 = undefined;
    var pb: [32]u8 = undefined;
    try testing.expectEqual(h.ZC_OK, publicKey(&a, &pa));
    try testing.expectEqual(h.ZC_OK, publicKey(&b, &pb));
    try testing.expectEqualSlices(u8, &hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"), &pa);
    try testing.expectEqualSlices(u8, &hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"), &pb);
    var k1: [32]u8 = undefined;
    var k2: [32]u8 = undefined;
    try testing.expectEqual(h.ZC_OK, sharedSecret(&a, &pb, &k1));
    try testing.expectEqual(h.ZC_OK, sharedSecret(&b, &pa, &k2));
    const want = hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    try testing.expectEqualSlices(u8, &want, &k1);
    try testing.expectEqualSlices(u8, &want, &k2);
}

test "X25519 small-order peer key gives WEAK_KEY and zero output" {
    const sk: [32]u8 = @splat(0x11);
    const zero_u: [32]u8 = @splat(0);
    var one_u: [32]u8 = @splat(0);
    one_u[0] = 1;
    var out: [32]u8 = @splat(0xaa);
    try testing.expectEqual(h.ZC_ERR_WEAK_KEY, sharedSecret(&sk, &zero_u, &out));
    try testing.expect(std.mem.allEqual(u8, &out, 0));
    @memset(&out, 0xaa);
    try testing.expectEqual(h.ZC_ERR_WEAK_KEY, sharedSecret(&sk, &one_u, &out));
    try testing.expect(std.mem.allEqual(u8, &out, 0));
    try testing.expectEqual(h.ZC_ERR_LENGTH, sharedSecret(&sk, null, &out));
}
