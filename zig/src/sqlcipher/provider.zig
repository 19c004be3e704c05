//! The SQLCipher crypto provider: the functions of zig/include/zsqlcipher.h.
//! SQLCipher calls them with C ints for lengths; each is checked here before it
//! becomes a slice. HMAC and PBKDF2 cover SHA-1/SHA-256/SHA-512 (SQLCipher 4
//! uses SHA-512; the others are its compatibility settings). Randomness and
//! PBKDF2-SHA-256/512 come from ZCrypto.

const std = @import("std");
const h = @import("zsqlcipher_h");
const zc = @import("zcrypto_h");
const zcrypto = @import("zcrypto");
const cbc = @import("cbc.zig");

const Sha1 = std.crypto.hash.Sha1;
const Sha256 = std.crypto.hash.sha2.Sha256;
const Sha512 = std.crypto.hash.sha2.Sha512;

const Error = error{Invalid};

fn status(r: Error!void) c_int {
    r catch return h.ZSC_ERROR;
    return h.ZSC_OK;
}

fn len(n: c_int) Error!usize {
    if (n < 0) return error.Invalid;
    return @intCast(n);
}

fn in(p: [*c]const u8, n: c_int) Error![]const u8 {
    const l = try len(n);
    if (l == 0) return &.{};
    if (p == null) return error.Invalid;
    return p[0..l];
}

fn out(p: [*c]u8, n: c_int) Error![]u8 {
    const l = try len(n);
    if (l == 0) return &.{};
    if (p == null) return error.Invalid;
    return p[0..l];
}

fn randomImpl(buffer: ?*anyopaque, length: c_int) Error!void {
    const buf = try out(@ptrCast(buffer), length);
    zcrypto.util.fillRandom(buf) catch return error.Invalid;
}

pub fn random(_: ?*anyopaque, buffer: ?*anyopaque, length: c_int) callconv(.c) c_int {
    return status(randomImpl(buffer, length));
}

pub fn addRandom(_: ?*anyopaque, _: ?*const anyopaque, length: c_int) callconv(.c) c_int {
    return if (length < 0) h.ZSC_ERROR else h.ZSC_OK;
}

fn HmacOf(comptime Hash: type) type {
    return std.crypto.auth.hmac.Hmac(Hash);
}

fn hmacWith(comptime Hash: type, key: []const u8, a: []const u8, b: []const u8, dst: [*c]u8) void {
    const M = HmacOf(Hash);
    var mac = M.init(key);
    defer std.crypto.secureZero(u8, std.mem.asBytes(&mac));
    mac.update(a);
    mac.update(b);
    mac.final(dst[0..M.mac_length]);
}

fn hmacImpl(algorithm: c_int, key_p: [*c]const u8, key_sz: c_int, in_p: [*c]const u8, in_sz: c_int, in2_p: [*c]const u8, in2_sz: c_int, dst: [*c]u8) Error!void {
    const key = try in(key_p, key_sz);
    if (in_p == null or dst == null) return error.Invalid;
    const a = try in(in_p, in_sz);
    const b: []const u8 = if (in2_p == null) &.{} else try in(in2_p, in2_sz);
    switch (algorithm) {
        h.ZSC_SHA1 => hmacWith(Sha1, key, a, b, dst),
        h.ZSC_SHA256 => hmacWith(Sha256, key, a, b, dst),
        h.ZSC_SHA512 => hmacWith(Sha512, key, a, b, dst),
        else => return error.Invalid,
    }
}

pub fn hmac(_: ?*anyopaque, algorithm: c_int, key: [*c]const u8, key_sz: c_int, in_p: [*c]const u8, in_sz: c_int, in2: [*c]const u8, in2_sz: c_int, dst: [*c]u8) callconv(.c) c_int {
    return status(hmacImpl(algorithm, key, key_sz, in_p, in_sz, in2, in2_sz, dst));
}

/// PBKDF2-HMAC-SHA1 (ZCrypto has SHA-256/512 only). The keyed inner and outer
/// states are computed once, so each iteration costs two compressions.
fn pbkdf2Sha1(dk: []u8, password: []const u8, salt: []const u8, rounds: u32) void {
    const M = HmacOf(Sha1);
    const keyed = M.init(password);
    var block: u32 = 1;
    var off: usize = 0;
    while (off < dk.len) : ({
        off += M.mac_length;
        block += 1;
    }) {
        var u: [M.mac_length]u8 = undefined;
        var mac = keyed;
        mac.update(salt);
        mac.update(&std.mem.toBytes(std.mem.nativeToBig(u32, block)));
        mac.final(&u);
        var t = u;
        var i: u32 = 1;
        while (i < rounds) : (i += 1) {
            var m = keyed;
            m.update(&u);
            m.final(&u);
            for (&t, u) |*x, y| x.* ^= y;
        }
        const n = @min(M.mac_length, dk.len - off);
        @memcpy(dk[off..][0..n], t[0..n]);
        std.crypto.secureZero(u8, &t);
        std.crypto.secureZero(u8, &u);
        std.crypto.secureZero(u8, std.mem.asBytes(&mac));
    }
    var k = keyed;
    std.crypto.secureZero(u8, std.mem.asBytes(&k));
}

fn kdfImpl(algorithm: c_int, pass_p: [*c]const u8, pass_sz: c_int, salt_p: [*c]const u8, salt_sz: c_int, workfactor: c_int, key_sz: c_int, key_p: [*c]u8) Error!void {
    const pass = try in(pass_p, pass_sz);
    const salt = try in(salt_p, salt_sz);
    const dk = try out(key_p, key_sz);
    if (workfactor < 1 or dk.len == 0) return error.Invalid;
    const rounds: u32 = @intCast(workfactor);
    const rc = switch (algorithm) {
        h.ZSC_SHA1 => {
            pbkdf2Sha1(dk, pass, salt, rounds);
            return;
        },
        h.ZSC_SHA256 => zcrypto.kdf.pbkdf2(zc.ZC_SHA256, pass.ptr, pass.len, salt.ptr, salt.len, rounds, dk.ptr, dk.len),
        h.ZSC_SHA512 => zcrypto.kdf.pbkdf2(zc.ZC_SHA512, pass.ptr, pass.len, salt.ptr, salt.len, rounds, dk.ptr, dk.len),
        else => return error.Invalid,
    };
    if (rc != zc.ZC_OK) return error.Invalid;
}

pub fn kdf(_: ?*anyopaque, algorithm: c_int, pass: [*c]const u8, pass_sz: c_int, salt: [*c]const u8, salt_sz: c_int, workfactor: c_int, key_sz: c_int, key: [*c]u8) callconv(.c) c_int {
    const r = kdfImpl(algorithm, pass, pass_sz, salt, salt_sz, workfactor, key_sz, key);
    r catch if (key != null and key_sz > 0) std.crypto.secureZero(u8, key[0..@intCast(key_sz)]);
    return status(r);
}

fn cipherImpl(mode: c_int, key_p: [*c]const u8, key_sz: c_int, iv_p: [*c]const u8, in_p: [*c]const u8, in_sz: c_int, dst_p: [*c]u8) Error!void {
    if (key_sz != cbc.key_size or key_p == null or iv_p == null) return error.Invalid;
    const src = try in(in_p, in_sz);
    const dst = try out(dst_p, in_sz);
    if (src.len % cbc.block_size != 0) return error.Invalid;
    const key = key_p[0..cbc.key_size];
    const iv = iv_p[0..cbc.block_size];
    switch (mode) {
        h.ZSC_ENCRYPT => cbc.encrypt(key, iv, dst, src),
        h.ZSC_DECRYPT => cbc.decrypt(key, iv, dst, src),
        else => return error.Invalid,
    }
}

pub fn cipher(_: ?*anyopaque, mode: c_int, key: [*c]const u8, key_sz: c_int, iv: [*c]const u8, in_p: [*c]const u8, in_sz: c_int, dst: [*c]u8) callconv(.c) c_int {
    return status(cipherImpl(mode, key, key_sz, iv, in_p, in_sz, dst));
}

pub fn getCipher(_: ?*anyopaque) callconv(.c) [*c]const u8 {
    return "aes-256-cbc";
}

pub fn getProviderName(_: ?*anyopaque) callconv(.c) [*c]const u8 {
    return "ghostkit-zcrypto";
}

pub fn getProviderVersion(_: ?*anyopaque) callconv(.c) [*c]const u8 {
    return "1";
}

pub fn getKeySz(_: ?*anyopaque) callconv(.c) c_int {
    return cbc.key_size;
}

pub fn getIvSz(_: ?*anyopaque) callconv(.c) c_int {
    return cbc.block_size;
}

pub fn getBlockSz(_: ?*anyopaque) callconv(.c) c_int {
    return cbc.block_size;
}

pub fn getHmacSz(_: ?*anyopaque, algorithm: c_int) callconv(.c) c_int {
    return switch (algorithm) {
        h.ZSC_SHA1 => Sha1.digest_length,
        h.ZSC_SHA256 => Sha256.digest_length,
        h.ZSC_SHA512 => Sha512.digest_length,
        else => 0,
    };
}

pub fn ctxInit(ctx: [*c]?*anyopaque) callconv(.c) c_int {
    if (ctx == null) return h.ZSC_ERROR;
    ctx.* = null;
    return h.ZSC_OK;
}

pub fn ctxFree(ctx: [*c]?*anyopaque) callconv(.c) c_int {
    if (ctx != null) ctx.* = null;
    return h.ZSC_OK;
}

pub fn fipsStatus(_: ?*anyopaque) callconv(.c) c_int {
    return 0;
}

/// The table for one CPU level; filling the translated struct makes the
/// compiler check every signature against zsqlcipher.h.
pub fn api(comptime level: [*:0]const u8) h.zsqlcipher_api {
    return .{
        .abi_version = h.ZSC_ABI_VERSION,
        .level = level,
        .random = random,
        .add_random = addRandom,
        .hmac = hmac,
        .kdf = kdf,
        .cipher = cipher,
        .get_cipher = getCipher,
        .get_provider_name = getProviderName,
        .get_provider_version = getProviderVersion,
        .get_key_sz = getKeySz,
        .get_iv_sz = getIvSz,
        .get_block_sz = getBlockSz,
        .get_hmac_sz = getHmacSz,
        .ctx_init = ctxInit,
        .ctx_free = ctxFree,
        .fips_status = fipsStatus,
    };
}

/// Parses hex at compile time (test vectors).
pub fn hex(comptime s: []const u8) [s.len / 2]u8 {
    var buf: [s.len / 2]u8 = undefined;
    _ = std.fmt.hexToBytes(&buf, s) catch unreachable;
    return buf;
}

test {
    _ = cbc;
}

test "HMAC known answers (RFC 2202, RFC 4231 case 2), message split across in and in2" {
    const t = comptime api("test");
    const a = "what do ya ";
    const b = "want for nothing?";
    var mac: [64]u8 = undefined;
    try std.testing.expectEqual(h.ZSC_OK, t.hmac.?(null, h.ZSC_SHA1, "Jefe", 4, a, a.len, b, b.len, &mac));
    try std.testing.expectEqualSlices(u8, &hex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"), mac[0..20]);
    try std.testing.expectEqual(h.ZSC_OK, t.hmac.?(null, h.ZSC_SHA256, "Jefe", 4, a, a.len, b, b.len, &mac));
    try std.testing.expectEqualSlices(u8, &hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"), mac[0..32]);
    const whole = a ++ b;
    try std.testing.expectEqual(h.ZSC_OK, t.hmac.?(null, h.ZSC_SHA512, "Jefe", 4, whole, whole.len, null, 0, &mac));
    try std.testing.expectEqualSlices(u8, &hex("164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"), &mac);
    try std.testing.expectEqual(h.ZSC_ERROR, t.hmac.?(null, 7, "Jefe", 4, a, a.len, null, 0, &mac));
    try std.testing.expectEqual(h.ZSC_ERROR, t.hmac.?(null, h.ZSC_SHA1, "Jefe", -1, a, a.len, null, 0, &mac));
}

test "PBKDF2 known answers (RFC 6070 and the common SHA-2 vectors)" {
    const t = comptime api("test");
    var dk: [64]u8 = undefined;
    try std.testing.expectEqual(h.ZSC_OK, t.kdf.?(null, h.ZSC_SHA1, "password", 8, "salt", 4, 4096, 20, &dk));
    try std.testing.expectEqualSlices(u8, &hex("4b007901b765489abead49d926f721d065a429c1"), dk[0..20]);
    try std.testing.expectEqual(h.ZSC_OK, t.kdf.?(null, h.ZSC_SHA1, "password", 8, "salt", 4, 2, 20, &dk));
    try std.testing.expectEqualSlices(u8, &hex("ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"), dk[0..20]);
    try std.testing.expectEqual(h.ZSC_OK, t.kdf.?(null, h.ZSC_SHA256, "password", 8, "salt", 4, 2, 32, &dk));
    try std.testing.expectEqualSlices(u8, &hex("ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43"), dk[0..32]);
    try std.testing.expectEqual(h.ZSC_OK, t.kdf.?(null, h.ZSC_SHA512, "password", 8, "salt", 4, 1, 64, &dk));
    try std.testing.expectEqualSlices(u8, &hex("867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce"), &dk);
    try std.testing.expectEqual(h.ZSC_ERROR, t.kdf.?(null, h.ZSC_SHA512, "password", 8, "salt", 4, 0, 64, &dk));
    try std.testing.expect(std.mem.allEqual(u8, &dk, 0));
}

test "cipher entry point: round trip, bad lengths and modes refused" {
    const t = comptime api("test");
    const key = hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
    const iv = hex("000102030405060708090a0b0c0d0e0f");
    const plain = hex("6bc1bee22e409f96e93d7e117393172a");
    var c: [16]u8 = undefined;
    var p: [16]u8 = undefined;
    try std.testing.expectEqual(h.ZSC_OK, t.cipher.?(null, h.ZSC_ENCRYPT, &key, 32, &iv, &plain, 16, &c));
    try std.testing.expectEqualSlices(u8, &hex("f58c4c04d6e5f1ba779eabfb5f7bfbd6"), &c);
    try std.testing.expectEqual(h.ZSC_OK, t.cipher.?(null, h.ZSC_DECRYPT, &key, 32, &iv, &c, 16, &p));
    try std.testing.expectEqualSlices(u8, &plain, &p);
    try std.testing.expectEqual(h.ZSC_ERROR, t.cipher.?(null, h.ZSC_ENCRYPT, &key, 16, &iv, &plain, 16, &c));
    try std.testing.expectEqual(h.ZSC_ERROR, t.cipher.?(null, h.ZSC_ENCRYPT, &key, 32, &iv, &plain, 15, &c));
    try std.testing.expectEqual(h.ZSC_ERROR, t.cipher.?(null, 5, &key, 32, &iv, &plain, 16, &c));
}

test "random fills the buffer; sizes match SQLCipher's expectations" {
    const t = comptime api("test");
    var a: [32]u8 = @splat(0);
    var b: [32]u8 = @splat(0);
    try std.testing.expectEqual(h.ZSC_OK, t.random.?(null, &a, 32));
    try std.testing.expectEqual(h.ZSC_OK, t.random.?(null, &b, 32));
    try std.testing.expect(!std.mem.eql(u8, &a, &b));
    try std.testing.expectEqual(@as(c_int, 64), t.get_hmac_sz.?(null, h.ZSC_SHA512));
    try std.testing.expectEqual(@as(c_int, 20), t.get_hmac_sz.?(null, h.ZSC_SHA1));
    try std.testing.expectEqual(@as(c_int, 32), t.get_key_sz.?(null));
    try std.testing.expectEqual(@as(c_int, 16), t.get_iv_sz.?(null));
    try std.testing.expectEqualStrings("aes-256-cbc", std.mem.span(t.get_cipher.?(null)));
}
