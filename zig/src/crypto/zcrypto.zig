//! ZCrypto: ghostkit's crypto library on Zig std.crypto, exposed through the C
//! ABI in zig/include/zcrypto.h. This root builds the function table; filling
//! the translated `zc_api` struct makes the compiler check every signature
//! against the header.

const std = @import("std");
const h = @import("zcrypto_h");
pub const util = @import("util.zig");
const hash = @import("hash.zig");
pub const kdf = @import("kdf.zig");
const aead = @import("aead.zig");
const ed25519 = @import("ed25519.zig");
const x25519 = @import("x25519.zig");
const secp256k1 = @import("secp256k1.zig");

/// The function table for one CPU level (the code itself is specialised by the
/// -mcpu of the build; `level` only names it).
pub fn api(comptime level: [*:0]const u8) h.zc_api {
    return .{
        .abi_version = h.ZC_ABI_VERSION,
        .level = level,

        .random_bytes = util.randomBytes,
        .timing_safe_equal = util.timingSafeEqual,
        .secure_zero = util.secureZero,

        .hash_state_size = hash.hashStateSize,
        .hash_init = hash.hashInit,
        .blake3_init_keyed = hash.blake3InitKeyed,
        .blake3_init_derive_key = hash.blake3InitDeriveKey,
        .hash_update = hash.hashUpdate,
        .hash_final = hash.hashFinal,
        .hash = hash.hash,

        .hmac = kdf.hmac,
        .hkdf = kdf.hkdf,
        .pbkdf2 = kdf.pbkdf2,
        .argon2id = kdf.argon2id,

        .aead_seal = aead.seal,
        .aead_open = aead.open,

        .ed25519_public_key = ed25519.publicKey,
        .ed25519_sign = ed25519.sign,
        .ed25519_verify = ed25519.verify,

        .secp256k1_public_key = secp256k1.publicKey,
        .secp256k1_public_key_convert = secp256k1.publicKeyConvert,
        .secp256k1_sign = secp256k1.sign,
        .secp256k1_verify = secp256k1.verify,
        .secp256k1_recover = secp256k1.recover,
        .secp256k1_ecdh = secp256k1.ecdh,

        .x25519_public_key = x25519.publicKey,
        .x25519_shared_secret = x25519.sharedSecret,
    };
}

test {
    _ = @import("common.zig");
    _ = util;
    _ = hash;
    _ = kdf;
    _ = aead;
    _ = ed25519;
    _ = x25519;
    _ = secp256k1;
    _ = @import("lazy.zig");
}

test "every table entry is filled and usable through the table" {
    const t = comptime api("test");
    const info = @typeInfo(h.zc_api).@"struct";
    inline for (info.field_names, info.field_types) |name, T| {
        if (@typeInfo(T) == .optional) try std.testing.expect(@field(t, name) != null);
    }
    try std.testing.expectEqual(@as(u32, h.ZC_ABI_VERSION), t.abi_version);
    try std.testing.expectEqualStrings("test", std.mem.span(t.level));
    var out: [32]u8 = undefined;
    try std.testing.expectEqual(h.ZC_OK, t.hash.?(h.ZC_SHA256, "abc", 3, &out, 32));
    try std.testing.expectEqual(@as(u8, 0xba), out[0]);
}
