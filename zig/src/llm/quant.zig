//! Tensor block formats (ggml's layouts), dequantisation, activation quantisation and
//! the dot-product kernels. Activations are quantised the way llama.cpp does before a
//! quantised dot product (Q8_0 for the 32-element formats, Q8_K for the K-quants, F16
//! or BF16 rounding for half-precision weights), so logits agree with llama.cpp.

const std = @import("std");
const builtin = @import("builtin");

pub const BlockQ8_0 = extern struct { d: u16 align(1), qs: [32]i8 };
pub const BlockQ4_0 = extern struct { d: u16 align(1), qs: [16]u8 };
pub const BlockQ5_0 = extern struct { d: u16 align(1), qh: [4]u8, qs: [16]u8 };
pub const BlockQ4K = extern struct { d: u16 align(1), dmin: u16 align(1), scales: [12]u8, qs: [128]u8 };
pub const BlockQ6K = extern struct { ql: [128]u8, qh: [64]u8, scales: [16]i8, d: u16 align(1) };
pub const BlockQ8K = extern struct { d: f32, qs: [256]i8, bsums: [16]i16 };

comptime {
    std.debug.assert(@sizeOf(BlockQ8_0) == 34);
    std.debug.assert(@sizeOf(BlockQ4_0) == 18);
    std.debug.assert(@sizeOf(BlockQ5_0) == 22);
    std.debug.assert(@sizeOf(BlockQ4K) == 144);
    std.debug.assert(@sizeOf(BlockQ6K) == 210);
    std.debug.assert(@sizeOf(BlockQ8K) == 292);
}

const has_avx512 = builtin.cpu.arch == .x86_64 and std.Target.x86.featureSetHas(builtin.cpu.features, .avx512f);
const has_f16c = builtin.cpu.arch == .x86_64 and std.Target.x86.featureSetHas(builtin.cpu.features, .f16c);

/// IEEE half → single (exact). Bit arithmetic, so no compiler-rt call on any CPU level.
pub inline fn f16ToF32(h: u16) f32 {
    if (has_f16c) return @floatCast(@as(f16, @bitCast(h)));
    const magic: f32 = @bitCast(@as(u32, 113 << 23));
    const was_infnan: u32 = 0x7c00 << 13;
    var o: u32 = @as(u32, h & 0x7fff) << 13;
    const exp = o & was_infnan;
    o +%= (127 - 15) << 23;
    if (exp == was_infnan) {
        o +%= (128 - 16) << 23;
    } else if (exp == 0) {
        o +%= 1 << 23;
        o = @bitCast(@as(f32, @bitCast(o)) - magic);
    }
    return @bitCast(o | (@as(u32, h & 0x8000) << 16));
}

/// Single → half, round to nearest even (as F16C and ggml do).
pub inline fn f32ToF16(f: f32) u16 {
    if (has_f16c) return @bitCast(@as(f16, @floatCast(f)));
    const f32_infinity: u32 = 255 << 23;
    const f16_max: u32 = (127 + 16) << 23;
    const denorm_magic: u32 = ((127 - 15) + (23 - 10) + 1) << 23;
    var u: u32 = @bitCast(f);
    const sign = u & 0x8000_0000;
    u ^= sign;
    var o: u32 = undefined;
    if (u >= f16_max) {
        o = if (u > f32_infinity) 0x7e00 else 0x7c00;
    } else if (u < (113 << 23)) {
        const r: f32 = @as(f32, @bitCast(u)) + @as(f32, @bitCast(denorm_magic));
        o = @as(u32, @bitCast(r)) -% denorm_magic;
    } else {
        const mant_odd = (u >> 13) & 1;
        u +%= @as(u32, @bitCast(@as(i32, (15 - 127) << 23))) +% 0xfff;
        u +%= mant_odd;
        o = u >> 13;
    }
    return @truncate(o | (sign >> 16));
}

/// `f16ToF32` for the kernels' block scales. With F16C, LLVM inserts the half into
/// whatever register holds a stale vector (often the accumulator), which chains every
/// block on the previous block's multiply-add; `vmovd` clears the register first.
inline fn scaleF16(h: u16) f32 {
    if (!has_f16c or @inComptime()) return f16ToF32(h);
    return asm ("vmovd %[h], %[out]\n\tvcvtph2ps %[out], %[out]"
        : [out] "=x" (-> f32),
        : [h] "r" (@as(u32, h)),
    );
}

pub inline fn bf16ToF32(h: u16) f32 {
    return @bitCast(@as(u32, h) << 16);
}

pub inline fn f32ToBf16(f: f32) u16 {
    const u: u32 = @bitCast(f);
    if (u & 0x7fff_ffff > 0x7f80_0000) return @truncate((u >> 16) | 64);
    return @truncate((u +% (0x7fff + ((u >> 16) & 1))) >> 16);
}

/// Round half to even for |x| < 2^22, like `nearest_int` and `_mm256_round_ps` in ggml.
inline fn roundEven(x: anytype) @TypeOf(x) {
    const T = @TypeOf(x);
    const magic: T = switch (@typeInfo(T)) {
        .vector => @splat(12582912.0),
        else => 12582912.0,
    };
    return (x + magic) - magic;
}

pub const Type = @import("gguf.zig").TensorType;

// ---------------------------------------------------------------- dequantisation

/// Dequantises `out.len` elements starting at element 0 of `data` (a whole row).
pub fn dequantizeRow(t: Type, data: []const u8, out: []f32) void {
    switch (t) {
        .f32 => for (out, 0..) |*o, i| {
            o.* = @bitCast(std.mem.readInt(u32, data[i * 4 ..][0..4], .little));
        },
        .f16 => for (out, 0..) |*o, i| {
            o.* = f16ToF32(std.mem.readInt(u16, data[i * 2 ..][0..2], .little));
        },
        .bf16 => for (out, 0..) |*o, i| {
            o.* = bf16ToF32(std.mem.readInt(u16, data[i * 2 ..][0..2], .little));
        },
        .q8_0 => {
            const blocks = asBlocks(BlockQ8_0, data, out.len / 32);
            for (blocks, 0..) |b, i| {
                const d = f16ToF32(b.d);
                for (0..32) |j| out[i * 32 + j] = d * @as(f32, @floatFromInt(b.qs[j]));
            }
        },
        .q4_0 => {
            const blocks = asBlocks(BlockQ4_0, data, out.len / 32);
            for (blocks, 0..) |b, i| {
                var q: [32]i8 = undefined;
                unpackQ4_0(&b, &q);
                const d = f16ToF32(b.d);
                for (0..32) |j| out[i * 32 + j] = d * @as(f32, @floatFromInt(q[j]));
            }
        },
        .q5_0 => {
            const blocks = asBlocks(BlockQ5_0, data, out.len / 32);
            for (blocks, 0..) |b, i| {
                var q: [32]i8 = undefined;
                unpackQ5_0(&b, &q);
                const d = f16ToF32(b.d);
                for (0..32) |j| out[i * 32 + j] = d * @as(f32, @floatFromInt(q[j]));
            }
        },
        .q4_k => {
            const blocks = asBlocks(BlockQ4K, data, out.len / 256);
            for (blocks, 0..) |*b, i| {
                var q: [256]i8 = undefined;
                var sc: [8]u8 = undefined;
                var m: [8]u8 = undefined;
                unpackQ4K(b, &q, &sc, &m);
                const d = f16ToF32(b.d);
                const dmin = f16ToF32(b.dmin);
                for (0..256) |j| {
                    const s = d * @as(f32, @floatFromInt(sc[j / 32]));
                    const mm = dmin * @as(f32, @floatFromInt(m[j / 32]));
                    out[i * 256 + j] = s * @as(f32, @floatFromInt(q[j])) - mm;
                }
            }
        },
        .q6_k => {
            const blocks = asBlocks(BlockQ6K, data, out.len / 256);
            for (blocks, 0..) |*b, i| {
                var q: [256]i8 = undefined;
                unpackQ6K(b, &q);
                const d = f16ToF32(b.d);
                for (0..256) |j| {
                    out[i * 256 + j] = d * @as(f32, @floatFromInt(b.scales[j / 16])) * @as(f32, @floatFromInt(q[j]));
                }
            }
        },
        else => unreachable,
    }
}

pub fn asBlocks(comptime B: type, data: []const u8, n: usize) []align(1) const B {
    std.debug.assert(data.len >= n * @sizeOf(B));
    return @as([*]align(1) const B, @ptrCast(data.ptr))[0..n];
}

inline fn unpackQ4_0(b: *align(1) const BlockQ4_0, q: *[32]i8) void {
    const v: @Vector(16, u8) = b.qs;
    const lo: @Vector(16, i8) = @bitCast((v & @as(@Vector(16, u8), @splat(0xf))) -% @as(@Vector(16, u8), @splat(8)));
    const hi: @Vector(16, i8) = @bitCast((v >> @splat(4)) -% @as(@Vector(16, u8), @splat(8)));
    q[0..16].* = lo;
    q[16..32].* = hi;
}

inline fn unpackQ5_0(b: *align(1) const BlockQ5_0, q: *[32]i8) void {
    const qh = std.mem.readInt(u32, &b.qh, .little);
    const v: @Vector(16, u8) = b.qs;
    const idx = std.simd.iota(u5, 16);
    const bits_lo: @Vector(16, u32) = (@as(@Vector(16, u32), @splat(qh)) >> idx) & @as(@Vector(16, u32), @splat(1));
    const bits_hi: @Vector(16, u32) = (@as(@Vector(16, u32), @splat(qh)) >> (idx + @as(@Vector(16, u5), @splat(12)))) & @as(@Vector(16, u32), @splat(0x10));
    const lo = (v & @as(@Vector(16, u8), @splat(0xf))) | @as(@Vector(16, u8), @intCast(bits_lo << @splat(4)));
    const hi = (v >> @splat(4)) | @as(@Vector(16, u8), @intCast(bits_hi));
    q[0..16].* = @as(@Vector(16, i8), @bitCast(lo -% @as(@Vector(16, u8), @splat(16))));
    q[16..32].* = @as(@Vector(16, i8), @bitCast(hi -% @as(@Vector(16, u8), @splat(16))));
}

inline fn scaleMinK4(j: usize, s: *const [12]u8) struct { u8, u8 } {
    if (j < 4) return .{ s[j] & 63, s[j + 4] & 63 };
    return .{ (s[j + 4] & 0xf) | ((s[j - 4] >> 6) << 4), (s[j + 4] >> 4) | ((s[j] >> 6) << 4) };
}

inline fn unpackQ4K(b: *align(1) const BlockQ4K, q: *[256]i8, sc: *[8]u8, m: *[8]u8) void {
    for (0..4) |j| {
        const v: @Vector(32, u8) = b.qs[j * 32 ..][0..32].*;
        q[j * 64 ..][0..32].* = @as(@Vector(32, i8), @bitCast(v & @as(@Vector(32, u8), @splat(0xf))));
        q[j * 64 + 32 ..][0..32].* = @as(@Vector(32, i8), @bitCast(v >> @splat(4)));
    }
    for (0..8) |j| {
        sc[j], m[j] = scaleMinK4(j, &b.scales);
    }
}

inline fn unpackQ6K(b: *align(1) const BlockQ6K, q: *[256]i8) void {
    const V = @Vector(32, u8);
    const c4: V = @splat(4);
    const c2: V = @splat(2);
    const c6: V = @splat(6);
    const m4: V = @splat(0xf);
    const m3: V = @splat(3);
    const off: V = @splat(32);
    for (0..2) |n| {
        const ql0: V = b.ql[n * 64 ..][0..32].*;
        const ql1: V = b.ql[n * 64 + 32 ..][0..32].*;
        const qh: V = b.qh[n * 32 ..][0..32].*;
        const out = q[n * 128 ..][0..128];
        out[0..32].* = @bitCast(((ql0 & m4) | ((qh & m3) << c4)) -% off);
        out[32..64].* = @bitCast(((ql1 & m4) | (((qh >> c2) & m3) << c4)) -% off);
        out[64..96].* = @bitCast(((ql0 >> c4) | (((qh >> c4) & m3) << c4)) -% off);
        out[96..128].* = @bitCast(((ql1 >> c4) | (((qh >> c6) & m3) << c4)) -% off);
    }
}

// ---------------------------------------------------------------- activation quantisation

pub fn quantizeQ8_0(x: []const f32, out: []BlockQ8_0) void {
    std.debug.assert(x.len == out.len * 32);
    for (out, 0..) |*b, i| {
        const v: @Vector(32, f32) = x[i * 32 ..][0..32].*;
        const amax = @reduce(.Max, @abs(v));
        const d = amax / 127.0;
        b.d = f32ToF16(d);
        const id: f32 = if (amax != 0) 127.0 / amax else 0;
        const r = roundEven(v * @as(@Vector(32, f32), @splat(id)));
        b.qs = @as(@Vector(32, i8), @intFromFloat(r));
    }
}

pub fn quantizeQ8K(x: []const f32, out: []BlockQ8K) void {
    std.debug.assert(x.len == out.len * 256);
    for (out, 0..) |*b, i| {
        const xs = x[i * 256 ..][0..256];
        var amax: f32 = 0;
        var max: f32 = 0;
        for (xs) |v| {
            if (@abs(v) > amax) {
                amax = @abs(v);
                max = v;
            }
        }
        if (amax == 0) {
            b.d = 0;
            @memset(&b.qs, 0);
            @memset(&b.bsums, 0);
            continue;
        }
        const iscale = -127.0 / max;
        for (xs, &b.qs) |v, *q| {
            const r: i32 = @intFromFloat(roundEven(iscale * v));
            q.* = @intCast(@min(127, r));
        }
        for (0..16) |j| {
            var s: i32 = 0;
            for (b.qs[j * 16 ..][0..16]) |q| s += q;
            b.bsums[j] = @intCast(s);
        }
        b.d = 1.0 / iscale;
    }
}

// ---------------------------------------------------------------- dot products
//
// Integer products per 32 elements go through `simd` (vpmaddubsw/vpmaddwd, or vpdpbusd
// with VNNI); the float side follows ggml's AVX2 kernels step for step — 8 lanes, one
// fused multiply-add per block (or super-block) with the product of the two scales,
// then `hsum8` — so results round the way llama.cpp's do.

const simd = @import("simd.zig");
const I8x32 = simd.I8x32;
const U8x32 = simd.U8x32;
const I16x16 = simd.I16x16;
const I32x8 = simd.I32x8;
const F32x8 = simd.F32x8;
const F32x4 = simd.F32x4;

inline fn qsOf(b: *align(1) const BlockQ8_0) I8x32 {
    return b.qs;
}

/// Q4_0 quants minus 8: low nibbles are elements 0-15, high nibbles 16-31.
inline fn signed4_0(b: *align(1) const BlockQ4_0) I8x32 {
    const v: @Vector(16, u8) = b.qs;
    const m4: @Vector(16, u8) = @splat(0xf);
    const u: U8x32 = std.simd.join(v & m4, v >> @splat(4));
    return @bitCast(u -% @as(U8x32, @splat(8)));
}

const byte_of_bit: [32]i32 = blk: {
    var m: [32]i32 = undefined;
    for (&m, 0..) |*x, i| x.* = @intCast(i / 8);
    break :blk m;
};
const bit_of_byte: U8x32 = blk: {
    var m: [32]u8 = undefined;
    for (&m, 0..) |*x, i| x.* = @as(u8, 1) << @intCast(i % 8);
    break :blk m;
};

/// Q5_0 quants minus 16: the nibble where the fifth bit is set, the nibble | 0xf0 where
/// it is clear (the same bytes, read as i8).
inline fn signed5_0(b: *align(1) const BlockQ5_0) I8x32 {
    const v: @Vector(16, u8) = b.qs;
    const m4: @Vector(16, u8) = @splat(0xf);
    const nib: U8x32 = std.simd.join(v & m4, v >> @splat(4));
    const qh: @Vector(4, u8) = b.qh;
    const spread: U8x32 = @shuffle(u8, qh, undefined, byte_of_bit);
    const clear = (spread & bit_of_byte) == @as(U8x32, @splat(0));
    return @bitCast(nib | @select(u8, clear, @as(U8x32, @splat(0xf0)), @as(U8x32, @splat(0))));
}

/// `n` activation rows at once: each weight block is unpacked once for all of them
/// (the prompt's batched matrix-matrix product). Per row the same steps as `n = 1`.
inline fn dot32BlocksN(comptime B: type, comptime unpack: anytype, comptime n: usize, w: []const u8, xs: [n][*]const BlockQ8_0, ds: ?[n][*]const f32, nb: usize, out: *[n]f32) void {
    const blocks = asBlocks(B, w, nb);
    var acc: [n]F32x8 = @splat(@splat(0));
    for (blocks, 0..) |*b, i| {
        const q: I8x32 = unpack(b);
        const aq: U8x32 = @abs(q);
        const d = scaleF16(b.d);
        inline for (0..n) |k| {
            const y = &xs[k][i];
            const p: F32x8 = @floatFromInt(simd.dotI8(aq, q, y.qs));
            const dy = if (ds) |v| v[k][i] else scaleF16(y.d);
            acc[k] = @mulAdd(F32x8, @splat(d * dy), p, acc[k]);
        }
    }
    inline for (0..n) |k| out[k] = simd.hsum8(acc[k]);
}

inline fn dot32Blocks(comptime B: type, comptime unpack: anytype, w: []const u8, x: []const BlockQ8_0) f32 {
    var out: [1]f32 = undefined;
    dot32BlocksN(B, unpack, 1, w, .{x.ptr}, null, x.len, &out);
    return out[0];
}

pub fn dotQ8_0(w: []const u8, x: []const BlockQ8_0) f32 {
    return dot32Blocks(BlockQ8_0, qsOf, w, x);
}

pub fn dotQ4_0(w: []const u8, x: []const BlockQ8_0) f32 {
    return dot32Blocks(BlockQ4_0, signed4_0, w, x);
}

pub fn dotQ5_0(w: []const u8, x: []const BlockQ8_0) f32 {
    return dot32Blocks(BlockQ5_0, signed5_0, w, x);
}

pub fn dotQ4K(w: []const u8, x: []const BlockQ8K) f32 {
    var out: [1]f32 = undefined;
    dotQ4KN(1, w, .{x.ptr}, x.len, &out);
    return out[0];
}

/// Q4_K: the nibbles (0-15) go into vpmaddubsw as the unsigned side, the 6-bit scales
/// into vpmaddwd; the minimums use the activation's 16-element sums.
pub fn dotQ4KN(comptime n: usize, w: []const u8, xs: [n][*]const BlockQ8K, nb: usize, out: *[n]f32) void {
    const blocks = asBlocks(BlockQ4K, w, nb);
    var acc: [n]F32x8 = @splat(@splat(0));
    var acc_m: [n]F32x4 = @splat(@splat(0));
    const m4: U8x32 = @splat(0xf);
    for (blocks, 0..) |*b, i| {
        var sc: [8]i16 = undefined;
        var mn: [8]i16 = undefined;
        for (0..8) |j| {
            const s, const m = scaleMinK4(j, &b.scales);
            sc[j] = s;
            mn[j] = m;
        }
        var nib: [8]U8x32 = undefined;
        inline for (0..4) |j| {
            const v: U8x32 = b.qs[j * 32 ..][0..32].*;
            nib[2 * j] = v & m4;
            nib[2 * j + 1] = v >> @splat(4);
        }
        const d = scaleF16(b.d);
        const dmin = scaleF16(b.dmin);
        const mins: @Vector(8, i32) = @as(@Vector(8, i16), mn);
        inline for (0..n) |k| {
            const y = &xs[k][i];
            // llama.cpp repacks Q4_K weights (q4_K_8x8 on AVX2): one float accumulator per
            // output and a second one for the minimums; its gemm (4 tokens at a time, here
            // n >= 4) adds every 64 elements, its gemv (the other tokens) every super-block.
            const bs: @Vector(16, i32) = @as(@Vector(16, i16), y.bsums);
            const pair = @shuffle(i32, bs, undefined, [8]i32{ 0, 2, 4, 6, 8, 10, 12, 14 }) + @shuffle(i32, bs, undefined, [8]i32{ 1, 3, 5, 7, 9, 11, 13, 15 });
            const min_prod = mins * pair;
            var sumi: I32x8 = @splat(0);
            inline for (0..4) |j| {
                const lo = simd.maddwd(@splat(sc[2 * j]), simd.maddubs(nib[2 * j], y.qs[j * 64 ..][0..32].*));
                const hi = simd.maddwd(@splat(sc[2 * j + 1]), simd.maddubs(nib[2 * j + 1], y.qs[j * 64 + 32 ..][0..32].*));
                if (n >= 4) {
                    acc[k][0] = @mulAdd(f32, @floatFromInt(@reduce(.Add, lo + hi)), d * y.d, acc[k][0]);
                    acc_m[k][0] = @mulAdd(f32, @floatFromInt(min_prod[2 * j] + min_prod[2 * j + 1]), dmin * y.d, acc_m[k][0]);
                } else sumi += lo + hi;
            }
            if (n < 4) {
                acc[k][0] = @mulAdd(f32, @floatFromInt(@reduce(.Add, sumi)), d * y.d, acc[k][0]);
                acc_m[k][0] = @mulAdd(f32, @floatFromInt(@reduce(.Add, min_prod)), dmin * y.d, acc_m[k][0]);
            }
        }
    }
    inline for (0..n) |k| out[k] = acc[k][0] - acc_m[k][0];
}

pub fn dotQ6K(w: []const u8, x: []const BlockQ8K) f32 {
    var out: [1]f32 = undefined;
    dotQ6KN(1, w, .{x.ptr}, x.len, &out);
    return out[0];
}

const scale_halves: [16]i32 = .{ 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1 };

/// Q6_K: the 6-bit quants (0-63) go into vpmaddubsw unsigned, 32 × the activation is
/// subtracted; scales cover 16 elements (the two halves of a vpmaddubsw result).
///
/// `tiled`: llama.cpp's summation for a batch of 8 or more tokens (its `tiled` kernel):
/// each super-block's integer sum × the weight scale, then a multiply-add with the
/// activation scale (GCC contracts ggml's mul + add there).
pub fn dotQ6KN(comptime n: usize, w: []const u8, xs: [n][*]const BlockQ8K, nb: usize, out: *[n]f32) void {
    dotQ6KNOrder(n, false, w, xs, nb, out);
}

pub fn dotQ6KNOrder(comptime n: usize, comptime tiled: bool, w: []const u8, xs: [n][*]const BlockQ8K, nb: usize, out: *[n]f32) void {
    const blocks = asBlocks(BlockQ6K, w, nb);
    var acc: [n]F32x8 = @splat(@splat(0));
    const m4: U8x32 = @splat(0xf);
    const m3: U8x32 = @splat(3);
    for (blocks, 0..) |*b, i| {
        var q: [8]U8x32 = undefined;
        var scale: [8]I16x16 = undefined;
        inline for (0..2) |h| {
            const ql0: U8x32 = b.ql[h * 64 ..][0..32].*;
            const ql1: U8x32 = b.ql[h * 64 + 32 ..][0..32].*;
            const qh: U8x32 = b.qh[h * 32 ..][0..32].*;
            q[4 * h + 0] = (ql0 & m4) | ((qh & m3) << @splat(4));
            q[4 * h + 1] = (ql1 & m4) | (((qh >> @splat(2)) & m3) << @splat(4));
            q[4 * h + 2] = (ql0 >> @splat(4)) | (((qh >> @splat(4)) & m3) << @splat(4));
            q[4 * h + 3] = (ql1 >> @splat(4)) | ((qh >> @splat(6)) << @splat(4));
        }
        inline for (0..8) |j| {
            const two: @Vector(2, i16) = .{ b.scales[2 * j], b.scales[2 * j + 1] };
            scale[j] = @shuffle(i16, two, undefined, scale_halves);
        }
        const d = scaleF16(b.d);
        const scales16: I16x16 = @as(@Vector(16, i8), b.scales);
        inline for (0..n) |k| {
            const y = &xs[k][i];
            var sumi: I32x8 = @splat(0);
            inline for (0..2) |h| {
                var p: [4]I32x8 = undefined;
                inline for (0..4) |c| {
                    const yq: I8x32 = y.qs[(4 * h + c) * 32 ..][0..32].*;
                    p[c] = simd.maddwd(scale[4 * h + c], simd.maddubs(q[4 * h + c], yq));
                }
                sumi += p[0] + p[1];
                sumi += p[2] + p[3];
            }
            // The offset 32 comes off per pair of 16-element groups, in ggml's lanes.
            sumi -= simd.maddwd(y.bsums, scales16) << @splat(5);
            if (tiled) {
                acc[k][0] = @mulAdd(f32, @as(f32, @floatFromInt(@reduce(.Add, sumi))) * d, y.d, acc[k][0]);
                continue;
            }
            acc[k] = @mulAdd(F32x8, @splat(y.d * d), @floatFromInt(sumi), acc[k]);
        }
    }
    inline for (0..n) |k| out[k] = if (tiled) acc[k][0] else simd.hsum8(acc[k]);
}

const prefetch_rows = 8;

/// `r` consecutive weight rows (`row_bytes` apart) against one prepared activation row:
/// the decode step's matrix × vector. Each row gets exactly the steps of `dot`; the
/// activation block and its scale are loaded once for all rows, and the rows' chains of
/// multiply-adds overlap. False for types without this kernel.
pub fn dotWeightRows(comptime t: Type, comptime r: usize, w: [*]const u8, row_bytes: usize, act: [*]align(4) const u8, cols: usize, out: *[r]f32) bool {
    switch (t) {
        .q8_0, .q4_0, .q5_0 => {
            const B = switch (t) {
                .q8_0 => BlockQ8_0,
                .q4_0 => BlockQ4_0,
                else => BlockQ5_0,
            };
            const unpack = switch (t) {
                .q8_0 => qsOf,
                .q4_0 => signed4_0,
                else => signed5_0,
            };
            const nb = cols / 32;
            const x: [*]const BlockQ8_0 = @ptrCast(act);
            var rows: [r][*]align(1) const B = undefined;
            inline for (0..r) |k| rows[k] = @ptrCast(w + k * row_bytes);
            var acc: [r]F32x8 = @splat(@splat(0));
            for (0..nb) |i| {
                const y = &x[i];
                const yq: I8x32 = y.qs;
                const dy = scaleF16(y.d);
                inline for (0..r) |k| {
                    const b = &rows[k][i];
                    // The next rows' block (`prefetch_rows` rows on): the rows of a group
                    // are short streams the hardware prefetcher does not run ahead on.
                    @prefetch(@as([*]const u8, @ptrCast(b)) + prefetch_rows * row_bytes, .{});
                    const q: I8x32 = unpack(b);
                    const p: F32x8 = @floatFromInt(simd.dotI8(@abs(q), q, yq));
                    acc[k] = @mulAdd(F32x8, @splat(scaleF16(b.d) * dy), p, acc[k]);
                }
            }
            inline for (0..r) |k| out[k] = simd.hsum8(acc[k]);
            return true;
        },
        .q4_k, .q6_k => {
            const x: [*]const BlockQ8K = @ptrCast(act);
            inline for (0..r) |k| {
                const row = (w + k * row_bytes)[0..row_bytes];
                var one: [1]f32 = undefined;
                if (t == .q4_k) dotQ4KN(1, row, .{x}, cols / 256, &one) else dotQ6KN(1, row, .{x}, cols / 256, &one);
                out[k] = one[0];
            }
            return true;
        },
        else => return false,
    }
}

/// Dot products of one weight row with `n` prepared activation rows (stride apart),
/// for the types with a multi-row kernel; false for the others.
pub fn dotRows(comptime t: Type, comptime n: usize, w: []const u8, act: [*]align(4) const u8, stride: usize, cols: usize, out: *[n]f32) bool {
    switch (t) {
        .q8_0, .q4_0, .q5_0 => {
            var xs: [n][*]const BlockQ8_0 = undefined;
            var ds: [n][*]const f32 = undefined;
            inline for (0..n) |k| {
                xs[k] = @ptrCast(@alignCast(act + k * stride));
                ds[k] = @ptrCast(@alignCast(act + k * stride + q8Scales(cols / 32)));
            }
            switch (t) {
                .q8_0 => dot32BlocksN(BlockQ8_0, qsOf, n, w, xs, ds, cols / 32, out),
                .q4_0 => dot32BlocksN(BlockQ4_0, signed4_0, n, w, xs, ds, cols / 32, out),
                .q5_0 => dot32BlocksN(BlockQ5_0, signed5_0, n, w, xs, ds, cols / 32, out),
                else => unreachable,
            }
            return true;
        },
        .q4_k, .q6_k => {
            var xs: [n][*]const BlockQ8K = undefined;
            inline for (0..n) |k| xs[k] = @ptrCast(@alignCast(act + k * stride));
            if (t == .q4_k) dotQ4KN(n, w, xs, cols / 256, out) else dotQ6KN(n, w, xs, cols / 256, out);
            return true;
        },
        else => return false,
    }
}

/// Rows `lo..hi` of a weight matrix (`w`, `row_bytes` per row) times `n_tok` prepared
/// activation rows (`act_stride` apart): `out[tok * out_stride + row]`. Every (row,
/// token) product takes the exact steps of `dot`; only the order of the work changes.
/// Prompt: rows in chunks that stay in L1 while groups of 16/8 (then 4) tokens stream past,
/// each weight block unpacked once per group. Decode: 4 rows per pass over the activation.
pub fn matmulRows(comptime t: Type, w: [*]const u8, row_bytes: usize, cols: usize, lo: usize, hi: usize, act: [*]align(64) const u8, act_stride: usize, n_tok: usize, out: [*]f32, out_stride: usize) void {
    const quantised = comptime switch (t) {
        .q8_0, .q4_0, .q5_0, .q4_k, .q6_k => true,
        else => false,
    };
    const chunk = @max(4, (16 << 10) / row_bytes);
    var r0 = lo;
    while (r0 < hi) : (r0 += chunk) {
        const r1 = @min(hi, r0 + chunk);
        var i: usize = 0;
        // A batch of 8 or more tokens takes llama.cpp's `tiled` summation for Q6_K.
        if (t == .q6_k and n_tok >= 8) {
            while (i + 8 <= n_tok) : (i += 8) for (r0..r1) |r| {
                var xs: [8][*]const BlockQ8K = undefined;
                inline for (0..8) |k| xs[k] = @ptrCast(@alignCast(act + (i + k) * act_stride));
                var sums: [8]f32 = undefined;
                dotQ6KNOrder(8, true, (w + r * row_bytes)[0..row_bytes], xs, cols / 256, &sums);
                for (sums, 0..) |v, k| out[(i + k) * out_stride + r] = v;
            };
            while (i < n_tok) : (i += 1) for (r0..r1) |r| {
                var sums: [1]f32 = undefined;
                dotQ6KNOrder(1, true, (w + r * row_bytes)[0..row_bytes], .{@ptrCast(@alignCast(act + i * act_stride))}, cols / 256, &sums);
                out[i * out_stride + r] = sums[0];
            };
            continue;
        }
        // Q8_0/Q4_0/Q5_0 unpack a weight block once for up to 16 tokens (AVX-512 has the
        // registers for 16 accumulators); the K-quants keep 8.
        const groups = comptime switch (t) {
            .q8_0, .q4_0, .q5_0 => if (has_avx512) [_]usize{ 16, 8, 4 } else [_]usize{ 8, 4 },
            else => [_]usize{ 8, 4 },
        };
        if (quantised) inline for (groups) |group| {
            while (i + group <= n_tok) : (i += group) {
                for (r0..r1) |r| {
                    var sums: [group]f32 = undefined;
                    _ = dotRows(t, group, (w + r * row_bytes)[0..row_bytes], @alignCast(act + i * act_stride), act_stride, cols, &sums);
                    for (sums, 0..) |v, k| out[(i + k) * out_stride + r] = v;
                }
            }
        };
        while (i < n_tok) : (i += 1) {
            const a: [*]align(4) const u8 = @alignCast(act + i * act_stride);
            const o = out + i * out_stride;
            var r = r0;
            if (quantised) while (r + 4 <= r1) : (r += 4) {
                _ = dotWeightRows(t, 4, w + r * row_bytes, row_bytes, a, cols, o[r..][0..4]);
            };
            while (r < r1) : (r += 1) o[r] = dot(t, (w + r * row_bytes)[0..row_bytes], a[0..actRowBytes(actKind(t), cols)], cols);
        }
    }
}

const lanes = 16;
const F = @Vector(lanes, f32);

/// `ggml_vec_dot_f32`'s order (see matmul_f32.zig).
pub fn dotF32(w: []const u8, x: []const f32) f32 {
    return @import("matmul_f32.zig").dotVec(w.ptr, @ptrCast(x.ptr), x.len);
}

fn halfVec(comptime bf: bool, raw: @Vector(lanes, u16)) F {
    if (bf) return @bitCast(@as(@Vector(lanes, u32), raw) << @splat(16));
    if (has_f16c) return @floatCast(@as(@Vector(lanes, f16), @bitCast(raw)));
    var out: [lanes]f32 = undefined;
    inline for (0..lanes) |k| out[k] = f16ToF32(raw[k]);
    return out;
}

/// `x` was already rounded to the weight's half format (see `prepare`).
pub fn dotHalf(comptime bf: bool, w: []const u8, x: []const f32) f32 {
    const n = x.len;
    var acc: F = @splat(0);
    var i: usize = 0;
    while (i + lanes <= n) : (i += lanes) {
        const raw: @Vector(lanes, u16) = @as(*align(1) const [lanes]u16, @ptrCast(w[i * 2 ..].ptr)).*;
        acc = @mulAdd(F, halfVec(bf, raw), x[i..][0..lanes].*, acc);
    }
    var s = @reduce(.Add, acc);
    while (i < n) : (i += 1) {
        const h = std.mem.readInt(u16, w[i * 2 ..][0..2], .little);
        s += (if (bf) bf16ToF32(h) else f16ToF32(h)) * x[i];
    }
    return s;
}

// ---------------------------------------------------------------- prepared activations

/// What a weight type wants its activations converted to.
pub const ActKind = enum { f32, f16, bf16, q8_0, q8_k };

pub fn actKind(t: Type) ActKind {
    return switch (t) {
        .f32 => .f32,
        .f16 => .f16,
        .bf16 => .bf16,
        .q8_0, .q4_0, .q5_0 => .q8_0,
        .q4_k, .q6_k => .q8_k,
        else => unreachable,
    };
}

/// Bytes that one prepared activation row of `n` elements takes (at most 4 n).
pub fn actRowBytes(kind: ActKind, n: usize) usize {
    return switch (kind) {
        .f32, .f16, .bf16 => n * 4,
        .q8_0 => q8Scales(n / 32) + n / 32 * 4,
        .q8_k => n / 256 * @sizeOf(BlockQ8K),
    };
}

/// Where a prepared Q8_0 row keeps its block scales as f32 (after its `nb` blocks), so
/// the prompt's kernels need not convert them for every weight row.
fn q8Scales(nb: usize) usize {
    return std.mem.alignForward(usize, nb * @sizeOf(BlockQ8_0), 4);
}

/// Converts one activation row for a dot product with weights of kind `kind`.
pub fn prepare(kind: ActKind, x: []const f32, out: []align(4) u8) void {
    switch (kind) {
        .f32 => @memcpy(std.mem.bytesAsSlice(f32, out[0 .. x.len * 4]), x),
        .f16 => for (std.mem.bytesAsSlice(f32, out[0 .. x.len * 4]), x) |*o, v| {
            o.* = f16ToF32(f32ToF16(v));
        },
        .bf16 => for (std.mem.bytesAsSlice(f32, out[0 .. x.len * 4]), x) |*o, v| {
            o.* = bf16ToF32(f32ToBf16(v));
        },
        .q8_0 => {
            const nb = x.len / 32;
            const blocks = @as([*]BlockQ8_0, @ptrCast(out.ptr))[0..nb];
            quantizeQ8_0(x, blocks);
            const scales: [*]f32 = @ptrCast(@alignCast(out.ptr + q8Scales(nb)));
            for (blocks, scales[0..nb]) |b, *d| d.* = f16ToF32(b.d);
        },
        .q8_k => quantizeQ8K(x, @as([*]BlockQ8K, @ptrCast(out.ptr))[0 .. x.len / 256]),
    }
}

/// One dot product of a weight row with a prepared activation row of `n` elements.
pub fn dot(t: Type, w: []const u8, act: []align(4) const u8, n: usize) f32 {
    return switch (t) {
        .f32 => dotF32(w, std.mem.bytesAsSlice(f32, act[0 .. n * 4])),
        .f16 => dotHalf(false, w, std.mem.bytesAsSlice(f32, act[0 .. n * 4])),
        .bf16 => dotHalf(true, w, std.mem.bytesAsSlice(f32, act[0 .. n * 4])),
        .q8_0 => dotQ8_0(w, @as([*]const BlockQ8_0, @ptrCast(act.ptr))[0 .. n / 32]),
        .q4_0 => dotQ4_0(w, @as([*]const BlockQ8_0, @ptrCast(act.ptr))[0 .. n / 32]),
        .q5_0 => dotQ5_0(w, @as([*]const BlockQ8_0, @ptrCast(act.ptr))[0 .. n / 32]),
        .q4_k => dotQ4K(w, @as([*]const BlockQ8K, @ptrCast(act.ptr))[0 .. n / 256]),
        .q6_k => dotQ6K(w, @as([*]const BlockQ8K, @ptrCast(act.ptr))[0 .. n / 256]),
        else => unreachable,
    };
}

pub fn rowBytes(t: Type, n: usize) usize {
    const lay = t.layout().?;
    return n / @as(usize, @intCast(lay.block)) * @as(usize, @intCast(lay.bytes));
}

// ---------------------------------------------------------------- tests

test "f16 conversions round-trip and round to nearest even" {
    var h: u32 = 0;
    while (h < 0x10000) : (h += 1) {
        const x: u16 = @intCast(h);
        const f = f16ToF32(x);
        if (std.math.isNan(f)) continue;
        try std.testing.expectEqual(x, f32ToF16(f));
        const ref: f32 = @floatCast(@as(f16, @bitCast(x)));
        try std.testing.expectEqual(@as(u32, @bitCast(ref)), @as(u32, @bitCast(f)));
    }
    try std.testing.expectEqual(@as(u16, 0x3c00), f32ToF16(1.0 + 0x1p-12));
    try std.testing.expectEqual(@as(u16, 0x3c02), f32ToF16(1.0 + 3 * 0x1p-11));
}

/// Writes random blocks of type `t` for `n` elements (scales kept sane).
fn randomBlocks(t: Type, n: usize, random: std.Random, out: []u8) void {
    random.bytes(out);
    const lay = t.layout().?;
    const count = n / lay.block;
    for (0..count) |i| {
        const b = out[i * lay.bytes ..][0..lay.bytes];
        const d = f32ToF16(random.float(f32) * 0.02 + 0.001);
        switch (t) {
            .q8_0, .q4_0, .q5_0 => std.mem.writeInt(u16, b[0..2], d, .little),
            .q4_k => {
                std.mem.writeInt(u16, b[0..2], d, .little);
                std.mem.writeInt(u16, b[2..4], f32ToF16(random.float(f32) * 0.01), .little);
            },
            .q6_k => std.mem.writeInt(u16, b[208..210], d, .little),
            .f16 => for (0..n) |k| std.mem.writeInt(u16, out[k * 2 ..][0..2], f32ToF16(random.float(f32) - 0.5), .little),
            .bf16 => for (0..n) |k| std.mem.writeInt(u16, out[k * 2 ..][0..2], f32ToBf16(random.float(f32) - 0.5), .little),
            .f32 => for (0..n) |k| std.mem.writeInt(u32, out[k * 4 ..][0..4], @bitCast(random.float(f32) - 0.5), .little),
            else => unreachable,
        }
        if (t == .f16 or t == .bf16 or t == .f32) break;
    }
}

test "quantised dot products equal the dot of dequantised weights with dequantised activations" {
    const n = 512;
    var prng = std.Random.DefaultPrng.init(42);
    const random = prng.random();
    var x: [n]f32 = undefined;
    for (&x) |*v| v.* = random.floatNorm(f32);
    var w_bytes: [n * 4]u8 align(4) = undefined;
    var act: [n * 4]u8 align(4) = undefined;
    var wf: [n]f32 = undefined;
    var af: [n]f32 = undefined;
    for ([_]Type{ .f32, .f16, .bf16, .q8_0, .q4_0, .q5_0, .q4_k, .q6_k }) |t| {
        randomBlocks(t, n, random, &w_bytes);
        dequantizeRow(t, &w_bytes, &wf);
        const kind = actKind(t);
        prepare(kind, &x, &act);
        switch (kind) {
            .f32, .f16, .bf16 => @memcpy(&af, std.mem.bytesAsSlice(f32, act[0 .. n * 4])),
            .q8_0 => dequantizeRow(.q8_0, &act, &af),
            .q8_k => {
                const blocks = @as([*]const BlockQ8K, @ptrCast(&act))[0 .. n / 256];
                for (blocks, 0..) |b, i| {
                    var s: i32 = 0;
                    for (b.qs, 0..) |q, k| {
                        af[i * 256 + k] = b.d * @as(f32, @floatFromInt(q));
                        s += q;
                        if (k % 16 == 15) {
                            try std.testing.expectEqual(s, b.bsums[k / 16]);
                            s = 0;
                        }
                    }
                }
            },
        }
        var ref: f64 = 0;
        var mag: f64 = 0;
        for (wf, af, x) |a, b, xv| {
            ref += @as(f64, a) * b;
            mag += @abs(@as(f64, a) * xv);
            // The prepared activation is close to the input.
            try std.testing.expect(@abs(b - xv) <= 0.02 * @abs(xv) + 0.03);
        }
        const got = dot(t, &w_bytes, &act, n);
        var four: [4]f32 = undefined;
        var acts: [4 * n * 4]u8 align(4) = undefined;
        for (0..4) |k| @memcpy(acts[k * n * 4 ..][0 .. n * 4], &act);
        const multi = switch (t) {
            inline .q8_0, .q4_0, .q5_0, .q4_k, .q6_k => |ct| dotRows(ct, 4, &w_bytes, &acts, n * 4, n, &four),
            else => false,
        };
        if (multi) for (four) |v| try std.testing.expectEqual(got, v);
        // Three copies of the weight row through the several-rows kernel.
        var w3: [3 * n * 4]u8 = undefined;
        const rb = rowBytes(t, n);
        for (0..3) |k| @memcpy(w3[k * rb ..][0..rb], w_bytes[0..rb]);
        var three: [3]f32 = undefined;
        const rows3 = switch (t) {
            inline .q8_0, .q4_0, .q5_0, .q4_k, .q6_k => |ct| dotWeightRows(ct, 3, &w3, rb, &act, n, &three),
            else => false,
        };
        if (rows3) for (three) |v| try std.testing.expectEqual(got, v);
        std.testing.expect(@abs(got - ref) <= 1e-4 * mag + 1e-5) catch |e| {
            std.debug.print("type {s}: got {d} want {d}\n", .{ @tagName(t), got, ref });
            return e;
        };
    }
}
