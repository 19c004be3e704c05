//! AES-256-CBC without padding, the page cipher of SQLCipher. Encryption is
//! sequential by construction; decryption runs `wide` blocks through AES at
//! once (AES-NI/VAES pipelines them) and then chains the XORs.

const std = @import("std");
const Aes256 = std.crypto.core.aes.Aes256;

pub const block_size = 16;
pub const key_size = 32;

/// Blocks decrypted per AES pass: enough to fill the AES-NI pipeline.
const wide = 8;

/// Encrypts `src` into `dst` (same length, a multiple of 16; they may alias).
pub fn encrypt(key: *const [key_size]u8, iv: *const [block_size]u8, dst: []u8, src: []const u8) void {
    std.debug.assert(dst.len == src.len and src.len % block_size == 0);
    var ctx = Aes256.initEnc(key.*);
    defer std.crypto.secureZero(u8, std.mem.asBytes(&ctx));
    var chain: [block_size]u8 = iv.*;
    var off: usize = 0;
    while (off < src.len) : (off += block_size) {
        var x: [block_size]u8 = src[off..][0..block_size].*;
        for (&x, chain) |*a, b| a.* ^= b;
        ctx.encrypt(&chain, &x);
        dst[off..][0..block_size].* = chain;
    }
}

/// Decrypts `src` into `dst` (same length, a multiple of 16; they may alias).
pub fn decrypt(key: *const [key_size]u8, iv: *const [block_size]u8, dst: []u8, src: []const u8) void {
    std.debug.assert(dst.len == src.len and src.len % block_size == 0);
    var ctx = Aes256.initDec(key.*);
    defer std.crypto.secureZero(u8, std.mem.asBytes(&ctx));
    var chain: [block_size]u8 = iv.*;
    var off: usize = 0;
    // Copies of the ciphertext come first, so decrypting in place stays correct.
    while (src.len - off >= wide * block_size) : (off += wide * block_size) {
        const cipher: [wide * block_size]u8 = src[off..][0 .. wide * block_size].*;
        var plain: [wide * block_size]u8 = undefined;
        ctx.decryptWide(wide, &plain, &cipher);
        for (plain[0..block_size], chain) |*a, b| a.* ^= b;
        for (plain[block_size..], cipher[0 .. (wide - 1) * block_size]) |*a, b| a.* ^= b;
        chain = cipher[(wide - 1) * block_size ..][0..block_size].*;
        dst[off..][0 .. wide * block_size].* = plain;
    }
    while (off < src.len) : (off += block_size) {
        const cipher: [block_size]u8 = src[off..][0..block_size].*;
        var plain: [block_size]u8 = undefined;
        ctx.decrypt(&plain, &cipher);
        for (&plain, chain) |*a, b| a.* ^= b;
        chain = cipher;
        dst[off..][0..block_size].* = plain;
    }
}

const hex = @import("provider.zig").hex;

test "AES-256-CBC: NIST SP 800-38A F.2.5 / F.2.6" {
    const key = hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
    const iv = hex("000102030405060708090a0b0c0d0e0f");
    const plain = hex("6bc1bee22e409f96e93d7e117393172a" ++ "ae2d8a571e03ac9c9eb76fac45af8e51" ++
        "30c81c46a35ce411e5fbc1191a0a52ef" ++ "f69f2445df4f9b17ad2b417be66c3710");
    const cipher = hex("f58c4c04d6e5f1ba779eabfb5f7bfbd6" ++ "9cfc4e967edb808d679f777bc6702c7d" ++
        "39f23369a9d9bacfa530e26304231461" ++ "b2eb05e2c39be9fcda6c19078c6a9d1b");
    var out: [64]u8 = undefined;
    encrypt(&key, &iv, &out, &plain);
    try std.testing.expectEqualSlices(u8, &cipher, &out);
    decrypt(&key, &iv, &out, &cipher);
    try std.testing.expectEqualSlices(u8, &plain, &out);
}

test "wide and single-block decryption agree, in place too, on a page-sized buffer" {
    const key = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    const iv = hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
    var plain: [4016]u8 = undefined; // a 4096-byte page less SQLCipher's 80 reserved bytes
    for (&plain, 0..) |*b, i| b.* = @truncate(i *% 7 +% 3);
    var buf: [4016]u8 = undefined;
    encrypt(&key, &iv, &buf, &plain);
    // Decrypting block by block from the definition of CBC gives the reference.
    var ctx = Aes256.initDec(key);
    var chain = iv;
    var reference: [4016]u8 = undefined;
    var off: usize = 0;
    while (off < buf.len) : (off += 16) {
        ctx.decrypt(reference[off..][0..16], buf[off..][0..16]);
        for (reference[off..][0..16], chain) |*a, b| a.* ^= b;
        chain = buf[off..][0..16].*;
    }
    try std.testing.expectEqualSlices(u8, &plain, &reference);
    decrypt(&key, &iv, &buf, &buf);
    try std.testing.expectEqualSlices(u8, &plain, &buf);
}
