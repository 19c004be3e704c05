//! ChaCha20-Poly1305 (RFC 8439 §2.8) and XChaCha20-Poly1305
//! (draft-irtf-cfrg-xchacha), byte-identical to std's and with the same
//! encrypt/decrypt signatures, but using the column-wise ChaCha20 of
//! chacha20_wide.zig. The MAC is std's Poly1305.
//!
//! Differences from std, all so that no input reaches a panic or undefined
//! behaviour in ReleaseFast:
//! - encrypt processes min(c.len, m.len) bytes (std asserts equality); the
//!   tag then authenticates exactly those bytes.
//! - decrypt rejects c.len != m.len as an authentication failure.
//! - on failure `m` is zeroed (std leaves it undefined).
//! Messages longer than 64 * (2^32 - 1) bytes would wrap the block counter and
//! reuse keystream; callers must bound lengths (aead.zig's maxLen does).

const std = @import("std");
const wide = @import("chacha20_wide.zig");
const Poly1305 = std.crypto.onetimeauth.Poly1305;
pub const AuthenticationError = std.crypto.errors.AuthenticationError;

/// Bytes encrypted between MAC updates when sealing, so Poly1305 reads the
/// ciphertext back from L2 rather than memory on large messages. Not smaller:
/// 2-8 KiB chunks measured ~10-20% slower on 16 KiB with AVX-512 (alternating
/// zmm ChaCha and scalar Poly1305 costs more than the cache misses it saves).
/// A multiple of every batch width, so only the last chunk has a tail.
const chunk_len = 64 * 1024;

comptime {
    if (chunk_len % (64 * wide.lanes) != 0) @compileError("chunk must hold whole batches");
}

/// Key and nonce in the word form chacha20_wide works on.
const Ctx = struct {
    k: [8]u32,
    n: [3]u32,

    fn ietf(key: [32]u8, npub: [12]u8) Ctx {
        return .{ .k = wide.keyWords(key), .n = wide.nonceWords(npub) };
    }

    /// XChaCha: subkey = HChaCha20(key, nonce[0..16]); IETF nonce = 0^4 ‖ nonce[16..24].
    fn extended(key: [32]u8, npub: [24]u8) Ctx {
        var sub = wide.hchacha20(key, npub[0..16].*);
        defer std.crypto.secureZero(u8, &sub);
        var n12: [12]u8 = @splat(0);
        n12[4..].* = npub[16..24].*;
        return ietf(sub, n12);
    }

    fn wipe(ctx: *Ctx) void {
        std.crypto.secureZero(u32, &ctx.k);
    }
};

/// Keystream for the Poly1305 key (block 0) and, for short messages, for the
/// whole message: one 4-lane batch (chacha20_wide.keystream4) covers blocks
/// 0..3 for about the price of one block. Longer messages take block 0 alone
/// (scalar), so that their wide batches start right at block 1 and the
/// message ends in as few partial batches as possible.
const Head = struct {
    ks: [256]u8,
    /// Message bytes covered by ks[64..].
    len: usize,
    /// Counter of the first block after them.
    next: u32,

    fn init(ctx: *const Ctx, msg_len: usize) Head {
        if (msg_len <= 192) return .{ .ks = wide.keystream4(&ctx.k, ctx.n, 0), .len = msg_len, .next = 4 };
        var ks: [256]u8 = @splat(0);
        ks[0..64].* = wide.block(&ctx.k, ctx.n, 0);
        return .{ .ks = ks, .len = 0, .next = 1 };
    }

    fn wipe(head: *Head) void {
        std.crypto.secureZero(u8, &head.ks);
    }
};

/// Poly1305 keyed with the first 32 bytes of `ks` (block 0), fed `ad` and its
/// zero padding.
fn macInit(ks: *const [256]u8, ad: []const u8) Poly1305 {
    var mac = Poly1305.init(ks[0..32]);
    mac.update(ad);
    mac.pad();
    return mac;
}

/// Pads the ciphertext, appends le64(len ad) ‖ le64(len c) and finishes.
fn macFinal(mac: *Poly1305, ad_len: usize, c_len: usize, tag: *[16]u8) void {
    mac.pad();
    var lens: [16]u8 = undefined;
    std.mem.writeInt(u64, lens[0..8], ad_len, .little);
    std.mem.writeInt(u64, lens[8..16], c_len, .little);
    mac.update(&lens);
    mac.final(tag);
}

fn seal(ctx: *const Ctx, c: []u8, tag: *[16]u8, m: []const u8, ad: []const u8) void {
    const len = @min(c.len, m.len);
    var head = Head.init(ctx, len);
    defer head.wipe();
    var mac = macInit(&head.ks, ad);
    for (c[0..head.len], m[0..head.len], head.ks[64..][0..head.len]) |*o, a, b| o.* = a ^ b;
    mac.update(c[0..head.len]);
    // Encrypt a chunk, then MAC it while it is still in L1.
    var ctr = head.next;
    var i = head.len;
    while (i < len) : (i += chunk_len) {
        const end = @min(len, i +| chunk_len);
        wide.xorWords(c[i..end], m[i..end], ctr, &ctx.k, ctx.n);
        mac.update(c[i..end]);
        ctr +%= chunk_len / 64;
    }
    macFinal(&mac, ad.len, len, tag);
}

fn open(ctx: *const Ctx, m: []u8, c: []const u8, tag: [16]u8, ad: []const u8) AuthenticationError!void {
    if (m.len != c.len) {
        std.crypto.secureZero(u8, m);
        return error.AuthenticationFailed;
    }
    var head = Head.init(ctx, c.len);
    defer head.wipe();
    // Verify the whole ciphertext before producing any plaintext.
    var mac = macInit(&head.ks, ad);
    mac.update(c);
    var computed: [16]u8 = undefined;
    macFinal(&mac, ad.len, c.len, &computed);
    const ok = std.crypto.timing_safe.eql([16]u8, computed, tag);
    std.crypto.secureZero(u8, &computed);
    if (!ok) {
        std.crypto.secureZero(u8, m);
        return error.AuthenticationFailed;
    }
    for (m[0..head.len], c[0..head.len], head.ks[64..][0..head.len]) |*o, a, b| o.* = a ^ b;
    wide.xorWords(m[head.len..], c[head.len..], head.next, &ctx.k, ctx.n);
}

/// The AEAD interface of std.crypto.aead.chacha_poly for one nonce size, so these are
/// drop-in replacements; `init` derives the per-message state from key and nonce.
fn Construction(comptime nonce_len: usize, comptime init: fn ([32]u8, [nonce_len]u8) Ctx) type {
    return struct {
        pub const tag_length = 16;
        pub const nonce_length = nonce_len;
        pub const key_length = 32;

        pub fn encrypt(c: []u8, tag: *[tag_length]u8, m: []const u8, ad: []const u8, npub: [nonce_length]u8, key: [key_length]u8) void {
            var ctx = init(key, npub);
            defer ctx.wipe();
            seal(&ctx, c, tag, m, ad);
        }

        pub fn decrypt(m: []u8, c: []const u8, tag: [tag_length]u8, ad: []const u8, npub: [nonce_length]u8, key: [key_length]u8) AuthenticationError!void {
            var ctx = init(key, npub);
            defer ctx.wipe();
            return open(&ctx, m, c, tag, ad);
        }
    };
}

/// Drop-in for std.crypto.aead.chacha_poly.ChaCha20Poly1305.
pub const ChaCha20Poly1305 = Construction(12, Ctx.ietf);
/// Drop-in for std.crypto.aead.chacha_poly.XChaCha20Poly1305.
pub const XChaCha20Poly1305 = Construction(24, Ctx.extended);

pub const encrypt = ChaCha20Poly1305.encrypt;
pub const decrypt = ChaCha20Poly1305.decrypt;

// ---------------------------------------------------------------------------
// Tests

const testing = std.testing;
const std_aead = std.crypto.aead.chacha_poly;

fn fillPattern(buf: []u8, seed: u8) void {
    for (buf, 0..) |*b, i| b.* = @truncate(i *% 167 +% seed);
}

/// Seals with ours and std's, compares, opens, then checks that a flipped
/// bit anywhere (ciphertext, tag, ad) fails and leaves `m` zeroed.
fn roundTrip(comptime Ours: type, comptime Std: type, len: usize, ad_len: usize) !void {
    const alloc = testing.allocator;
    const m = try alloc.alloc(u8, len);
    defer alloc.free(m);
    const c = try alloc.alloc(u8, len);
    defer alloc.free(c);
    const want = try alloc.alloc(u8, len);
    defer alloc.free(want);
    var ad: [80]u8 = undefined;
    fillPattern(m, @truncate(len));
    fillPattern(&ad, @truncate(ad_len +% 3));
    const key: [32]u8 = @splat(@as(u8, @truncate(len *% 7)));
    var npub: [Ours.nonce_length]u8 = undefined;
    fillPattern(&npub, @truncate(len));

    var tag: [16]u8 = undefined;
    var want_tag: [16]u8 = undefined;
    Std.encrypt(want, &want_tag, m, ad[0..ad_len], npub, key);
    Ours.encrypt(c, &tag, m, ad[0..ad_len], npub, key);
    try testing.expectEqualSlices(u8, want, c);
    try testing.expectEqualSlices(u8, &want_tag, &tag);

    const out = try alloc.alloc(u8, len);
    defer alloc.free(out);
    try Ours.decrypt(out, c, tag, ad[0..ad_len], npub, key);
    try testing.expectEqualSlices(u8, m, out);

    var bad_tag = tag;
    bad_tag[len % 16] ^= 0x80;
    try expectRejected(Ours, out, c, bad_tag, ad[0..ad_len], npub, key);
    if (len > 0) {
        c[len / 2] ^= 1;
        try expectRejected(Ours, out, c, tag, ad[0..ad_len], npub, key);
        c[len / 2] ^= 1;
    }
    if (ad_len > 0) {
        ad[ad_len - 1] ^= 4;
        try expectRejected(Ours, out, c, tag, ad[0..ad_len], npub, key);
    }
}

fn expectRejected(comptime Ours: type, out: []u8, c: []const u8, tag: [16]u8, ad: []const u8, npub: [Ours.nonce_length]u8, key: [32]u8) !void {
    @memset(out, 0xaa);
    try testing.expectError(error.AuthenticationFailed, Ours.decrypt(out, c, tag, ad, npub, key));
    for (out) |b| try testing.expectEqual(@as(u8, 0), b);
}

test "matches std for lengths 0..1100, 16 KiB, 1 MiB + 7 and several AAD lengths" {
    const ad_lens = [_]usize{ 0, 1, 12, 16, 17, 63, 80 };
    for (0..1101) |len| {
        const ad_len = ad_lens[len % ad_lens.len];
        try roundTrip(ChaCha20Poly1305, std_aead.ChaCha20Poly1305, len, ad_len);
        try roundTrip(XChaCha20Poly1305, std_aead.XChaCha20Poly1305, len, ad_len);
    }
    for (ad_lens) |ad_len| {
        try roundTrip(ChaCha20Poly1305, std_aead.ChaCha20Poly1305, 16384, ad_len);
        try roundTrip(XChaCha20Poly1305, std_aead.XChaCha20Poly1305, 16384, ad_len);
    }
    try roundTrip(ChaCha20Poly1305, std_aead.ChaCha20Poly1305, (1 << 20) + 7, 17);
    try roundTrip(XChaCha20Poly1305, std_aead.XChaCha20Poly1305, (1 << 20) + 7, 0);
}

test "RFC 8439 §2.8.2 vector" {
    const m = "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
    const ad = [_]u8{ 0x50, 0x51, 0x52, 0x53, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7 };
    var key: [32]u8 = undefined;
    for (&key, 0..) |*b, i| b.* = @intCast(0x80 + i);
    const npub = [12]u8{ 0x07, 0, 0, 0, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47 };
    var want_c: [m.len]u8 = undefined;
    _ = try std.fmt.hexToBytes(&want_c, "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6" ++
        "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36" ++
        "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc" ++
        "3ff4def08e4b7a9de576d26586cec64b6116");
    var want_tag: [16]u8 = undefined;
    _ = try std.fmt.hexToBytes(&want_tag, "1ae10b594f09e26a7e902ecbd0600691");

    var c: [m.len]u8 = undefined;
    var tag: [16]u8 = undefined;
    encrypt(&c, &tag, m, &ad, npub, key);
    try testing.expectEqualSlices(u8, &want_c, &c);
    try testing.expectEqualSlices(u8, &want_tag, &tag);
    var out: [m.len]u8 = undefined;
    try decrypt(&out, &c, tag, &ad, npub, key);
    try testing.expectEqualSlices(u8, m, &out);
}

test "in-place seal and open" {
    var buf: [1000]u8 = undefined;
    fillPattern(&buf, 1);
    const orig = buf;
    const key: [32]u8 = @splat(9);
    const npub: [24]u8 = @splat(3);
    var tag: [16]u8 = undefined;
    XChaCha20Poly1305.encrypt(&buf, &tag, &buf, "hdr", npub, key);
    var want: [1000]u8 = undefined;
    var want_tag: [16]u8 = undefined;
    std_aead.XChaCha20Poly1305.encrypt(&want, &want_tag, &orig, "hdr", npub, key);
    try testing.expectEqualSlices(u8, &want, &buf);
    try XChaCha20Poly1305.decrypt(&buf, &buf, tag, "hdr", npub, key);
    try testing.expectEqualSlices(u8, &orig, &buf);
}

test "length mismatch never panics" {
    var m: [100]u8 = @splat(1);
    var c: [90]u8 = undefined;
    var tag: [16]u8 = undefined;
    const key: [32]u8 = @splat(2);
    const npub: [12]u8 = @splat(5);
    encrypt(&c, &tag, &m, "", npub, key);
    var want: [90]u8 = undefined;
    var want_tag: [16]u8 = undefined;
    std_aead.ChaCha20Poly1305.encrypt(&want, &want_tag, m[0..90], "", npub, key);
    try testing.expectEqualSlices(u8, &want, &c);
    try testing.expectEqualSlices(u8, &want_tag, &tag);
    try testing.expectError(error.AuthenticationFailed, decrypt(&m, &c, tag, "", npub, key));
    for (m) |b| try testing.expectEqual(@as(u8, 0), b);
}

test {
    _ = wide;
}
