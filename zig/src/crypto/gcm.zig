//! One-pass ("stitched") AES-GCM (NIST SP 800-38D) for x86-64 with AES-NI and PCLMULQDQ.
//!
//! std's AES-GCM makes two passes (CTR, then GHASH over the ciphertext), and its GHASH
//! does the field arithmetic on u128 integers, which compiles to byte-wise loads and
//! general-purpose shifts around each PCLMULQDQ (about 2 GB/s, slower than AES itself).
//! Here every 8-block batch is encrypted with std's AES block vectors (VAES on x86_64_v4)
//! and hashed at once from vector registers with a single reduction per batch.
//! The GHASH arithmetic is std's (same field representation, same reduction), so the
//! output is byte-identical; targets without the instructions use std unchanged.

const std = @import("std");
const builtin = @import("builtin");
const aes = std.crypto.core.aes;
const mem = std.mem;

/// The vector code below needs AES-NI, PCLMULQDQ and AVX (its VEX encodings); the C
/// backend cannot pass vectors to inline assembly.
const supported = builtin.cpu.arch == .x86_64 and builtin.zig_backend != .stage2_c and
    aes.has_hardware_support and builtin.cpu.has(.x86, .pclmul) and builtin.cpu.has(.x86, .avx);

pub const Aes128Gcm = if (supported) AesGcm(aes.Aes128) else StdGcm(std.crypto.aead.aes_gcm.Aes128Gcm);
pub const Aes256Gcm = if (supported) AesGcm(aes.Aes256) else StdGcm(std.crypto.aead.aes_gcm.Aes256Gcm);

/// std's AES-GCM with this file's decryption contract: the output is zeroed on failure.
fn StdGcm(comptime Std: type) type {
    return struct {
        pub const tag_length = Std.tag_length;
        pub const nonce_length = Std.nonce_length;
        pub const key_length = Std.key_length;
        pub const encrypt = Std.encrypt;

        pub fn decrypt(m: []u8, c: []const u8, tag: [tag_length]u8, ad: []const u8, npub: [nonce_length]u8, key: [key_length]u8) std.crypto.errors.AuthenticationError!void {
            Std.decrypt(m, c, tag, ad, npub, key) catch |err| {
                std.crypto.secureZero(u8, m);
                return err;
            };
        }
    };
}

// ---------------------------------------------------------------------------
// GHASH on vector registers

/// A GHASH field element as std's Ghash holds it: the block read as a big-endian
/// 128-bit integer, stored low 64-bit word first.
const Fe = @Vector(2, u64);

/// Blocks per AES batch and per aggregated GHASH step (one reduction per batch).
const lanes = 8;
const batch_len = 16 * lanes;

const reverse_bytes: [16]i32 = .{ 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 };

fn fe(block: *const [16]u8) Fe {
    const v: @Vector(16, u8) = block.*;
    return @bitCast(@shuffle(u8, v, undefined, reverse_bytes));
}

fn feBytes(x: Fe) [16]u8 {
    const v: @Vector(16, u8) = @bitCast(x);
    return @shuffle(u8, v, undefined, reverse_bytes);
}

/// One 64x64-bit carry-less product; `imm` selects the words as PCLMULQDQ does
/// (bit 0: word of `y`, bit 4: word of `x`). Inline assembly as in std's Ghash, since
/// Zig exposes no intrinsic for it.
inline fn clmul(x: Fe, y: Fe, comptime imm: []const u8) Fe {
    return asm ("vpclmulqdq $" ++ imm ++ ", %[x], %[y], %[out]"
        : [out] "=x" (-> Fe),
        : [x] "x" (x),
          [y] "x" (y),
    );
}

/// An unreduced 256-bit product as three partial sums, so that a batch of products is
/// added up before the single reduction.
const Wide = struct { lo: Fe, mid: Fe, hi: Fe };

inline fn mulWide(x: Fe, y: Fe) Wide {
    return .{
        .lo = clmul(x, y, "0x00"),
        .mid = clmul(x, y, "0x01") ^ clmul(x, y, "0x10"),
        .hi = clmul(x, y, "0x11"),
    };
}

inline fn swap(x: Fe) Fe {
    return @shuffle(u64, x, undefined, [2]i32{ 1, 0 });
}

/// std's reduction modulo x^128 + x^127 + x^126 + x^121 + 1 (Gueron's method).
inline fn reduce(w: Wide) Fe {
    const zero: Fe = @splat(0);
    const hi = w.hi ^ @shuffle(u64, w.mid, zero, [2]i32{ 1, -1 }); // hi ^ (mid >> 64)
    const lo = w.lo ^ @shuffle(u64, w.mid, zero, [2]i32{ -1, 0 }); // lo ^ (mid << 64)
    const poly: Fe = .{ 0xc200000000000000, 0 };
    const b = swap(lo) ^ clmul(lo, poly, "0x00");
    return swap(b) ^ clmul(b, poly, "0x00") ^ hi;
}

/// Powers H^1..H^lanes (index i holds H^(i+1)), H already in std's doubled form.
const Powers = [lanes]Fe;

/// Only as many powers as the longest aggregated step uses: short messages pay less.
fn powers(h: Fe, needed: usize) Powers {
    var p: Powers = @splat(@splat(0));
    p[0] = h;
    for (1..@min(needed, lanes)) |i| p[i] = reduce(mulWide(p[i - 1], h));
    return p;
}

/// acc' = (acc + X0)·H^n + X1·H^(n-1) + … + X(n-1)·H for a comptime n: one reduction.
inline fn absorb(comptime n: usize, acc: Fe, blocks: *const [16 * n]u8, p: *const Powers) Fe {
    var w = mulWide(acc ^ fe(blocks[0..16]), p[n - 1]);
    inline for (1..n) |i| {
        const t = mulWide(fe(blocks[16 * i ..][0..16]), p[n - 1 - i]);
        w = .{ .lo = w.lo ^ t.lo, .mid = w.mid ^ t.mid, .hi = w.hi ^ t.hi };
    }
    return reduce(w);
}

/// The same for the 1..lanes blocks of a zero-padded tail (n is public: a length).
fn absorbTail(acc: Fe, blocks: *const [batch_len]u8, n: usize, p: *const Powers) Fe {
    var w = mulWide(acc ^ fe(blocks[0..16]), p[n - 1]);
    for (1..n) |i| {
        const t = mulWide(fe(blocks[16 * i ..][0..16]), p[n - 1 - i]);
        w = .{ .lo = w.lo ^ t.lo, .mid = w.mid ^ t.mid, .hi = w.hi ^ t.hi };
    }
    return reduce(w);
}

/// GHASH of `data` zero-padded to whole blocks, continuing from `acc`.
fn absorbPadded(acc: Fe, data: []const u8, p: *const Powers) Fe {
    var a = acc;
    var i: usize = 0;
    while (i + batch_len <= data.len) : (i += batch_len) a = absorb(lanes, a, data[i..][0..batch_len], p);
    if (i == data.len) return a;
    var buf: [batch_len]u8 = @splat(0);
    @memcpy(buf[0 .. data.len - i], data[i..]);
    return absorbTail(a, &buf, (data.len - i + 15) / 16, p);
}

/// H = E(K, 0) doubled (shifted left by one bit, reduced), exactly as std's Ghash keys it.
fn hashKey(h_block: [16]u8) Fe {
    var h = mem.readInt(u128, &h_block, .big);
    const carry = ((@as(u128, 0xc2) << 120) | 1) & (@as(u128, 0) -% (h >> 127));
    h = (h << 1) ^ carry;
    return @bitCast(h);
}

// ---------------------------------------------------------------------------
// AES-GCM

fn AesGcm(comptime Aes: type) type {
    return struct {
        pub const tag_length = 16;
        pub const nonce_length = 12;
        pub const key_length = Aes.key_bits / 8;

        const rounds = Aes.rounds;
        const Batch = aes.BlockVec(lanes);
        const Mode = enum { seal, open };

        /// One machine word of a batch: 1, 2 or 4 blocks (xmm, ymm with VAES, zmm with AVX-512).
        const Word = @TypeOf(@as(Batch, undefined).repr[0]);
        const word_blocks = Batch.native_vector_size;

        /// Per-call state: the counter template, the round keys and the hash key powers.
        /// Batches are assembled from machine words directly: going through byte arrays
        /// makes LLVM build them byte by byte in memory.
        const Ctx = struct {
            /// Each round key repeated across a machine word.
            keys: [rounds + 1]Word,
            /// The nonce words of J0 for every block of a word; the counter word is added per batch.
            nonce_words: @Vector(4 * word_blocks, u32),
            p: Powers,
            /// E(K, J0), the mask applied to the GHASH result.
            tag_mask: [16]u8,

            fn init(key: [key_length]u8, npub: [nonce_length]u8, max_blocks: usize) Ctx {
                const enc = Aes.initEnc(key);
                var h_block: [16]u8 = undefined;
                enc.encrypt(&h_block, &@splat(0));
                var j0: [16]u8 = undefined;
                j0[0..nonce_length].* = npub;
                mem.writeInt(u32, j0[nonce_length..][0..4], 1, .big);
                var ctx: Ctx = .{
                    .keys = undefined,
                    .nonce_words = std.simd.repeat(4 * word_blocks, @as(@Vector(4, u32), @bitCast(j0))),
                    .p = powers(hashKey(h_block), max_blocks),
                    .tag_mask = undefined,
                };
                for (&ctx.keys, enc.key_schedule.round_keys) |*k, rk| k.* = std.simd.repeat(2 * word_blocks, rk.repr);
                enc.encrypt(&ctx.tag_mask, &j0);
                return ctx;
            }

            fn wipe(ctx: *Ctx) void {
                std.crypto.secureZero(u8, mem.asBytes(ctx));
            }

            /// Counter blocks `ctr`, `ctr + 1`, … for one batch (32-bit big-endian counter,
            /// wrapping like std's; the length bound keeps it from wrapping in practice).
            inline fn counters(ctx: *const Ctx, ctr: u32) Batch {
                comptime var mask: [4 * word_blocks]i32 = undefined;
                inline for (0..4 * word_blocks) |i| mask[i] = if (i % 4 == 3) ~@as(i32, i / 4) else i;
                var b: Batch = undefined;
                inline for (0..lanes / word_blocks) |w| {
                    const step = std.simd.iota(u32, word_blocks) + @as(@Vector(word_blocks, u32), @splat(w * word_blocks));
                    const ctrs = @byteSwap(@as(@Vector(word_blocks, u32), @splat(ctr)) +% step);
                    b.repr[w] = @bitCast(@shuffle(u32, ctx.nonce_words, ctrs, mask));
                }
                return b;
            }

            /// Keystream for the `lanes` counter blocks starting at `ctr`.
            inline fn keystream(ctx: *const Ctx, ctr: u32) Batch {
                var t = ctx.counters(ctr).xorBlocks(.{ .repr = @splat(ctx.keys[0]) });
                inline for (1..rounds) |i| t = t.encrypt(.{ .repr = @splat(ctx.keys[i]) });
                return t.encryptLast(.{ .repr = @splat(ctx.keys[rounds]) });
            }
        };

        /// The one pass: CTR from counter 2 over `src` into `dst`, hashing the ciphertext
        /// (the output when sealing, the input when opening) batch by batch. Returns the tag.
        fn crypt(comptime mode: Mode, dst: []u8, src: []const u8, ad: []const u8, npub: [nonce_length]u8, key: [key_length]u8) [16]u8 {
            std.debug.assert(dst.len == src.len);
            const max_blocks = @max(ad.len, src.len) / 16 + 1;
            var ctx = Ctx.init(key, npub, max_blocks);
            defer ctx.wipe();
            var acc = absorbPadded(@splat(0), ad, &ctx.p);

            var ctr: u32 = 2;
            var i: usize = 0;
            while (i + batch_len <= src.len) : (i += batch_len) {
                const in = src[i..][0..batch_len];
                if (mode == .open) acc = absorb(lanes, acc, in, &ctx.p);
                const out = ctx.keystream(ctr).xorBytes(in);
                dst[i..][0..batch_len].* = out;
                if (mode == .seal) acc = absorb(lanes, acc, &out, &ctx.p);
                ctr +%= lanes;
            }
            if (i < src.len) {
                const rem = src.len - i;
                var buf: [batch_len]u8 = @splat(0);
                @memcpy(buf[0..rem], src[i..]);
                if (mode == .open) acc = absorbPadded(acc, buf[0..rem], &ctx.p);
                var out = ctx.keystream(ctr).xorBytes(&buf);
                @memcpy(dst[i..], out[0..rem]);
                @memset(out[rem..], 0);
                if (mode == .seal) acc = absorbPadded(acc, out[0..rem], &ctx.p);
                // The tail's plaintext (and keystream) must not linger on the stack.
                std.crypto.secureZero(u8, &out);
                std.crypto.secureZero(u8, &buf);
            }

            // Final block: bit lengths of the associated data (high word) and the message.
            const lengths: Fe = .{ @as(u64, src.len) * 8, @as(u64, ad.len) *% 8 };
            acc = reduce(mulWide(acc ^ lengths, ctx.p[0]));
            var tag = feBytes(acc);
            for (&tag, ctx.tag_mask) |*t, m| t.* ^= m;
            return tag;
        }

        /// Same contract as std's `encrypt`: `c.len == m.len <= 16 * (2^32 - 2)`.
        pub fn encrypt(c: []u8, tag: *[tag_length]u8, m: []const u8, ad: []const u8, npub: [nonce_length]u8, key: [key_length]u8) void {
            tag.* = crypt(.seal, c, m, ad, npub, key);
        }

        /// Same contract as std's `decrypt`, except that on failure `m` is zeroed (std leaves
        /// it undefined). The plaintext is written before the tag is checked, so that the data
        /// is read once; it is wiped before returning when the constant-time check fails.
        pub fn decrypt(m: []u8, c: []const u8, tag: [tag_length]u8, ad: []const u8, npub: [nonce_length]u8, key: [key_length]u8) std.crypto.errors.AuthenticationError!void {
            var computed = crypt(.open, m, c, ad, npub, key);
            defer std.crypto.secureZero(u8, &computed);
            if (!std.crypto.timing_safe.eql([tag_length]u8, computed, tag)) {
                std.crypto.secureZero(u8, m);
                return error.AuthenticationFailed;
            }
        }
    };
}

// ---------------------------------------------------------------------------
// Tests

const testing = std.testing;
const StdAes128Gcm = std.crypto.aead.aes_gcm.Aes128Gcm;
const StdAes256Gcm = std.crypto.aead.aes_gcm.Aes256Gcm;

/// Seals with both implementations, checks they agree, then opens and tampers.
fn checkAgainstStd(comptime Ours: type, comptime Std: type, key: [Ours.key_length]u8, ad: []const u8, m: []const u8) !void {
    const nonce: [12]u8 = .{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
    var c_ours: [16384 + 64]u8 = undefined;
    var c_std: [16384 + 64]u8 = undefined;
    var tag_ours: [16]u8 = undefined;
    var tag_std: [16]u8 = undefined;
    Ours.encrypt(c_ours[0..m.len], &tag_ours, m, ad, nonce, key);
    Std.encrypt(c_std[0..m.len], &tag_std, m, ad, nonce, key);
    try testing.expectEqualSlices(u8, c_std[0..m.len], c_ours[0..m.len]);
    try testing.expectEqualSlices(u8, &tag_std, &tag_ours);

    var opened: [16384 + 64]u8 = undefined;
    try Ours.decrypt(opened[0..m.len], c_ours[0..m.len], tag_ours, ad, nonce, key);
    try testing.expectEqualSlices(u8, m, opened[0..m.len]);

    // A flipped bit in the ciphertext, the tag or the associated data is rejected and the
    // output is zeroed.
    var bad_tag = tag_ours;
    bad_tag[m.len % 16] ^= 0x80;
    try testing.expectError(error.AuthenticationFailed, Ours.decrypt(opened[0..m.len], c_ours[0..m.len], bad_tag, ad, nonce, key));
    try testing.expect(mem.allEqual(u8, opened[0..m.len], 0));
    if (m.len > 0) {
        c_ours[m.len - 1] ^= 1;
        @memset(opened[0..m.len], 0xaa);
        try testing.expectError(error.AuthenticationFailed, Ours.decrypt(opened[0..m.len], c_ours[0..m.len], tag_ours, ad, nonce, key));
        try testing.expect(mem.allEqual(u8, opened[0..m.len], 0));
        c_ours[m.len - 1] ^= 1;
    }
    if (ad.len > 0) {
        var ad_bad: [512]u8 = undefined;
        @memcpy(ad_bad[0..ad.len], ad);
        ad_bad[ad.len / 2] ^= 4;
        try testing.expectError(error.AuthenticationFailed, Ours.decrypt(opened[0..m.len], c_ours[0..m.len], tag_ours, ad_bad[0..ad.len], nonce, key));
    }
}

test "AES-GCM matches std for lengths 0..300, with and without AAD" {
    var data: [512]u8 = undefined;
    for (&data, 0..) |*b, i| b.* = @truncate(i *% 131 +% 7);
    var key: [32]u8 = @splat(0x5c);
    key[31] = 0x01;
    for (0..301) |len| {
        for ([_]usize{ 0, 1, 13, 16, 20, 128, 200 }) |ad_len| {
            try checkAgainstStd(Aes128Gcm, StdAes128Gcm, key[0..16].*, data[300..][0..ad_len], data[0..len]);
            try checkAgainstStd(Aes256Gcm, StdAes256Gcm, key, data[300..][0..ad_len], data[0..len]);
        }
    }
}

test "AES-GCM matches std for 16 KiB and long unaligned messages" {
    var data: [16384 + 40]u8 = undefined;
    for (&data, 0..) |*b, i| b.* = @truncate((i *% 2654435761) >> 13);
    const key: [32]u8 = @splat(0xa7);
    for ([_]usize{ 16384, 16383, 16385, 16384 + 40, 1000, 4099, 127, 129, 255, 257 }) |len| {
        for ([_]usize{ 0, 15, 300 }) |ad_len| {
            // The message starts at an odd offset so that no access relies on alignment.
            const m = data[1..][0..@min(len, data.len - 1)];
            try checkAgainstStd(Aes128Gcm, StdAes128Gcm, key[0..16].*, data[7..][0..ad_len], m);
            try checkAgainstStd(Aes256Gcm, StdAes256Gcm, key, data[7..][0..ad_len], m);
        }
    }
}

test "AES-GCM known answer (GCM spec test case 16, AES-256)" {
    const hex = @import("common.zig").hex;
    const key = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
    const iv = hex("cafebabefacedbaddecaf888");
    const pt = hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
    const ad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
    var c: [pt.len]u8 = undefined;
    var tag: [16]u8 = undefined;
    Aes256Gcm.encrypt(&c, &tag, &pt, &ad, iv, key);
    try testing.expectEqualSlices(u8, &hex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"), &c);
    try testing.expectEqualSlices(u8, &hex("76fc6ece0f4e1768cddf8853bb2d551b"), &tag);
}
