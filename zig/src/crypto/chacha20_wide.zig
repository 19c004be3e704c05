//! ChaCha20 (IETF: 256-bit key, 96-bit nonce, 32-bit block counter) in the
//! column-wise ("word-sliced") layout, plus HChaCha20.
//!
//! std keeps one block's 4x4 state row-wise in 4-lane vectors, which costs lane
//! rotations every round. Here each of the 16 state words is a
//! `@Vector(n, u32)` holding that word for n consecutive blocks, so the rounds
//! are purely lane-wise add/xor/rotate; the keystream is transposed back into
//! block order only once, at the end. n follows the widest vector the target
//! prefers (16 with AVX-512, 8 with AVX2, 4 with SSE2/NEON).
//!
//! Output is byte-identical to std.crypto.stream.chacha.ChaCha20IETF.

const std = @import("std");
const builtin = @import("builtin");
const mem = std.mem;
const rotl = std.math.rotl;

/// Blocks per batch in the widest path. At least 4 (so the tail path below is
/// never wider than the main one) and at most 16 (the state is 16 words, and a
/// wider batch would not fit in registers anyway). With AVX-512 we use all 16
/// lanes even though x86_64_v4 sets prefer-256-bit (which makes
/// suggestVectorLength say 8): ChaCha is pure ALU work, and zmm with native
/// rotates measured clearly faster than ymm here.
pub const lanes: comptime_int = if (builtin.cpu.arch == .x86_64 and
    builtin.zig_backend != .stage2_x86_64 and builtin.cpu.has(.x86, .avx512f))
    16
else
    @max(4, @min(16, std.simd.suggestVectorLength(u32) orelse 4));

/// Batch widths tried in order: lanes, lanes/2, ..., 4.
const widths = blk: {
    var list: []const comptime_int = &.{};
    var w = lanes;
    while (w >= 4) : (w /= 2) list = list ++ .{w};
    break :blk list;
};

/// "expand 32-byte k" as little-endian words.
const sigma = [4]u32{ 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 };

pub fn keyWords(key: [32]u8) [8]u32 {
    var k: [8]u32 = undefined;
    for (&k, 0..) |*w, i| w.* = mem.readInt(u32, key[4 * i ..][0..4], .little);
    return k;
}

pub fn nonceWords(nonce: [12]u8) [3]u32 {
    var n: [3]u32 = undefined;
    for (&n, 0..) |*w, i| w.* = mem.readInt(u32, nonce[4 * i ..][0..4], .little);
    return n;
}

/// One quarter-round on words a, b, c, d. `V` is u32 (one block) or a vector
/// (one lane per block); the code is the same either way.
inline fn quarterRound(comptime V: type, x: *[16]V, comptime a: usize, comptime b: usize, comptime c: usize, comptime d: usize) void {
    x[a] +%= x[b];
    x[d] = rotl(V, x[d] ^ x[a], 16);
    x[c] +%= x[d];
    x[b] = rotl(V, x[b] ^ x[c], 12);
    x[a] +%= x[b];
    x[d] = rotl(V, x[d] ^ x[a], 8);
    x[c] +%= x[d];
    x[b] = rotl(V, x[b] ^ x[c], 7);
}

/// The 20-round ChaCha permutation, without the final feed-forward.
fn permute(comptime V: type, x: *[16]V) void {
    for (0..10) |_| {
        quarterRound(V, x, 0, 4, 8, 12);
        quarterRound(V, x, 1, 5, 9, 13);
        quarterRound(V, x, 2, 6, 10, 14);
        quarterRound(V, x, 3, 7, 11, 15);
        quarterRound(V, x, 0, 5, 10, 15);
        quarterRound(V, x, 1, 6, 11, 12);
        quarterRound(V, x, 2, 7, 8, 13);
        quarterRound(V, x, 3, 4, 9, 14);
    }
}

/// Shuffle masks for one butterfly stage of an n x n transpose: the stage
/// swaps bit `h` of the row index with bit `h` of the column index. Row r
/// (bit clear) and row r|h are combined; `lo` builds the new row r, `hi` the
/// new row r|h (negative indices select from the second operand).
fn stageMasks(comptime n: usize, comptime h: usize) [2][n]i32 {
    var lo: [n]i32 = undefined;
    var hi: [n]i32 = undefined;
    for (0..n) |c| {
        if (c & h == 0) {
            lo[c] = c;
            hi[c] = c + h;
        } else {
            lo[c] = ~@as(i32, c - h);
            hi[c] = ~@as(i32, c);
        }
    }
    return .{ lo, hi };
}

/// In-place transpose of an n x n matrix of u32 held as n row vectors,
/// in log2(n) stages of two-operand shuffles (no scalar extraction).
inline fn transpose(comptime n: usize, r: *[n]@Vector(n, u32)) void {
    comptime var h = 1;
    inline while (h < n) : (h *= 2) {
        const m = comptime stageMasks(n, h);
        inline for (0..n) |i| {
            if (i & h == 0) {
                const a = r[i];
                const b = r[i + h];
                r[i] = @shuffle(u32, a, b, m[0]);
                r[i + h] = @shuffle(u32, a, b, m[1]);
            }
        }
    }
}

/// dst = src ^ keystream for n consecutive blocks starting at block `ctr`
/// (the counter wraps modulo 2^32, as it is a 32-bit word of the state).
/// `dst` may be the same memory as `src`: each chunk is read before it is written.
inline fn xorBatch(comptime n: usize, dst: *[64 * n]u8, src: *const [64 * n]u8, k: *const [8]u32, nonce: [3]u32, ctr: u32) void {
    const V = @Vector(n, u32);
    var init: [16]V = undefined;
    for (0..4) |i| init[i] = @splat(sigma[i]);
    for (0..8) |i| init[4 + i] = @splat(k[i]);
    init[12] = @as(V, @splat(ctr)) +% std.simd.iota(u32, n);
    for (0..3) |i| init[13 + i] = @splat(nonce[i]);

    var x = init;
    permute(V, &x);
    for (&x, init) |*w, w0| w.* +%= w0;

    // Words q*n .. q*n+n-1 of the n blocks form an n x n square; once
    // transposed, its row j is bytes 4*n*q .. 4*n*(q+1) of block j.
    inline for (0..16 / n) |q| {
        var sq: [n]V = x[q * n ..][0..n].*;
        transpose(n, &sq);
        inline for (0..n) |j| {
            const off = 64 * j + 4 * n * q;
            var ks = sq[j];
            if (comptime builtin.cpu.arch.endian() == .big) ks = @byteSwap(ks);
            const in: @Vector(4 * n, u8) = src[off..][0 .. 4 * n].*;
            dst[off..][0 .. 4 * n].* = in ^ @as(@Vector(4 * n, u8), @bitCast(ks));
        }
    }
}

/// out = in ^ ChaCha20 keystream starting at block `counter`, for key and
/// nonce already in word form. Requires out.len == in.len (callers slice).
/// Past block 2^32 - 1 the counter wraps, i.e. the keystream repeats: callers
/// must keep messages within 64 * (2^32 - counter) bytes, as RFC 8439 does.
pub fn xorWords(out: []u8, in: []const u8, counter: u32, k: *const [8]u32, nonce: [3]u32) void {
    const len = @min(out.len, in.len);
    var ctr = counter;
    var i: usize = 0;
    inline for (widths) |w| {
        while (len - i >= 64 * w) : (i += 64 * w) {
            xorBatch(w, out[i..][0 .. 64 * w], in[i..][0 .. 64 * w], k, nonce, ctr);
            ctr +%= w;
        }
    }
    if (i == len) return;
    // Tail of fewer than 4 blocks: a single block is cheapest scalar; for two
    // or three, one 4-lane batch costs less than that many scalar blocks.
    const rem = len - i;
    var ks: [256]u8 = @splat(0);
    defer std.crypto.secureZero(u8, &ks); // keystream for unused counters
    if (rem <= 64) ks[0..64].* = block(k, nonce, ctr) else xorBatch(4, &ks, &ks, k, nonce, ctr);
    for (out[i..len], in[i..len], ks[0..rem]) |*o, a, b| o.* = a ^ b;
}

/// Drop-in for std's ChaCha20IETF.xor. Processes min(out.len, in.len) bytes
/// instead of asserting equal lengths, so no input can reach a panic.
pub fn xor(out: []u8, in: []const u8, counter: u32, key: [32]u8, nonce: [12]u8) void {
    const k = keyWords(key);
    xorWords(out, in, counter, &k, nonceWords(nonce));
}

/// Four keystream blocks starting at `counter`, in one 4-lane batch: about
/// the price of one row-wise block, so AEADs take the Poly1305 key (block 0)
/// and the first 192 bytes of keystream from a single call.
pub fn keystream4(k: *const [8]u32, nonce: [3]u32, counter: u32) [256]u8 {
    var ks: [256]u8 = @splat(0);
    xorBatch(4, &ks, &ks, k, nonce, counter);
    return ks;
}

/// One 64-byte keystream block, scalar.
pub fn block(k: *const [8]u32, nonce: [3]u32, counter: u32) [64]u8 {
    var x: [16]u32 = sigma ++ k.* ++ [1]u32{counter} ++ nonce;
    const init = x;
    permute(u32, &x);
    var out: [64]u8 = undefined;
    for (x, init, 0..) |w, w0, i| mem.writeInt(u32, out[4 * i ..][0..4], w +% w0, .little);
    return out;
}

/// HChaCha20 (draft-irtf-cfrg-xchacha §2.2): the permutation of
/// (sigma, key, input) without feed-forward; the subkey is words 0..3 and 12..15.
/// std has one, but it is private.
pub fn hchacha20(key: [32]u8, input: [16]u8) [32]u8 {
    var x: [16]u32 = undefined;
    x[0..4].* = sigma;
    x[4..12].* = keyWords(key);
    for (0..4) |i| x[12 + i] = mem.readInt(u32, input[4 * i ..][0..4], .little);
    permute(u32, &x);
    var out: [32]u8 = undefined;
    for (0..4) |i| {
        mem.writeInt(u32, out[4 * i ..][0..4], x[i], .little);
        mem.writeInt(u32, out[16 + 4 * i ..][0..4], x[12 + i], .little);
    }
    std.crypto.secureZero(u32, &x);
    return out;
}

// ---------------------------------------------------------------------------
// Tests

const testing = std.testing;
const StdChaCha = std.crypto.stream.chacha.ChaCha20IETF;

fn fillPattern(buf: []u8, seed: u8) void {
    for (buf, 0..) |*b, i| b.* = @truncate(i *% 131 +% seed);
}

fn expectSameAsStd(len: usize, counter: u32, in_place: bool) !void {
    const alloc = testing.allocator;
    const in = try alloc.alloc(u8, len);
    defer alloc.free(in);
    const want = try alloc.alloc(u8, len);
    defer alloc.free(want);
    const got = try alloc.alloc(u8, len);
    defer alloc.free(got);
    fillPattern(in, @truncate(len));
    const key: [32]u8 = @splat(@as(u8, @truncate(len)) ^ 0x5a);
    const nonce = [12]u8{ 0, 0, 0, 9, 0, 0, 0, 0x4a, 0, 0, 0, @truncate(counter) };
    StdChaCha.xor(want, in, counter, key, nonce);
    if (in_place) {
        @memcpy(got, in);
        xor(got, got, counter, key, nonce);
    } else xor(got, in, counter, key, nonce);
    try testing.expectEqualSlices(u8, want, got);
}

test "matches std for lengths 0..1100, 16 KiB and 1 MiB + 7" {
    for (0..1101) |len| try expectSameAsStd(len, 1, false);
    try expectSameAsStd(16384, 0, false);
    try expectSameAsStd(16384, 7, true);
    try expectSameAsStd((1 << 20) + 7, 1, false);
    try expectSameAsStd((1 << 20) + 7, 3, true);
}

test "counters up to the 2^32 boundary" {
    // std defines output while the last block's counter is <= 2^32 - 1.
    const top: u32 = std.math.maxInt(u32);
    for (1..40) |blocks| {
        const b: u32 = @intCast(blocks);
        try expectSameAsStd(64 * blocks, top - b + 1, false);
        try expectSameAsStd(64 * blocks - 5, top - b + 1, true);
    }
}

test "block(), keystream4() and hchacha20 against std and the draft's vector" {
    var key: [32]u8 = undefined;
    for (&key, 0..) |*b, i| b.* = @intCast(i);
    const nonce = [12]u8{ 0, 0, 0, 9, 0, 0, 0, 0x4a, 0, 0, 0, 0 };
    var want: [64]u8 = @splat(0);
    StdChaCha.xor(&want, &want, 1, key, nonce);
    try testing.expectEqualSlices(u8, &want, &block(&keyWords(key), nonceWords(nonce), 1));
    var want4: [256]u8 = @splat(0);
    StdChaCha.xor(&want4, &want4, 1, key, nonce);
    try testing.expectEqualSlices(u8, &want4, &keystream4(&keyWords(key), nonceWords(nonce), 1));

    // draft-irtf-cfrg-xchacha-03 §2.2.1
    const input = [16]u8{ 0, 0, 0, 9, 0, 0, 0, 0x4a, 0, 0, 0, 0, 0x31, 0x41, 0x59, 0x27 };
    var sub: [32]u8 = undefined;
    _ = try std.fmt.hexToBytes(&sub, "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc");
    try testing.expectEqualSlices(u8, &sub, &hchacha20(key, input));
}

test "transpose" {
    inline for (.{ 2, 4, 8, 16 }) |n| {
        var rows: [n][n]u32 = undefined;
        for (0..n) |i| for (0..n) |j| {
            rows[i][j] = @intCast(i * 100 + j);
        };
        var r: [n]@Vector(n, u32) = undefined;
        for (&r, rows) |*v, a| v.* = a;
        transpose(n, &r);
        for (0..n) |i| {
            const a: [n]u32 = r[i];
            for (0..n) |j| try testing.expectEqual(@as(u32, @intCast(j * 100 + i)), a[j]);
        }
    }
}
