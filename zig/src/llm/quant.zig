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

/// ggml's `quantize_row_q8_K_ref`, 16 elements at a time: the same product and rounding
/// per element; the scale comes from the first element of the largest magnitude.
pub fn quantizeQ8K(x: []const f32, out: []BlockQ8K) void {
    std.debug.assert(x.len == out.len * 256);
    const V = @Vector(16, f32);
    const VI = @Vector(16, i32);
    for (out, 0..) |*b, i| {
        const xs = x[i * 256 ..][0..256];
        var vmax: V = @splat(0);
        for (0..16) |c| vmax = @max(vmax, @abs(@as(V, xs[c * 16 ..][0..16].*)));
        const amax = @reduce(.Max, vmax);
        if (!(amax > 0)) {
            b.d = 0;
            @memset(&b.qs, 0);
            @memset(&b.bsums, 0);
            continue;
        }
        var max: f32 = 0;
        for (xs) |v| if (@abs(v) == amax) {
            max = v;
            break;
        };
        const iscale = -127.0 / max;
        const isv: V = @splat(iscale);
        for (0..16) |c| {
            const r: VI = @intFromFloat(roundEven(isv * @as(V, xs[c * 16 ..][0..16].*)));
            const q = @min(r, @as(VI, @splat(127)));
            b.qs[c * 16 ..][0..16].* = @as(@Vector(16, i8), @intCast(q));
            b.bsums[c] = @intCast(@reduce(.Add, q));
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

// ---------------------------------------------------------------- 16-row prompt tiles
//
// A prompt batch on AVX-512 runs 16 weight rows at a time with one row per 32-bit lane
// of a 512-bit register: the rows are repacked on the stack (every four neighbouring
// quants of the 16 rows side by side), and each four activation quants are broadcast to
// all lanes. The integer sums come out per row, so the float steps run on 16 rows at
// once — the same float steps, on the same integers, as the one-row kernels above
// (ggml's lanes for Q4_0/Q5_0, its repacked q4_K_8x8 gemm/gemv for Q4_K), and each
// row's result is bit-identical to theirs.

const tile_rows = 16;
/// Batches smaller than this keep the one-row kernels (the repack would not pay; Q6_K's
/// tile also has llama.cpp's `tiled` order, which holds from 8 tokens).
fn tileMinTokens(t: Type) usize {
    return switch (t) {
        .q8_0, .q6_k => 16,
        else => 4,
    };
}
/// Stack room for one 16-row repack; wider matrices take the one-row kernels.
const tile_bytes = 48 << 10;

const U8x64 = simd.U8x64;
const I8x64 = simd.I8x64;
const I16x32 = simd.I16x32;
const I32x16 = simd.I32x16;
const F32x16 = simd.F32x16;

/// One Q4_0/Q5_0 block of 16 rows: `w[l]` holds quants 4l..4l+3 (+16, so unsigned) of
/// every row, `d` the rows' scales.
const Tile32 = extern struct { w: [8][64]u8, d: [16]f32 };

/// One Q4_K super-block of 16 rows: `q[j][s]` the packed nibbles `qs[32j + 4s ..][0..4]`
/// of every row (low nibbles: elements 64j + 4s.., high: 64j + 32 + 4s..), `sc[g]` each
/// row's scale of 32-element group g twice (a `maddwd` pair), `mn[j]` the minimums of
/// groups 2j and 2j + 1, `d`/`dmin` the rows' super-block scales.
const TileK4 = extern struct { q: [4][8][64]u8, sc: [8][32]i16, mn: [4][32]i16, d: [16]f32, dmin: [16]f32 };

/// One Q6_K super-block of 16 rows: `q[s]` the 6-bit quants 4s..4s+3 (unsigned) of every
/// row, `sc[c]` each row's scale of 16-element group c twice, `sp[p]` the scales of groups
/// 2p and 2p + 1 (for the offset 32), `d` the rows' super-block scales.
const TileK6 = extern struct { q: [64][64]u8, sc: [16][32]i16, sp: [8][32]i16, d: [16]f32 };

/// One Q8_0 block of 16 rows: `w[l]` |quants| 4l..4l+3 of every row, `neg[l]` their signs
/// (bit 4r + k: row r's quant 4l + k is negative), `d` the rows' scales.
const Tile8 = extern struct { w: [8][64]u8, neg: [8]u64, d: [16]f32 };

fn tileFits(comptime t: Type, cols: usize) bool {
    return switch (t) {
        .q8_0 => cols / 32 * @sizeOf(Tile8) <= tile_bytes,
        .q4_0, .q5_0 => cols / 32 * @sizeOf(Tile32) <= tile_bytes,
        .q4_k => cols / 256 * @sizeOf(TileK4) <= tile_bytes,
        .q6_k => cols / 256 * @sizeOf(TileK6) <= tile_bytes,
        else => false,
    };
}

/// The next 16 rows' bytes, prefetched piece by piece while the first tokens of a group
/// run (the repack would otherwise wait for them: the layers' weights do not fit L3).
const NextRows = ?struct { p: [*]const u8, len: usize };

inline fn prefetchPart(next: NextRows, i: usize, nb: usize) void {
    const f = next orelse return;
    var at = std.mem.alignBackward(usize, i * f.len / nb, 64);
    const end = (i + 1) * f.len / nb;
    while (at < end) : (at += 64) @prefetch(f.p + at, .{});
}

inline fn bcast4(p: *const [4]i8) I8x64 {
    const v: u32 = @bitCast(p.*);
    return @bitCast(@as(@Vector(16, u32), @splat(v)));
}

noinline fn repack32(comptime B: type, comptime unpack: anytype, w: [*]const u8, row_bytes: usize, nb: usize, tiles: []Tile32) void {
    for (0..tile_rows) |r| {
        const blocks = asBlocks(B, (w + r * row_bytes)[0..row_bytes], nb);
        for (blocks, tiles) |*b, *g| {
            const u: [32]u8 = @as(U8x32, @bitCast(unpack(b))) +% @as(U8x32, @splat(16));
            const dst: [*]u8 = @ptrCast(&g.w);
            for (0..8) |l| @memcpy(dst[l * 64 + r * 4 ..][0..4], u[l * 4 ..][0..4]);
            g.d[r] = scaleF16(b.d);
        }
    }
}

/// `n` tokens against one repacked group of 16 Q4_0/Q5_0 rows. The quants are the
/// weight's + 16, so 16 × the activation's four-quant sums (kept with the prepared row)
/// come off each lane: the same integer as ggml's |w| · (x · sign w).
inline fn tile32(comptime n: usize, tiles: []const Tile32, next: NextRows, xs: [n][*]const BlockQ8_0, ds: [n][*]const f32, cs: [n][*]align(4) const [8]i32, out: [n][*]f32) void {
    var acc: [n][8]F32x16 = @splat(@splat(@splat(0)));
    for (tiles, 0..) |*g, i| {
        prefetchPart(next, i, tiles.len);
        const dw: F32x16 = g.d;
        var sc: [n]F32x16 = undefined;
        inline for (0..n) |k| sc[k] = dw * @as(F32x16, @splat(ds[k][i]));
        inline for (0..8) |l| {
            const wl: U8x64 = g.w[l];
            inline for (0..n) |k| {
                const p = simd.maddwd32(simd.maddubs64(wl, bcast4(xs[k][i].qs[4 * l ..][0..4])), @splat(1)) - @as(I32x16, @splat(cs[k][i][l]));
                acc[k][l] = @mulAdd(F32x16, sc[k], @floatFromInt(p), acc[k][l]);
            }
        }
    }
    inline for (0..n) |k| {
        const a = acc[k];
        out[k][0..16].* = ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
    }
}

noinline fn repack8(w: [*]const u8, row_bytes: usize, nb: usize, tiles: []Tile8) void {
    for (0..tile_rows) |r| {
        const blocks = asBlocks(BlockQ8_0, (w + r * row_bytes)[0..row_bytes], nb);
        for (blocks, tiles) |*b, *g| {
            const q: I8x32 = b.qs;
            const u: [32]u8 = @abs(q);
            const dst: [*]u8 = @ptrCast(&g.w);
            for (0..8) |l| @memcpy(dst[l * 64 + r * 4 ..][0..4], u[l * 4 ..][0..4]);
            const neg: u32 = @bitCast(q < @as(I8x32, @splat(0)));
            for (0..8) |l| {
                const bits: u64 = (neg >> @intCast(4 * l)) & 0xf;
                g.neg[l] = (g.neg[l] & ~(@as(u64, 0xf) << @intCast(4 * r))) | (bits << @intCast(4 * r));
            }
            g.d[r] = scaleF16(b.d);
        }
    }
}

/// `n` tokens against one repacked group of 16 Q8_0 rows: |w| · (x · sign w), as ggml.
inline fn tile8(comptime n: usize, tiles: []const Tile8, next: NextRows, xs: [n][*]const BlockQ8_0, ds: [n][*]const f32, out: [n][*]f32) void {
    var acc: [n][8]F32x16 = @splat(@splat(@splat(0)));
    for (tiles, 0..) |*g, i| {
        prefetchPart(next, i, tiles.len);
        const dw: F32x16 = g.d;
        var sc: [n]F32x16 = undefined;
        inline for (0..n) |k| sc[k] = dw * @as(F32x16, @splat(ds[k][i]));
        inline for (0..8) |l| {
            const wl: U8x64 = g.w[l];
            const neg: @Vector(64, bool) = @bitCast(g.neg[l]);
            inline for (0..n) |k| {
                const y = bcast4(xs[k][i].qs[4 * l ..][0..4]);
                const ys = @select(i8, neg, @as(I8x64, @splat(0)) -% y, y);
                const p = simd.maddwd32(simd.maddubs64(wl, ys), @splat(1));
                acc[k][l] = @mulAdd(F32x16, sc[k], @floatFromInt(p), acc[k][l]);
            }
        }
    }
    inline for (0..n) |k| {
        const a = acc[k];
        out[k][0..16].* = ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
    }
}

noinline fn repackK4(w: [*]const u8, row_bytes: usize, nb: usize, tiles: []TileK4) void {
    for (0..tile_rows) |r| {
        const blocks = asBlocks(BlockQ4K, (w + r * row_bytes)[0..row_bytes], nb);
        for (blocks, tiles) |*b, *g| {
            const src: [*]const u8 = &b.qs;
            const dst: [*]u8 = @ptrCast(&g.q);
            for (0..32) |k| @memcpy(dst[k * 64 + r * 4 ..][0..4], src[k * 4 ..][0..4]);
            const sc: [*]u16 = @ptrCast(&g.sc);
            const mn: [*]u16 = @ptrCast(&g.mn);
            for (0..8) |j| {
                const sv, const mv = scaleMinK4(j, &b.scales);
                sc[j * 32 + 2 * r] = sv;
                sc[j * 32 + 2 * r + 1] = sv;
                mn[(j / 2) * 32 + 2 * r + j % 2] = mv;
            }
            g.d[r] = scaleF16(b.d);
            g.dmin[r] = scaleF16(b.dmin);
        }
    }
}

/// `n` tokens against one repacked group of 16 Q4_K rows. `gemm`: a multiply-add every
/// 64 elements (ggml's q4_K_8x8 gemm, tokens in fours); else one per super-block (its gemv).
inline fn tileK4(comptime n: usize, comptime gemm: bool, tiles: []const TileK4, next: NextRows, xs: [n][*]const BlockQ8K, out: [n][*]f32) void {
    var acc: [n]F32x16 = @splat(@splat(0));
    var acc_m: [n]F32x16 = @splat(@splat(0));
    const m4: U8x64 = @splat(0xf);
    for (tiles, 0..) |*g, i| {
        prefetchPart(next, i, tiles.len);
        var isum_sb: [n]I32x16 = @splat(@splat(0));
        var imin_sb: [n]I32x16 = @splat(@splat(0));
        inline for (0..4) |j| {
            var a_lo: [n]I16x32 = @splat(@splat(0));
            var a_hi: [n]I16x32 = @splat(@splat(0));
            inline for (0..8) |s| {
                const p: U8x64 = g.q[j][s];
                const lo = p & m4;
                const hi = p >> @splat(4);
                inline for (0..n) |k| {
                    const y = &xs[k][i];
                    a_lo[k] +%= simd.maddubs64(lo, bcast4(y.qs[64 * j + 4 * s ..][0..4]));
                    a_hi[k] +%= simd.maddubs64(hi, bcast4(y.qs[64 * j + 32 + 4 * s ..][0..4]));
                }
            }
            inline for (0..n) |k| {
                const y = &xs[k][i];
                const isum = simd.maddwd32(a_lo[k], g.sc[2 * j]) + simd.maddwd32(a_hi[k], g.sc[2 * j + 1]);
                const pairs: [2]i16 = .{ y.bsums[4 * j] + y.bsums[4 * j + 1], y.bsums[4 * j + 2] + y.bsums[4 * j + 3] };
                const pv: I16x32 = @bitCast(@as(@Vector(16, u32), @splat(@as(u32, @bitCast(pairs)))));
                const imin = simd.maddwd32(g.mn[j], pv);
                if (gemm) {
                    const dy: F32x16 = @splat(y.d);
                    acc[k] = @mulAdd(F32x16, @floatFromInt(isum), @as(F32x16, g.d) * dy, acc[k]);
                    acc_m[k] = @mulAdd(F32x16, @floatFromInt(imin), @as(F32x16, g.dmin) * dy, acc_m[k]);
                } else {
                    isum_sb[k] += isum;
                    imin_sb[k] += imin;
                }
            }
        }
        if (!gemm) inline for (0..n) |k| {
            const dy: F32x16 = @splat(xs[k][i].d);
            acc[k] = @mulAdd(F32x16, @floatFromInt(isum_sb[k]), @as(F32x16, g.d) * dy, acc[k]);
            acc_m[k] = @mulAdd(F32x16, @floatFromInt(imin_sb[k]), @as(F32x16, g.dmin) * dy, acc_m[k]);
        };
    }
    inline for (0..n) |k| out[k][0..16].* = acc[k] - acc_m[k];
}

noinline fn repackK6(w: [*]const u8, row_bytes: usize, nb: usize, tiles: []TileK6) void {
    for (0..tile_rows) |r| {
        const blocks = asBlocks(BlockQ6K, (w + r * row_bytes)[0..row_bytes], nb);
        for (blocks, tiles) |*b, *g| {
            const m4: U8x32 = @splat(0xf);
            const m3: U8x32 = @splat(3);
            const dst: *[64][16]u32 = @ptrCast(&g.q);
            inline for (0..2) |h| {
                const ql0: U8x32 = b.ql[h * 64 ..][0..32].*;
                const ql1: U8x32 = b.ql[h * 64 + 32 ..][0..32].*;
                const qh: U8x32 = b.qh[h * 32 ..][0..32].*;
                const v = [4]U8x32{
                    (ql0 & m4) | ((qh & m3) << @splat(4)),
                    (ql1 & m4) | (((qh >> @splat(2)) & m3) << @splat(4)),
                    (ql0 >> @splat(4)) | (((qh >> @splat(4)) & m3) << @splat(4)),
                    (ql1 >> @splat(4)) | ((qh >> @splat(6)) << @splat(4)),
                };
                inline for (0..4) |c| {
                    const words: [8]u32 = @bitCast(v[c]);
                    inline for (0..8) |l| dst[(4 * h + c) * 8 + l][r] = words[l];
                }
            }
            for (0..16) |c| {
                g.sc[c][2 * r] = b.scales[c];
                g.sc[c][2 * r + 1] = b.scales[c];
                g.sp[c / 2][2 * r + c % 2] = b.scales[c];
            }
            g.d[r] = scaleF16(b.d);
        }
    }
}

/// `n` tokens against one repacked group of 16 Q6_K rows, in the order of ggml's `tiled`
/// kernel (batches of 8 or more): per super-block (Σint × d_w), then a multiply-add with
/// d_x. Two `maddubs` results fit an i16 (2 × 2 × 63 × 127 < 2^15).
inline fn tileK6(comptime n: usize, tiles: []const TileK6, next: NextRows, xs: [n][*]const BlockQ8K, out: [n][*]f32) void {
    var acc: [n]F32x16 = @splat(@splat(0));
    for (tiles, 0..) |*g, i| {
        prefetchPart(next, i, tiles.len);
        var isum: [n]I32x16 = @splat(@splat(0));
        for (0..16) |c| {
            inline for (0..2) |h| {
                const s = 4 * c + 2 * h;
                const w0: U8x64 = g.q[s];
                const w1: U8x64 = g.q[s + 1];
                inline for (0..n) |k| {
                    const y = &xs[k][i];
                    const a = simd.maddubs64(w0, bcast4(y.qs[4 * s ..][0..4])) +% simd.maddubs64(w1, bcast4(y.qs[4 * s + 4 ..][0..4]));
                    isum[k] += simd.maddwd32(a, g.sc[c]);
                }
            }
        }
        inline for (0..n) |k| {
            const y = &xs[k][i];
            var off: I32x16 = @splat(0);
            inline for (0..8) |p| {
                const pair: [2]i16 = .{ y.bsums[2 * p], y.bsums[2 * p + 1] };
                off += simd.maddwd32(g.sp[p], @bitCast(@as(@Vector(16, u32), @splat(@as(u32, @bitCast(pair))))));
            }
            const sumi = isum[k] - (off << @splat(5));
            acc[k] = @mulAdd(F32x16, @as(F32x16, @floatFromInt(sumi)) * @as(F32x16, g.d), @splat(y.d), acc[k]);
        }
    }
    inline for (0..n) |k| out[k][0..16].* = acc[k];
}

/// Rows `lo..hi` (a multiple of 16) through the 16-row tiles, every token.
fn tileRows(comptime t: Type, w: [*]const u8, row_bytes: usize, cols: usize, lo: usize, hi: usize, act: [*]align(64) const u8, act_stride: usize, n_tok: usize, out: [*]f32, out_stride: usize) void {
    var buf: [tile_bytes]u8 align(64) = undefined;
    var r = lo;
    while (r < hi) : (r += tile_rows) {
        const wr = w + r * row_bytes;
        const next: NextRows = if (r + tile_rows < hi) .{ .p = wr + tile_rows * row_bytes, .len = tile_rows * row_bytes } else null;
        switch (t) {
            .q4_0, .q5_0 => {
                const nb = cols / 32;
                const tiles = @as([*]Tile32, @ptrCast(&buf))[0..nb];
                if (t == .q4_0) repack32(BlockQ4_0, signed4_0, wr, row_bytes, nb, tiles) else repack32(BlockQ5_0, signed5_0, wr, row_bytes, nb, tiles);
                var i: usize = 0;
                inline for (.{ 2, 1 }) |n| while (i + n <= n_tok) : (i += n) {
                    var xs: [n][*]const BlockQ8_0 = undefined;
                    var ds: [n][*]const f32 = undefined;
                    var cs: [n][*]align(4) const [8]i32 = undefined;
                    var outs: [n][*]f32 = undefined;
                    inline for (0..n) |k| {
                        const a = act + (i + k) * act_stride;
                        xs[k] = @ptrCast(a);
                        ds[k] = @ptrCast(@alignCast(a + q8Scales(nb)));
                        cs[k] = @ptrCast(@alignCast(a + q8Sums(nb)));
                        outs[k] = out + (i + k) * out_stride + r;
                    }
                    tile32(n, tiles, if (i == 0) next else null, xs, ds, cs, outs);
                };
            },
            .q8_0 => {
                const nb = cols / 32;
                const tiles = @as([*]Tile8, @ptrCast(&buf))[0..nb];
                repack8(wr, row_bytes, nb, tiles);
                var i: usize = 0;
                inline for (.{ 2, 1 }) |n| while (i + n <= n_tok) : (i += n) {
                    var xs: [n][*]const BlockQ8_0 = undefined;
                    var ds: [n][*]const f32 = undefined;
                    var outs: [n][*]f32 = undefined;
                    inline for (0..n) |k| {
                        const a = act + (i + k) * act_stride;
                        xs[k] = @ptrCast(a);
                        ds[k] = @ptrCast(@alignCast(a + q8Scales(nb)));
                        outs[k] = out + (i + k) * out_stride + r;
                    }
                    tile8(n, tiles, if (i == 0) next else null, xs, ds, outs);
                };
            },
            .q4_k => {
                const nb = cols / 256;
                const tiles = @as([*]TileK4, @ptrCast(&buf))[0..nb];
                repackK4(wr, row_bytes, nb, tiles);
                const n_gemm = n_tok - n_tok % 4;
                var i: usize = 0;
                while (i < n_tok) {
                    if (i < n_gemm) {
                        var xs: [4][*]const BlockQ8K = undefined;
                        var outs: [4][*]f32 = undefined;
                        inline for (0..4) |k| {
                            xs[k] = @ptrCast(@alignCast(act + (i + k) * act_stride));
                            outs[k] = out + (i + k) * out_stride + r;
                        }
                        tileK4(4, true, tiles, if (i == 0) next else null, xs, outs);
                        i += 4;
                    } else {
                        tileK4(1, false, tiles, if (i == 0) next else null, .{@ptrCast(@alignCast(act + i * act_stride))}, .{out + i * out_stride + r});
                        i += 1;
                    }
                }
            },
            .q6_k => {
                const nb = cols / 256;
                const tiles = @as([*]TileK6, @ptrCast(&buf))[0..nb];
                repackK6(wr, row_bytes, nb, tiles);
                var i: usize = 0;
                inline for (.{ 4, 1 }) |n| while (i + n <= n_tok) : (i += n) {
                    var xs: [n][*]const BlockQ8K = undefined;
                    var outs: [n][*]f32 = undefined;
                    inline for (0..n) |k| {
                        xs[k] = @ptrCast(@alignCast(act + (i + k) * act_stride));
                        outs[k] = out + (i + k) * out_stride + r;
                    }
                    tileK6(n, tiles, if (i == 0) next else null, xs, outs);
                };
            },
            else => unreachable,
        }
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
    var r0 = lo;
    if (comptime simd.has_avx512bw and (t == .q8_0 or t == .q4_0 or t == .q5_0 or t == .q4_k or t == .q6_k)) {
        if (n_tok >= tileMinTokens(t) and tileFits(t, cols)) {
            const end = lo + (hi - lo) / tile_rows * tile_rows;
            tileRows(t, w, row_bytes, cols, lo, end, act, act_stride, n_tok, out, out_stride);
            r0 = end;
        }
    }
    const chunk = @max(4, (16 << 10) / row_bytes);
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
        .q8_0 => q8Sums(n / 32) + n / 32 * 32,
        .q8_k => n / 256 * @sizeOf(BlockQ8K),
    };
}

/// Where a prepared Q8_0 row keeps its block scales as f32 (after its `nb` blocks), so
/// the prompt's kernels need not convert them for every weight row.
fn q8Scales(nb: usize) usize {
    return std.mem.alignForward(usize, nb * @sizeOf(BlockQ8_0), 4);
}

/// Where a prepared Q8_0 row keeps, per block, 16 × the sum of each four neighbouring
/// quants (8 i32): the offset the 16-row prompt tiles take off (see `tile32`).
fn q8Sums(nb: usize) usize {
    return q8Scales(nb) + nb * 4;
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
            const sums: [*]align(4) [8]i32 = @ptrCast(@alignCast(out.ptr + q8Sums(nb)));
            for (blocks, sums[0..nb]) |b, *s| {
                s.* = simd.dpbusd(@splat(0), @splat(1), b.qs) << @splat(4);
            }
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

test "matmulRows equals the one-row kernels for every batch shape (16-row tiles included)" {
    const cols = 512;
    const rows = 37; // two 16-row tiles and 5 rows for the one-row kernels
    const max_tok = 17;
    const gpa = std.testing.allocator;
    var prng = std.Random.DefaultPrng.init(99);
    const random = prng.random();
    const stride = cols * 4;
    const act = try gpa.alignedAlloc(u8, .@"64", stride * max_tok);
    defer gpa.free(act);
    var x: [cols]f32 = undefined;
    for (0..max_tok) |i| {
        for (&x) |*v| v.* = random.floatNorm(f32) * (1 + @as(f32, @floatFromInt(i)));
        prepare(.q8_0, &x, @alignCast(act[i * stride ..]));
    }
    const act_k = try gpa.alignedAlloc(u8, .@"64", stride * max_tok);
    defer gpa.free(act_k);
    for (0..max_tok) |i| {
        for (&x) |*v| v.* = random.floatNorm(f32);
        prepare(.q8_k, &x, @alignCast(act_k[i * stride ..]));
    }
    const w = try gpa.alloc(u8, rows * cols * 2);
    defer gpa.free(w);
    var out: [max_tok * rows]f32 = undefined;
    inline for (.{ Type.q4_0, Type.q5_0, Type.q8_0, Type.q4_k, Type.q6_k }) |t| {
        const rb = rowBytes(t, cols);
        for (0..rows) |r| randomBlocks(t, cols, random, w[r * rb ..][0..rb]);
        const a = if (actKind(t) == .q8_k) act_k else act;
        for ([_]usize{ 1, 2, 3, 4, 5, 8, 9, 16, 17 }) |n| {
            @memset(&out, std.math.nan(f32));
            matmulRows(t, w.ptr, rb, cols, 0, rows, a.ptr, stride, n, &out, rows);
            for (0..n) |i| for (0..rows) |r| {
                const row = w[r * rb ..][0..rb];
                const ai: [*]align(4) const u8 = @alignCast(a[i * stride ..].ptr);
                var want = dot(t, row, ai[0..stride], cols);
                if (t == .q4_k and i < n - n % 4) {
                    // a batch's tokens in fours take ggml's gemm order
                    var four: [4]f32 = undefined;
                    _ = dotRows(t, 4, row, ai, 0, cols, &four);
                    want = four[0];
                }
                if (t == .q6_k and n >= 8) {
                    var one: [1]f32 = undefined;
                    dotQ6KNOrder(1, true, row, .{@ptrCast(ai)}, cols / 256, &one);
                    want = one[0];
                }
                std.testing.expectEqual(@as(u32, @bitCast(want)), @as(u32, @bitCast(out[i * rows + r]))) catch |e| {
                    std.debug.print("{s}: batch {d}, token {d}, row {d}: {e} want {e}\n", .{ @tagName(t), n, i, r, out[i * rows + r], want });
                    return e;
                };
            };
        }
    }
}
