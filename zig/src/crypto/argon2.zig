//! Argon2id (RFC 9106, version 0x13) with a vectorised block compression.
//!
//! std.crypto.pwhash.argon2 spends nearly all its time in the BlaMka
//! compression of 1 KiB blocks, which it runs on 4-word vectors assembled word
//! by word through pointers. Here the compression follows the reference
//! implementation's "opt" variant: the block is read as 64 two-word pairs, and
//! each BlaMka G round runs on whole vectors of 4-word groups, `groups` of the
//! 8 independent row (or column) groups at once. The vector width follows the
//! CPU level: 8 words (one zmm, two groups) with AVX-512, 16 words (four ymm)
//! with AVX2, and with SSE2 a 4-word vector that LLVM splits into two xmm
//! halves, which is the reference SSE2 layout. The block array is backed by
//! transparent huge pages where available (see allocBlocks), which matters as
//! much as the vector code once memory outgrows the caches.
//!
//! Blake2b, H0 and H' use std's Blake2b512. Lanes are computed in turn on the
//! calling thread: the C API runs off the JS thread already. Output is
//! byte-identical to std.crypto.pwhash.argon2.kdf(.argon2id) (see the tests).

const std = @import("std");
const builtin = @import("builtin");
const mem = std.mem;
const Blake2b512 = std.crypto.hash.blake2.Blake2b512;

pub const Params = std.crypto.pwhash.argon2.Params;
pub const Error = error{ WeakParameters, OutputTooLong, OutOfMemory };

const version: u32 = 0x13;
const mode_id: u32 = 2; // Argon2id
const sync_points = 4;
const words = 128; // u64 words in a 1 KiB block
const max_int = std.math.maxInt(u32);

const Block = [words]u64;

/// Words per compression vector, i.e. 4 x the number of 4-word groups run
/// side by side. With AVX-512 that is one zmm (two groups); with AVX2 four
/// groups, held as four ymm per role, which gives the out-of-order core
/// independent chains and measured faster than one group per ymm; on the SSE2
/// baseline one group, as an xmm pair (wider gains nothing with 16 xmm).
const vec_words: comptime_int = if (builtin.cpu.arch != .x86_64 or builtin.zig_backend == .stage2_x86_64)
    4
else if (builtin.cpu.has(.x86, .avx512f))
    8
else if (builtin.cpu.has(.x86, .avx2))
    16
else
    4;
const groups = vec_words / 4;
const V = @Vector(vec_words, u64);
const Pair = @Vector(2, u64);

/// BlaMka's multiply-add: a + b + 2 * lo32(a) * lo32(b). Masking (rather than
/// truncating) lets LLVM select pmuludq / vpmuludq directly.
inline fn fBlaMka(a: V, b: V) V {
    const lo: V = @splat(0xffff_ffff);
    const p = (a & lo) *% (b & lo);
    return a +% b +% p +% p;
}

inline fn rotr(x: V, comptime n: comptime_int) V {
    return (x >> @splat(n)) | (x << @splat(64 - n));
}

inline fn gHalf(a: *V, b: *V, c: *V, d: *V) void {
    a.* = fBlaMka(a.*, b.*);
    d.* = rotr(d.* ^ a.*, 32);
    c.* = fBlaMka(c.*, d.*);
    b.* = rotr(b.* ^ c.*, 24);
    a.* = fBlaMka(a.*, b.*);
    d.* = rotr(d.* ^ a.*, 16);
    c.* = fBlaMka(c.*, d.*);
    b.* = rotr(b.* ^ c.*, 63);
}

/// Shuffle mask rotating every 4-word group left by `s` lanes: it moves the
/// diagonals of each group's 4x4 state into columns (and back with 4 - s).
fn rotMask(comptime s: comptime_int) [vec_words]i32 {
    var m: [vec_words]i32 = undefined;
    for (&m, 0..) |*x, i| x.* = @intCast(i / 4 * 4 + (i % 4 + s) % 4);
    return m;
}

const rot_masks = [4][vec_words]i32{ rotMask(0), rotMask(1), rotMask(2), rotMask(3) };

inline fn rot(x: V, comptime s: comptime_int) V {
    return @shuffle(u64, x, undefined, rot_masks[s]);
}

/// One BlaMka permutation P on `groups` 16-word states at once: the column
/// step, then the diagonal step with b, c, d rotated into place.
inline fn permute(a: *V, b: *V, c: *V, d: *V) void {
    gHalf(a, b, c, d);
    var b1 = rot(b.*, 1);
    var c1 = rot(c.*, 2);
    var d1 = rot(d.*, 3);
    gHalf(a, &b1, &c1, &d1);
    b.* = rot(b1, 3);
    c.* = rot(c1, 2);
    d.* = rot(d1, 1);
}

/// Pair index of state word pair (2x + h) of group g. Row groups are the 8
/// rows of 16 words (8 pairs each); column group g takes pair g of every row.
/// The two phases are transposes of each other on the 8x8 matrix of pairs.
inline fn pairIndex(comptime column: bool, comptime g: usize, comptime x: usize, comptime h: usize) usize {
    return if (column) 8 * (2 * x + h) + g else 8 * g + 2 * x + h;
}

inline fn load(q: *const [64]Pair, comptime column: bool, comptime g0: usize, comptime x: usize) V {
    var w: [vec_words]u64 = undefined;
    inline for (0..groups) |k| inline for (0..2) |h| {
        w[4 * k + 2 * h ..][0..2].* = q[pairIndex(column, g0 + k, x, h)];
    };
    return w;
}

inline fn store(q: *[64]Pair, comptime column: bool, comptime g0: usize, comptime x: usize, v: V) void {
    const w: [vec_words]u64 = v;
    inline for (0..groups) |k| inline for (0..2) |h| {
        q[pairIndex(column, g0 + k, x, h)] = w[4 * k + 2 * h ..][0..2].*;
    };
}

/// Applies P to all 8 row groups (column = false) or all 8 column groups.
inline fn phase(q: *[64]Pair, comptime column: bool) void {
    inline for (0..8 / groups) |i| {
        const g0 = i * groups;
        var a = load(q, column, g0, 0);
        var b = load(q, column, g0, 1);
        var c = load(q, column, g0, 2);
        var d = load(q, column, g0, 3);
        permute(&a, &b, &c, &d);
        store(q, column, g0, 0, a);
        store(q, column, g0, 1, b);
        store(q, column, g0, 2, c);
        store(q, column, g0, 3, d);
    }
}

/// The compression G(X, Y) = P(X ^ Y) ^ X ^ Y, xored into `dst` when
/// `with_xor` (passes after the first, version 0x13). `dst` may alias `x`:
/// both inputs are read in full before `dst` is written.
fn fillBlock(dst: *align(16) Block, x: *align(16) const Block, y: *align(16) const Block, comptime with_xor: bool) void {
    const xv: *const [words / 2]Pair = @ptrCast(x);
    const yv: *const [words / 2]Pair = @ptrCast(y);
    var r: [words / 2]Pair = undefined;
    var q: [words / 2]Pair = undefined;
    for (0..words / 2) |i| {
        r[i] = xv[i] ^ yv[i];
        q[i] = r[i];
    }
    // The two phases are fully unrolled (comptime pair indices).
    @setEvalBranchQuota(10_000);
    phase(&q, false);
    phase(&q, true);
    const dv: *[words / 2]Pair = @ptrCast(dst);
    for (0..words / 2) |i| {
        dv[i] = if (with_xor) dv[i] ^ q[i] ^ r[i] else q[i] ^ r[i];
    }
}

/// H0 (RFC 9106 §3.2 step 1), with 8 spare bytes for the block and lane
/// numbers appended when deriving the first two blocks of each lane.
fn initHash(password: []const u8, salt: []const u8, params: Params, out_len: u32) [Blake2b512.digest_length + 8]u8 {
    var h0: [Blake2b512.digest_length + 8]u8 = undefined;
    var b2 = Blake2b512.init(.{});
    const head = [_]u32{ params.p, out_len, params.m, params.t, version, mode_id };
    for (head) |v| b2.update(&mem.toBytes(mem.nativeToLittle(u32, v)));
    // Lengths were checked against u32 by the caller.
    const empty: []const u8 = "";
    for ([_][]const u8{ password, salt, params.secret orelse empty, params.ad orelse empty }) |s| {
        b2.update(&mem.toBytes(mem.nativeToLittle(u32, @as(u32, @intCast(s.len)))));
        b2.update(s);
    }
    b2.final(h0[0..Blake2b512.digest_length]);
    return h0;
}

/// The variable-length hash H' (RFC 9106 §3.3). `out.len` fits in u32.
fn hashLong(out: []u8, in: []const u8) void {
    const dl = Blake2b512.digest_length;
    const len_le = mem.toBytes(mem.nativeToLittle(u32, @as(u32, @intCast(out.len))));
    var buf: [dl]u8 = undefined;
    defer std.crypto.secureZero(u8, &buf);
    var b2 = Blake2b512.init(.{ .expected_out_bits = @as(usize, @min(out.len, dl)) * 8 });
    b2.update(&len_le);
    b2.update(in);
    b2.final(&buf);
    if (out.len <= dl) {
        @memcpy(out, buf[0..out.len]);
        return;
    }
    // Chained 64-byte hashes, keeping the first 32 bytes of each; the last
    // one is sized to the bytes still needed.
    var rest = out;
    while (rest.len > dl) {
        rest[0 .. dl / 2].* = buf[0 .. dl / 2].*;
        rest = rest[dl / 2 ..];
        const prev = buf;
        Blake2b512.hash(&prev, &buf, .{ .expected_out_bits = @as(usize, @min(rest.len, dl)) * 8 });
    }
    @memcpy(rest, buf[0..rest.len]);
}

/// Geometry of one run: `lane_len` blocks per lane, `seg_len` per segment.
const Shape = struct {
    lanes: u32,
    lane_len: u32,
    seg_len: u32,
    blocks: u32,
    passes: u32,
};

/// Reference block index for block `index` of a segment (RFC 9106 §3.4.1.2).
/// u64 arithmetic throughout: no intermediate can overflow for any shape.
fn refIndex(s: Shape, rand: u64, pass: u32, slice: u32, lane: u32, index: u32) usize {
    const first = pass == 0 and slice == 0;
    const ref_lane: u64 = if (first) lane else (rand >> 32) % s.lanes;
    const same = ref_lane == lane;
    const seg: u64 = s.seg_len;
    // Blocks this position may reference: the finished segments (all of the
    // current pass so far in pass 0, the other three slices afterwards) plus,
    // in its own lane, the blocks of the current segment before this one.
    // Another lane's current segment is never visible; at index 0 the block
    // just before this one (the previous segment's last) is excluded too.
    var area: u64 = if (pass == 0) slice * seg else 3 * seg;
    if (same) area += index;
    if (index == 0 or same) area -= 1;
    const start: u64 = if (pass == 0) 0 else ((slice + 1) % sync_points) * seg;
    const j1: u64 = rand & 0xffff_ffff;
    const x = (j1 * j1) >> 32;
    const y = (area * x) >> 32;
    const rel = area - 1 - y;
    return @intCast(ref_lane * s.lane_len + (start + rel) % s.lane_len);
}

/// Pseudo-random address source for the data-independent first half of pass
/// 0 (Argon2id): each address block is G(0, G(0, input)) over a counter.
const Addresses = struct {
    input: Block align(64) = @splat(0),
    block: Block align(64) = undefined,

    fn init(s: Shape, pass: u32, slice: u32, lane: u32) Addresses {
        var a: Addresses = .{};
        a.input[0] = pass;
        a.input[1] = lane;
        a.input[2] = slice;
        a.input[3] = s.blocks;
        a.input[4] = s.passes;
        a.input[5] = mode_id;
        return a;
    }

    fn next(a: *Addresses) void {
        const zero: Block align(64) = @splat(0);
        a.input[6] += 1;
        fillBlock(&a.block, &a.input, &zero, false);
        fillBlock(&a.block, &a.block, &zero, false);
    }
};

/// Fills one segment of one lane. Argon2id takes reference indices from the
/// address generator in the first two slices of pass 0 and from the first
/// word of the previous block everywhere else.
fn fillSegment(mem_blocks: []align(64) Block, s: Shape, pass: u32, slice: u32, lane: u32) void {
    const independent = pass == 0 and slice < sync_points / 2;
    var addr: Addresses = if (independent) .init(s, pass, slice, lane) else undefined;
    var index: u32 = 0;
    if (pass == 0 and slice == 0) {
        // Blocks 0 and 1 of each lane come from H0.
        index = 2;
        if (independent) addr.next();
    }
    const lane_start = @as(usize, lane) * s.lane_len;
    var cur = lane_start + @as(usize, slice) * s.seg_len + index;
    while (index < s.seg_len) : ({
        index += 1;
        cur += 1;
    }) {
        const prev = if (cur == lane_start) lane_start + s.lane_len - 1 else cur - 1;
        var rand: u64 = undefined;
        if (independent) {
            if (index % words == 0) addr.next();
            rand = addr.block[index % words];
        } else {
            rand = mem_blocks[prev][0];
        }
        const ref = refIndex(s, rand, pass, slice, lane, index);
        if (pass == 0) {
            fillBlock(&mem_blocks[cur], &mem_blocks[prev], &mem_blocks[ref], false);
        } else {
            fillBlock(&mem_blocks[cur], &mem_blocks[prev], &mem_blocks[ref], true);
        }
    }
}

/// Blocks 0 and 1 of every lane: H'(H0 || block number || lane).
fn initLanes(mem_blocks: []align(64) Block, s: Shape, h0: *[Blake2b512.digest_length + 8]u8) void {
    var bytes: [1024]u8 = undefined;
    defer std.crypto.secureZero(u8, &bytes);
    var lane: u32 = 0;
    while (lane < s.lanes) : (lane += 1) {
        mem.writeInt(u32, h0[Blake2b512.digest_length + 4 ..][0..4], lane, .little);
        for (0..2) |b| {
            mem.writeInt(u32, h0[Blake2b512.digest_length..][0..4], @intCast(b), .little);
            hashLong(&bytes, h0);
            const blk = &mem_blocks[@as(usize, lane) * s.lane_len + b];
            for (blk, 0..) |*w, i| w.* = mem.readInt(u64, bytes[i * 8 ..][0..8], .little);
        }
    }
}

/// Xors the last block of every lane and hashes it to the output.
fn finish(mem_blocks: []align(64) Block, s: Shape, out: []u8) void {
    var acc: Block = mem_blocks[s.lane_len - 1];
    var lane: usize = 1;
    while (lane < s.lanes) : (lane += 1) {
        for (&acc, mem_blocks[lane * s.lane_len + s.lane_len - 1]) |*a, w| a.* ^= w;
    }
    var bytes: [1024]u8 = undefined;
    for (acc, 0..) |w, i| mem.writeInt(u64, bytes[i * 8 ..][0..8], w, .little);
    hashLong(out, &bytes);
    std.crypto.secureZero(u64, &acc);
    std.crypto.secureZero(u8, &bytes);
}

const huge_page = 2 * 1024 * 1024;

/// The block array, 2 MiB-aligned and (on Linux) marked for transparent huge
/// pages. Reference blocks are read at random over the whole array, so with
/// 4 KiB pages nearly every one costs a TLB miss and the first touch of each
/// page a fault; huge pages remove most of both. Best effort: where THP is
/// off, madvise fails or is ignored and the memory simply stays 4 KiB-paged.
/// The alignment only reserves address space; page_allocator trims the rest.
fn allocBlocks(n: u32) error{OutOfMemory}![]align(huge_page) Block {
    const blocks = try std.heap.page_allocator.alignedAlloc(Block, .fromByteUnits(huge_page), n);
    if (builtin.os.tag == .linux) {
        const bytes = std.mem.sliceAsBytes(blocks);
        _ = std.os.linux.madvise(bytes.ptr, bytes.len, std.os.linux.MADV.HUGEPAGE);
    }
    return blocks;
}

/// Argon2id into `out`, with the parameter checks and errors of
/// std.crypto.pwhash.argon2.kdf. Memory comes from page_allocator; large
/// blocks are unmapped on return, so the kernel zeroes them before reuse and
/// no wipe pass is spent here.
pub fn kdf(out: []u8, password: []const u8, salt: []const u8, params: Params) Error!void {
    if (out.len < 4) return error.WeakParameters;
    if (out.len > max_int) return error.OutputTooLong;
    if (password.len > max_int) return error.WeakParameters;
    if (salt.len < 8 or salt.len > max_int) return error.WeakParameters;
    const empty: []const u8 = "";
    if ((params.secret orelse empty).len > max_int or (params.ad orelse empty).len > max_int) return error.WeakParameters;
    if (params.t < 1 or params.p < 1) return error.WeakParameters;
    if (params.m / 8 < params.p) return error.WeakParameters;

    // m rounded down to a multiple of 4p blocks (at least 8p), as in std.
    const p: u32 = params.p;
    const blocks = @max(params.m / (sync_points * p) * (sync_points * p), 2 * sync_points * p);
    const s: Shape = .{
        .lanes = p,
        .lane_len = blocks / p,
        .seg_len = blocks / p / sync_points,
        .blocks = blocks,
        .passes = params.t,
    };
    const mem_blocks = try allocBlocks(blocks);
    defer std.heap.page_allocator.free(mem_blocks);

    var h0 = initHash(password, salt, params, @intCast(out.len));
    defer std.crypto.secureZero(u8, &h0);
    initLanes(mem_blocks, s, &h0);
    var pass: u32 = 0;
    while (pass < s.passes) : (pass += 1) {
        for (0..sync_points) |slice| {
            var lane: u32 = 0;
            while (lane < s.lanes) : (lane += 1) fillSegment(mem_blocks, s, pass, @intCast(slice), lane);
        }
    }
    finish(mem_blocks, s, out);
}

// ---------------------------------------------------------------------------
// Tests

const testing = std.testing;
const std_argon2 = std.crypto.pwhash.argon2;

fn expectSameAsStd(out_len: usize, password: []const u8, salt: []const u8, params: Params) !void {
    var got: [80]u8 = undefined;
    var want: [80]u8 = undefined;
    try kdf(got[0..out_len], password, salt, params);
    try std_argon2.kdf(testing.allocator, want[0..out_len], password, salt, params, .argon2id, std.Io.failing);
    try testing.expectEqualSlices(u8, want[0..out_len], got[0..out_len]);
}

test "RFC 9106 5.3 Argon2id vector" {
    const password: [32]u8 = @splat(0x01);
    const salt: [16]u8 = @splat(0x02);
    const secret: [8]u8 = @splat(0x03);
    const ad: [12]u8 = @splat(0x04);
    var out: [32]u8 = undefined;
    try kdf(&out, &password, &salt, .{ .t = 3, .m = 32, .p = 4, .secret = &secret, .ad = &ad });
    var want: [32]u8 = undefined;
    _ = try std.fmt.hexToBytes(&want, "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
    try testing.expectEqualSlices(u8, &want, &out);
}

test "equal to std over a parameter grid" {
    const long_pw = "a password longer than sixty-four bytes, so that H0 spans two Blake2b blocks....";
    const long_salt = "and a salt that is also well over sixty-four bytes long, for the same reason.....";
    const inputs = [_][2][]const u8{
        .{ "", "8bytesal" },
        .{ "pass", "somesalt" },
        .{ long_pw, long_salt },
    };
    const out_lens = [_]usize{ 4, 16, 32, 64, 65, 80 };
    var case: usize = 0;
    for ([_]u32{ 1, 2, 3 }) |t| {
        for ([_]u32{ 8, 9, 16, 31, 64, 100, 256, 1000, 4096 }) |m| {
            for ([_]u24{ 1, 2, 3, 4 }) |p| {
                if (m < 8 * @as(u32, p)) continue;
                const in = inputs[case % inputs.len];
                try expectSameAsStd(out_lens[case % out_lens.len], in[0], in[1], .{ .t = t, .m = m, .p = p });
                case += 1;
            }
        }
    }
}

test "equal to std with secret and associated data" {
    const secret = "0123456789abcdef";
    const ad = "associated data";
    try expectSameAsStd(32, "pw", "saltsalt", .{ .t = 2, .m = 300, .p = 3, .secret = secret, .ad = ad });
    try expectSameAsStd(64, "pw", "saltsalt", .{ .t = 1, .m = 64, .p = 1, .secret = secret });
    try expectSameAsStd(4, "pw", "saltsalt", .{ .t = 1, .m = 64, .p = 1, .ad = ad });
}

test "parameter checks match std" {
    var out: [32]u8 = undefined;
    try testing.expectError(error.WeakParameters, kdf(out[0..3], "pw", "somesalt", .{ .t = 1, .m = 64, .p = 1 }));
    try testing.expectError(error.WeakParameters, kdf(&out, "pw", "short", .{ .t = 1, .m = 64, .p = 1 }));
    try testing.expectError(error.WeakParameters, kdf(&out, "pw", "somesalt", .{ .t = 0, .m = 64, .p = 1 }));
    try testing.expectError(error.WeakParameters, kdf(&out, "pw", "somesalt", .{ .t = 1, .m = 64, .p = 0 }));
    try testing.expectError(error.WeakParameters, kdf(&out, "pw", "somesalt", .{ .t = 1, .m = 15, .p = 2 }));
}

test "64 MiB, t = 3, p = 1 equal to std" {
    try expectSameAsStd(32, "correct horse battery staple", "0123456789abcdef", .{ .t = 3, .m = 64 * 1024, .p = 1 });
}
