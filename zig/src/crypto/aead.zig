//! AEAD: AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305, XChaCha20-Poly1305.
//! Output layout is ciphertext || 16-byte tag.

const std = @import("std");
const h = @import("zcrypto_h");
const common = @import("common.zig");
const Error = common.Error;
// AES-GCM comes from gcm.zig: a one-pass version of std's, byte-identical and several
// times faster where AES-NI and PCLMULQDQ exist (std's elsewhere).
const gcm = @import("gcm.zig");
// (X)ChaCha20-Poly1305 comes from chacha20poly1305.zig: std's construction with a
// column-wise ChaCha20 (no lane shuffles per round), byte-identical and 2-3x faster.
const ccp = @import("chacha20poly1305.zig");

const Alg = enum(c_int) {
    aes128gcm = h.ZC_AES_128_GCM,
    aes256gcm = h.ZC_AES_256_GCM,
    chacha20poly1305 = h.ZC_CHACHA20_POLY1305,
    xchacha20poly1305 = h.ZC_XCHACHA20_POLY1305,
};

fn Cipher(comptime alg: Alg) type {
    return switch (alg) {
        .aes128gcm => gcm.Aes128Gcm,
        .aes256gcm => gcm.Aes256Gcm,
        .chacha20poly1305 => ccp.ChaCha20Poly1305,
        .xchacha20poly1305 => ccp.XChaCha20Poly1305,
    };
}

/// Largest message each construction supports. std asserts these bounds (which
/// would be undefined behaviour in ReleaseFast), so they are checked up front.
fn maxLen(comptime alg: Alg) u64 {
    return switch (alg) {
        .aes128gcm, .aes256gcm => 16 * ((1 << 32) - 2),
        .chacha20poly1305, .xchacha20poly1305 => 64 * ((1 << 32) - 1),
    };
}

const tag_len: usize = h.ZC_AEAD_TAG_LENGTH;

comptime {
    for (std.enums.values(Alg)) |alg| {
        if (Cipher(alg).tag_length != tag_len) @compileError("unexpected tag length");
    }
}

/// Key and nonce, checked against the algorithm's lengths.
fn KeyNonce(comptime alg: Alg) type {
    const C = Cipher(alg);
    return struct { key: [C.key_length]u8, nonce: [C.nonce_length]u8 };
}

fn keyNonce(comptime alg: Alg, key: [*c]const u8, key_len: usize, nonce: [*c]const u8, nonce_len: usize) Error!KeyNonce(alg) {
    const C = Cipher(alg);
    if (key_len != C.key_length or nonce_len != C.nonce_length) return error.Length;
    return .{
        .key = (try common.inFixed(C.key_length, key)).*,
        .nonce = (try common.inFixed(C.nonce_length, nonce)).*,
    };
}

fn sealImpl(alg: c_int, key: [*c]const u8, key_len: usize, nonce: [*c]const u8, nonce_len: usize, aad: [*c]const u8, aad_len: usize, pt: [*c]const u8, pt_len: usize, out: [*c]u8) Error!void {
    const a = std.enums.fromInt(Alg, alg) orelse return error.Algorithm;
    const ad = try common.in(aad, aad_len);
    const m = try common.in(pt, pt_len);
    switch (a) {
        inline else => |ca| {
            if (pt_len > maxLen(ca)) return error.Length;
            var kn = try keyNonce(ca, key, key_len, nonce, nonce_len);
            defer std.crypto.secureZero(u8, &kn.key);
            const dst = try common.out(out, pt_len + tag_len);
            Cipher(ca).encrypt(dst[0..pt_len], dst[pt_len..][0..tag_len], m, ad, kn.nonce, kn.key);
        },
    }
}

pub fn seal(alg: c_int, key: [*c]const u8, key_len: usize, nonce: [*c]const u8, nonce_len: usize, aad: [*c]const u8, aad_len: usize, pt: [*c]const u8, pt_len: usize, out: [*c]u8) callconv(.c) c_int {
    const r = sealImpl(alg, key, key_len, nonce, nonce_len, aad, aad_len, pt, pt_len, out);
    // A length over every algorithm's bound cannot describe a real buffer: leave it alone.
    const wipe_len = if (pt_len <= maxLen(.chacha20poly1305)) pt_len + tag_len else 0;
    return common.resultWipe(r, out, wipe_len);
}

fn openImpl(alg: c_int, key: [*c]const u8, key_len: usize, nonce: [*c]const u8, nonce_len: usize, aad: [*c]const u8, aad_len: usize, sealed: [*c]const u8, sealed_len: usize, out: [*c]u8) Error!void {
    const a = std.enums.fromInt(Alg, alg) orelse return error.Algorithm;
    const ad = try common.in(aad, aad_len);
    if (sealed_len < tag_len) return error.Length;
    const c = try common.in(sealed, sealed_len);
    const ct_len = sealed_len - tag_len;
    switch (a) {
        inline else => |ca| {
            if (ct_len > maxLen(ca)) return error.Length;
            var kn = try keyNonce(ca, key, key_len, nonce, nonce_len);
            defer std.crypto.secureZero(u8, &kn.key);
            const dst = try common.out(out, ct_len);
            const tag = c[ct_len..][0..tag_len].*;
            Cipher(ca).decrypt(dst, c[0..ct_len], tag, ad, kn.nonce, kn.key) catch return error.Auth;
        },
    }
}

pub fn open(alg: c_int, key: [*c]const u8, key_len: usize, nonce: [*c]const u8, nonce_len: usize, aad: [*c]const u8, aad_len: usize, sealed: [*c]const u8, sealed_len: usize, out: [*c]u8) callconv(.c) c_int {
    const r = openImpl(alg, key, key_len, nonce, nonce_len, aad, aad_len, sealed, sealed_len, out);
    // On any failure (in particular a bad tag) the plaintext buffer is zeroed.
    const ct_len = sealed_len -| tag_len;
    return common.resultWipe(r, out, if (ct_len <= maxLen(.chacha20poly1305)) ct_len else 0);
}

// ---------------------------------------------------------------------------
// Tests

const testing = std.testing;
const hex = common.hex;

test {
    _ = gcm;
    _ = ccp;
}

test "AES-128-GCM known answer (GCM spec test case 4, 12-byte IV)" {
    const key = hex("feffe9928665731c6d6a8f9467308308");
    const iv = hex("cafebabefacedbaddecaf888");
    const pt = hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
    const aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
    var out: [pt.len + 16]u8 = undefined;
    try testing.expectEqual(h.ZC_OK, seal(h.ZC_AES_128_GCM, &key, key.len, &iv, iv.len, &aad, aad.len, &pt, pt.len, &out));
    try testing.expectEqualSlices(u8, &hex("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091" ++ "5bc94fbc3221a5db94fae95ae7121a47"), &out);
}

test "ChaCha20-Poly1305 known answer (RFC 8439 2.8.2)" {
    const key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    const nonce = hex("070000004041424344454647");
    const aad = hex("50515253c0c1c2c3c4c5c6c7");
    const pt = "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
    var out: [pt.len + 16]u8 = undefined;
    try testing.expectEqual(h.ZC_OK, seal(h.ZC_CHACHA20_POLY1305, &key, key.len, &nonce, nonce.len, &aad, aad.len, pt, pt.len, &out));
    try testing.expectEqualSlices(u8, &hex("1ae10b594f09e26a7e902ecbd0600691"), out[pt.len..]);
    try testing.expectEqualSlices(u8, &hex("d31a8d34648e60db7b86afbc53ef7ec2"), out[0..16]);
}

test "AEAD round trip and tamper, all algorithms" {
    const key: [32]u8 = @splat(0x42);
    const nonce: [24]u8 = @splat(0x24);
    const aad = "header";
    const algs = [_]struct { c_int, usize, usize }{
        .{ h.ZC_AES_128_GCM, 16, 12 },       .{ h.ZC_AES_256_GCM, 32, 12 },
        .{ h.ZC_CHACHA20_POLY1305, 32, 12 }, .{ h.ZC_XCHACHA20_POLY1305, 32, 24 },
    };
    for (algs) |a| {
        for ([_]usize{ 0, 1, 15, 16, 17, 100, 1000 }) |len| {
            var pt: [1000]u8 = undefined;
            for (pt[0..len], 0..) |*b, i| b.* = @truncate(i * 7);
            var sealed: [1016]u8 = undefined;
            var opened: [1000]u8 = undefined;
            try testing.expectEqual(h.ZC_OK, seal(a[0], &key, a[1], &nonce, a[2], aad, aad.len, &pt, len, &sealed));
            try testing.expectEqual(h.ZC_OK, open(a[0], &key, a[1], &nonce, a[2], aad, aad.len, &sealed, len + 16, &opened));
            try testing.expectEqualSlices(u8, pt[0..len], opened[0..len]);
            // Flip one bit of the ciphertext or tag: authentication fails, output zeroed.
            sealed[len / 2] ^= 1;
            @memset(&opened, 0xaa);
            try testing.expectEqual(h.ZC_ERR_AUTH, open(a[0], &key, a[1], &nonce, a[2], aad, aad.len, &sealed, len + 16, &opened));
            try testing.expect(std.mem.allEqual(u8, opened[0..len], 0));
            sealed[len / 2] ^= 1;
            // Wrong associated data fails too.
            try testing.expectEqual(h.ZC_ERR_AUTH, open(a[0], &key, a[1], &nonce, a[2], "x", 1, &sealed, len + 16, &opened));
        }
    }
}

test "AEAD argument validation" {
    const key: [32]u8 = @splat(1);
    const nonce: [24]u8 = @splat(2);
    var out: [64]u8 = undefined;
    try testing.expectEqual(h.ZC_ERR_ALGORITHM, seal(9, &key, 32, &nonce, 12, null, 0, null, 0, &out));
    try testing.expectEqual(h.ZC_ERR_LENGTH, seal(h.ZC_AES_128_GCM, &key, 32, &nonce, 12, null, 0, null, 0, &out));
    try testing.expectEqual(h.ZC_ERR_LENGTH, seal(h.ZC_AES_256_GCM, &key, 32, &nonce, 24, null, 0, null, 0, &out));
    try testing.expectEqual(h.ZC_ERR_LENGTH, seal(h.ZC_XCHACHA20_POLY1305, &key, 32, &nonce, 12, null, 0, null, 0, &out));
    try testing.expectEqual(h.ZC_ERR_LENGTH, seal(h.ZC_AES_256_GCM, null, 32, &nonce, 12, null, 0, null, 0, &out));
    try testing.expectEqual(h.ZC_ERR_LENGTH, seal(h.ZC_AES_256_GCM, &key, 32, &nonce, 12, null, 0, null, 0, null));
    try testing.expectEqual(h.ZC_ERR_LENGTH, open(h.ZC_AES_256_GCM, &key, 32, &nonce, 12, null, 0, &out, 15, &out));
    try testing.expectEqual(h.ZC_ERR_LENGTH, seal(h.ZC_AES_256_GCM, &key, 32, &nonce, 12, null, 0, null, std.math.maxInt(usize), &out));
}
