//! MAC and key derivation: HMAC, HKDF, PBKDF2 (SHA-256 / SHA-512) and Argon2id.

const std = @import("std");
const h = @import("zcrypto_h");
const common = @import("common.zig");
const Error = common.Error;
const sha2 = std.crypto.hash.sha2;
const argon2 = std.crypto.pwhash.argon2;

const MacAlg = enum { sha256, sha512 };

fn parseMacAlg(alg: c_int) Error!MacAlg {
    return switch (alg) {
        h.ZC_SHA256 => .sha256,
        h.ZC_SHA512 => .sha512,
        else => error.Algorithm,
    };
}

fn Hash(comptime alg: MacAlg) type {
    return switch (alg) {
        .sha256 => sha2.Sha256,
        .sha512 => sha2.Sha512,
    };
}

fn Hmac(comptime alg: MacAlg) type {
    return std.crypto.auth.hmac.Hmac(Hash(alg));
}

// ---------------------------------------------------------------------------
// HMAC

fn hmacImpl(alg: c_int, key: [*c]const u8, key_len: usize, msg: [*c]const u8, msg_len: usize, out: [*c]u8, out_len: usize) Error!void {
    const a = try parseMacAlg(alg);
    const k = try common.in(key, key_len);
    const m = try common.in(msg, msg_len);
    switch (a) {
        inline else => |ca| {
            const M = Hmac(ca);
            if (out_len != M.mac_length) return error.Length;
            M.create(try common.outFixed(M.mac_length, out), m, k);
        },
    }
}

pub fn hmac(alg: c_int, key: [*c]const u8, key_len: usize, msg: [*c]const u8, msg_len: usize, out: [*c]u8, out_len: usize) callconv(.c) c_int {
    return common.resultWipe(hmacImpl(alg, key, key_len, msg, msg_len, out, out_len), out, out_len);
}

// ---------------------------------------------------------------------------
// HKDF (RFC 5869)

fn hkdfImpl(alg: c_int, ikm: [*c]const u8, ikm_len: usize, salt: [*c]const u8, salt_len: usize, info: [*c]const u8, info_len: usize, out: [*c]u8, out_len: usize) Error!void {
    const a = try parseMacAlg(alg);
    const key_material = try common.in(ikm, ikm_len);
    const s = try common.in(salt, salt_len);
    const ctx = try common.in(info, info_len);
    switch (a) {
        inline else => |ca| {
            const K = std.crypto.kdf.hkdf.Hkdf(Hmac(ca));
            // expand() asserts the RFC bound; check it here so no input can trip it.
            if (out_len == 0 or out_len > 255 * K.prk_length) return error.Length;
            const dst = try common.out(out, out_len);
            var prk = K.extract(s, key_material);
            defer std.crypto.secureZero(u8, &prk);
            K.expand(dst, ctx, prk);
        },
    }
}

pub fn hkdf(alg: c_int, ikm: [*c]const u8, ikm_len: usize, salt: [*c]const u8, salt_len: usize, info: [*c]const u8, info_len: usize, out: [*c]u8, out_len: usize) callconv(.c) c_int {
    const r = hkdfImpl(alg, ikm, ikm_len, salt, salt_len, info, info_len, out, out_len);
    return common.resultWipe(r, out, out_len);
}

// ---------------------------------------------------------------------------
// PBKDF2 (RFC 8018)

/// PBKDF2-HMAC with the inner and outer HMAC states keyed once. std's pbkdf2
/// re-keys HMAC on every iteration (four compressions instead of two), which
/// halves throughput; this produces identical output (checked in the tests).
fn pbkdf2Hmac(comptime alg: MacAlg, dk: []u8, password: []const u8, salt: []const u8, rounds: u32) void {
    const H = Hash(alg);
    const M = Hmac(alg);
    const len = M.mac_length;
    var keyed = M.init(password);
    defer std.crypto.secureZero(u8, std.mem.asBytes(&keyed));
    var outer = H.init(.{});
    outer.update(&keyed.o_key_pad);
    defer std.crypto.secureZero(u8, std.mem.asBytes(&outer));

    var block: u32 = 1;
    var off: usize = 0;
    while (off < dk.len) : ({
        block += 1;
        off += len;
    }) {
        var u: [len]u8 = undefined;
        var mac = keyed;
        mac.update(salt);
        mac.update(&std.mem.toBytes(std.mem.nativeToBig(u32, block)));
        mac.final(&u);
        var t = u;
        var i: u32 = 1;
        while (i < rounds) : (i += 1) {
            var inner = keyed.hash;
            inner.update(&u);
            inner.final(&u);
            var o = outer;
            o.update(&u);
            o.final(&u);
            for (&t, u) |*x, y| x.* ^= y;
        }
        const n = @min(len, dk.len - off);
        @memcpy(dk[off..][0..n], t[0..n]);
        std.crypto.secureZero(u8, &t);
        std.crypto.secureZero(u8, &u);
    }
}

fn pbkdf2Impl(alg: c_int, password: [*c]const u8, password_len: usize, salt: [*c]const u8, salt_len: usize, iterations: u32, out: [*c]u8, out_len: usize) Error!void {
    const a = try parseMacAlg(alg);
    const pw = try common.in(password, password_len);
    const s = try common.in(salt, salt_len);
    if (iterations < 1) return error.Params;
    // The block counter is 32 bits; the header bounds out_len to 2^32 - 1.
    if (out_len == 0 or out_len > std.math.maxInt(u32)) return error.Length;
    const dk = try common.out(out, out_len);
    switch (a) {
        inline else => |ca| pbkdf2Hmac(ca, dk, pw, s, iterations),
    }
}

pub fn pbkdf2(alg: c_int, password: [*c]const u8, password_len: usize, salt: [*c]const u8, salt_len: usize, iterations: u32, out: [*c]u8, out_len: usize) callconv(.c) c_int {
    const r = pbkdf2Impl(alg, password, password_len, salt, salt_len, iterations, out, out_len);
    // A length over the 32-bit bound cannot describe a real buffer: leave it alone.
    return common.resultWipe(r, out, if (out_len <= std.math.maxInt(u32)) out_len else 0);
}

// ---------------------------------------------------------------------------
// Argon2id (RFC 9106)

const max_m_cost_kib: u32 = 4 * 1024 * 1024; // 4 GiB

/// Argon2id with optional secret and associated data (the C API passes none;
/// the RFC 9106 test vector needs both).
fn argon2idFull(out: []u8, password: []const u8, salt: []const u8, t_cost: u32, m_cost_kib: u32, parallelism: u32, secret: ?[]const u8, ad: ?[]const u8) Error!void {
    if (t_cost < 1 or parallelism < 1 or parallelism > 255) return error.Params;
    if (m_cost_kib < 8 * parallelism or m_cost_kib > max_m_cost_kib) return error.Params;
    if (salt.len < 8 or out.len < 4) return error.Params;
    // std checks these with errors too, but keep the u32 limits explicit.
    if (out.len > std.math.maxInt(u32) or password.len > std.math.maxInt(u32) or salt.len > std.math.maxInt(u32)) return error.Params;
    const params: argon2.Params = .{
        .t = t_cost,
        .m = m_cost_kib,
        .p = @intCast(parallelism),
        .secret = secret,
        .ad = ad,
    };
    // argon2.zig: std's construction with vectorised block compression; lanes are
    // processed in turn on the calling thread (the caller is already off the JS
    // thread), and memory comes from mmap (page_allocator): no threads, no libc.
    @import("argon2.zig").kdf(out, password, salt, params) catch |e| return switch (e) {
        error.OutOfMemory => error.NoMem,
        else => error.Params,
    };
}

fn argon2idImpl(password: [*c]const u8, password_len: usize, salt: [*c]const u8, salt_len: usize, t_cost: u32, m_cost_kib: u32, parallelism: u32, out: [*c]u8, out_len: usize) Error!void {
    const pw = try common.in(password, password_len);
    const s = try common.in(salt, salt_len);
    const dst = try common.out(out, out_len);
    return argon2idFull(dst, pw, s, t_cost, m_cost_kib, parallelism, null, null);
}

pub fn argon2id(password: [*c]const u8, password_len: usize, salt: [*c]const u8, salt_len: usize, t_cost: u32, m_cost_kib: u32, parallelism: u32, out: [*c]u8, out_len: usize) callconv(.c) c_int {
    const r = argon2idImpl(password, password_len, salt, salt_len, t_cost, m_cost_kib, parallelism, out, out_len);
    return common.resultWipe(r, out, out_len);
}

// ---------------------------------------------------------------------------
// Tests

const testing = std.testing;
const hex = common.hex;

test "HMAC RFC 4231 test case 1 and 2" {
    var out: [64]u8 = undefined;
    const key1: [20]u8 = @splat(0x0b);
    try testing.expectEqual(h.ZC_OK, hmac(h.ZC_SHA256, &key1, key1.len, "Hi There", 8, &out, 32));
    try testing.expectEqualSlices(u8, &hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"), out[0..32]);
    try testing.expectEqual(h.ZC_OK, hmac(h.ZC_SHA512, &key1, key1.len, "Hi There", 8, &out, 64));
    try testing.expectEqualSlices(u8, &hex("87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"), &out);
    const msg2 = "what do ya want for nothing?";
    try testing.expectEqual(h.ZC_OK, hmac(h.ZC_SHA256, "Jefe", 4, msg2, msg2.len, &out, 32));
    try testing.expectEqualSlices(u8, &hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"), out[0..32]);
    try testing.expectEqual(h.ZC_ERR_LENGTH, hmac(h.ZC_SHA256, "Jefe", 4, msg2, msg2.len, &out, 64));
    try testing.expectEqual(h.ZC_ERR_ALGORITHM, hmac(h.ZC_SHA3_256, "Jefe", 4, msg2, msg2.len, &out, 32));
    try testing.expectEqual(h.ZC_ERR_LENGTH, hmac(h.ZC_SHA256, null, 4, msg2, msg2.len, &out, 32));
}

test "HKDF RFC 5869 test case 1" {
    const ikm: [22]u8 = @splat(0x0b);
    const salt = hex("000102030405060708090a0b0c");
    const info = hex("f0f1f2f3f4f5f6f7f8f9");
    var okm: [42]u8 = undefined;
    try testing.expectEqual(h.ZC_OK, hkdf(h.ZC_SHA256, &ikm, ikm.len, &salt, salt.len, &info, info.len, &okm, okm.len));
    try testing.expectEqualSlices(u8, &hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"), &okm);
    // Empty salt and info are fine; lengths out of the RFC bounds are not.
    try testing.expectEqual(h.ZC_OK, hkdf(h.ZC_SHA512, &ikm, ikm.len, null, 0, null, 0, &okm, okm.len));
    try testing.expectEqual(h.ZC_ERR_LENGTH, hkdf(h.ZC_SHA256, &ikm, ikm.len, null, 0, null, 0, &okm, 0));
    var big: [255 * 32 + 1]u8 = undefined;
    try testing.expectEqual(h.ZC_OK, hkdf(h.ZC_SHA256, &ikm, ikm.len, null, 0, null, 0, &big, 255 * 32));
    try testing.expectEqual(h.ZC_ERR_LENGTH, hkdf(h.ZC_SHA256, &ikm, ikm.len, null, 0, null, 0, &big, big.len));
}

test "PBKDF2-HMAC-SHA256 vectors and equality with std" {
    var out: [40]u8 = undefined;
    try testing.expectEqual(h.ZC_OK, pbkdf2(h.ZC_SHA256, "password", 8, "salt", 4, 1, &out, 32));
    try testing.expectEqualSlices(u8, &hex("120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"), out[0..32]);
    try testing.expectEqual(h.ZC_OK, pbkdf2(h.ZC_SHA256, "password", 8, "salt", 4, 4096, &out, 32));
    try testing.expectEqualSlices(u8, &hex("c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"), out[0..32]);

    // Multi-block, partial last block, both hashes: identical to std's pbkdf2.
    inline for (.{ .{ h.ZC_SHA256, std.crypto.auth.hmac.sha2.HmacSha256 }, .{ h.ZC_SHA512, std.crypto.auth.hmac.sha2.HmacSha512 } }) |c| {
        var got: [150]u8 = undefined;
        var want: [150]u8 = undefined;
        try testing.expectEqual(h.ZC_OK, pbkdf2(c[0], "passwordPASSWORDpassword", 24, "saltSALTsaltSALTsaltSALTsaltSALTsalt", 36, 3, &got, got.len));
        try std.crypto.pwhash.pbkdf2(&want, "passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 3, c[1]);
        try testing.expectEqualSlices(u8, &want, &got);
    }
    try testing.expectEqual(h.ZC_ERR_PARAMS, pbkdf2(h.ZC_SHA256, "p", 1, "s", 1, 0, &out, 32));
    try testing.expectEqual(h.ZC_ERR_LENGTH, pbkdf2(h.ZC_SHA256, "p", 1, "s", 1, 1, &out, 0));
    try testing.expectEqual(h.ZC_ERR_ALGORITHM, pbkdf2(h.ZC_BLAKE3, "p", 1, "s", 1, 1, &out, 32));
}

test "Argon2id RFC 9106 vector (secret and ad, through the internal entry point)" {
    const password: [32]u8 = @splat(0x01);
    const salt: [16]u8 = @splat(0x02);
    const secret: [8]u8 = @splat(0x03);
    const ad: [12]u8 = @splat(0x04);
    var out: [32]u8 = undefined;
    try argon2idFull(&out, &password, &salt, 3, 32, 4, &secret, &ad);
    try testing.expectEqualSlices(u8, &hex("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"), &out);
}

test "Argon2id reference vectors without secret (C API)" {
    // From the reference implementation's / Go's test set ("password", "somesalt").
    const cases = .{
        .{ 1, 64, 1, "655ad15eac652dc59f7170a7332bf49b8469be1fdb9c28bb" },
        .{ 2, 64, 2, "350ac37222f436ccb5c0972f1ebd3bf6b958bf2071841362" },
        .{ 2, 64, 3, "4a15b31aec7c2590b87d1f520be7d96f56658172deaa3079" },
        .{ 4, 256, 8, "f22802f8ca47be93f9954e4ce20c1e944e938fbd4a125d9d" },
    };
    inline for (cases) |c| {
        var out: [24]u8 = undefined;
        try testing.expectEqual(h.ZC_OK, argon2id("password", 8, "somesalt", 8, c[0], c[1], c[2], &out, out.len));
        try testing.expectEqualSlices(u8, &hex(c[3]), &out);
    }
}

test "Argon2id parameter checks" {
    var out: [32]u8 = @splat(0xaa);
    try testing.expectEqual(h.ZC_ERR_PARAMS, argon2id("pw", 2, "somesalt", 8, 0, 64, 1, &out, 32));
    try testing.expectEqual(h.ZC_ERR_PARAMS, argon2id("pw", 2, "somesalt", 8, 1, 64, 0, &out, 32));
    try testing.expectEqual(h.ZC_ERR_PARAMS, argon2id("pw", 2, "somesalt", 8, 1, 64 * 256, 256, &out, 32));
    try testing.expectEqual(h.ZC_ERR_PARAMS, argon2id("pw", 2, "somesalt", 8, 1, 15, 2, &out, 32));
    try testing.expectEqual(h.ZC_ERR_PARAMS, argon2id("pw", 2, "somesalt", 8, 1, max_m_cost_kib + 1, 1, &out, 32));
    try testing.expectEqual(h.ZC_ERR_PARAMS, argon2id("pw", 2, "short", 5, 1, 64, 1, &out, 32));
    try testing.expectEqual(h.ZC_ERR_PARAMS, argon2id("pw", 2, "somesalt", 8, 1, 64, 1, &out, 3));
    try testing.expectEqualSlices(u8, &@as([3]u8, @splat(0)), out[0..3]);
    try testing.expectEqual(h.ZC_ERR_LENGTH, argon2id(null, 2, "somesalt", 8, 1, 64, 1, &out, 32));
    try testing.expectEqual(h.ZC_OK, argon2id(null, 0, "somesalt", 8, 1, 16, 2, &out, 32));
}

test {
    _ = @import("argon2.zig");
}
